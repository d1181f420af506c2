"""Render a ruleset definition (the raw JSON dict, docs/rules-format.md) as a table staff can read.

Deliberately independent of the engine in tracker/rules/: it walks the dict and formats what it
finds, so a definition the engine would reject still displays (with its odd parts visible).
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tracker.admin import display
from tracker.rules.fields import FIELDS
from tracker.rules.variables import VARIABLES

OPERATORS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "∈",
    "between": "∈",
    "is_true": "",
    "is_false": "",
}
# Node kinds and tier requirements as staff say them (the definition's own words are English codes).
KIND_LABELS = {
    "all": gettext_lazy("全部满足"),
    "any": gettext_lazy("任一满足"),
    "not": gettext_lazy("不成立"),
    "test": gettext_lazy("指标条件"),
    "tier": gettext_lazy("层级要求"),
    "score": gettext_lazy("评分"),
    "bands": gettext_lazy("分档计分"),
    "sum": gettext_lazy("累加计分"),
    "max": gettext_lazy("取最高分"),
    "item": gettext_lazy("加分项"),
}
REQUIRE_LABELS = {
    "eligible": gettext_lazy("符合认定条件"),
    "designated": gettext_lazy("已认定"),
    "either": gettext_lazy("已认定或符合认定条件"),
}
_RATIO_HINTS = ("ratio", "share", "growth", "cagr", "margin")
_MONEY_HINTS = ("revenue", "expense", "financing", "profit", "assets", "liabilities")


def variable_unit(name: str) -> str:
    """money | money_usd | ratio | number, guessed from the variable's name (data dictionary conventions)."""
    if name.endswith("_usd"):
        return "money_usd"
    if any(hint in name for hint in _RATIO_HINTS):
        return "ratio"
    if any(hint in name for hint in _MONEY_HINTS):
        return "money"
    return "number"


def threshold_text(variable: str, op: str, threshold) -> str:
    if op == "is_true":
        return _("是")
    if op == "is_false":
        return _("否")
    if isinstance(threshold, list):
        parts = [threshold_text(variable, "", item) for item in threshold]
        return f"[{', '.join(parts)}]" if op == "between" else "{" + ", ".join(parts) + "}"
    if isinstance(threshold, str):
        return display.choice(threshold, variable)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        return str(threshold)
    unit = variable_unit(variable)
    if unit == "money":
        return display.amount(threshold)
    if unit == "money_usd":
        return display.amount_usd(threshold)
    if unit == "ratio":
        return display.ratio(threshold)
    return f"{threshold:,}" if isinstance(threshold, int) else f"{threshold:g}"


def label_text(label) -> str:
    if isinstance(label, dict):
        lang = "en" if (get_language() or "").startswith("en") else "zh"
        return label.get(lang) or label.get("zh") or label.get("en") or ""
    return str(label or "")


def condition_text(node: dict) -> str:
    kind = node.get("kind", "")
    if kind == "all":
        return _("以下全部满足")
    if kind == "any":
        return _("以下任一满足")
    if kind == "not":
        return _("以下不成立")
    if kind == "tier":
        return _("要求层级 %(tier)s（%(require)s）") % {
            "tier": tier_name(node.get("tier", "")),
            "require": require_text(node.get("require", "eligible")),
        }
    if kind == "score":
        dims = "；".join(f"{label_text(d.get('label'))} ≥ {d.get('min', 0)}" for d in node.get("dimensions", []))
        text = _("总分 ≥ %(min)s 分") % {"min": node.get("min_total", "")}
        return f"{text}（{dims}）" if dims else text
    if kind == "bands":
        variable = node.get("variable", "")
        bands = [
            f"{OPERATORS.get(b.get('op'), b.get('op'))} {threshold_text(variable, b.get('op'), b.get('threshold'))}"
            f" → {b.get('points')}" + _("分")
            for b in node.get("bands", [])
        ]
        bands.append(_("否则 → %(points)s分") % {"points": node.get("otherwise", 0)})
        return "；".join(bands)
    if kind == "sum":
        return _("逐项加分，最高 %(cap)s 分") % {"cap": node.get("cap", node.get("max_points", ""))}
    if kind == "max":
        return _("取以下各项最高分")
    op = node.get("op", "")
    return f"{OPERATORS.get(op, op)} {threshold_text(node.get('variable', ''), op, node.get('threshold'))}".strip()


def require_text(require: str) -> str:
    return str(REQUIRE_LABELS.get(require, require))


def tier_name(code: str) -> str:
    from tracker.models import Tier  # a handful of rows; the ruleset page and an explanation read it once

    names = dict(Tier.objects.values_list("code", "name_zh"))
    return names.get(code, code)


def variable_label(name: str) -> str:
    """The Chinese name of a fact or derived figure (营业收入), the code itself if it is unknown."""
    known = VARIABLES.get(name) or FIELDS.get(name)
    return known.label_zh if known is not None else name


def _rows(node: dict, depth: int):
    if not isinstance(node, dict):
        return
    kind = node.get("kind")
    if kind is None and "points" in node:  # an item of a sum indicator
        kind = "item"
    points = node.get("max_points") or node.get("points") or ""
    yield depth, node, kind, points
    children = list(node.get("children", []))
    if "child" in node:
        children.append(node["child"])
    children += node.get("indicators", []) + node.get("items", [])
    for child in children:
        yield from _rows(child, depth + 1)


def definition_table(definition) -> SafeString:
    """An HTML table: one row per node, indented by depth."""
    if not isinstance(definition, dict):
        return format_html("<p>{}</p>", _("认定条件不是有效的 JSON 对象。"))
    head = [_("节点"), _("名称"), _("类型"), _("变量"), _("条件"), _("分值"), _("依据")]
    rows = format_html_join(
        "",
        '<tr><td style="padding-left:{}em"><code>{}</code></td><td>{}</td><td>{}</td>'
        "<td>{}</td><td>{}</td><td>{}</td><td><small>{}</small></td></tr>",
        (
            (
                0.5 + 1.5 * depth,
                node.get("id", ""),
                label_text(node.get("label")),
                KIND_LABELS.get(kind, kind or ""),
                variable_label(node["variable"]) if node.get("variable") else "",
                condition_text({**node, "kind": kind}) if kind != "item" else condition_text({**node, "kind": "test"}),
                points,
                display.policy_basis(node.get("reference", "")),
            )
            for depth, node, kind, points in _rows(definition, 0)
        ),
    )
    header = format_html_join("", "<th>{}</th>", ((h,) for h in head))
    return format_html(
        '<table class="ruleset-definition"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', header, rows
    )
