"""Render the engine's explanation of one result (tracker.services.eligibility) as tables for staff.

The explanation dict is the engine's contract (rules.TierOutcome.explain): every node in tree order
with its value, operator, threshold, outcome and gap, then a ``gaps`` summary. Values are formatted
as the admin shows facts elsewhere: money in 万元/亿元, ratios in %, missing as "—".
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tracker.admin import display
from tracker.admin.ruleset_table import OPERATORS, label_text, require_text, threshold_text, tier_name, variable_unit
from tracker.models.evaluation import ResultStatus
from tracker.rules.fields import FIELDS

RESULT_LABELS = dict(ResultStatus.choices)
OUTCOME_COLORS = {"passed": "#2e7d32", "failed": "#c62828", "unknown": "#9e6a00"}
STATUS_COLORS = {"eligible": "#2e7d32", "not_eligible": "#c62828", "insufficient_data": "#9e6a00"}
BADGE = '<span style="color:#fff;background:{};padding:1px 6px;border-radius:3px;white-space:nowrap">{}</span>'


def outcome_badge(outcome: str) -> SafeString:
    text = {"passed": _("✓ 达标"), "failed": _("✗ 未达标"), "unknown": _("? 缺数据")}.get(outcome, outcome)
    return format_html(BADGE, OUTCOME_COLORS.get(outcome, "#616161"), text)


def status_badge(status: str, label: str) -> SafeString:
    """A colored badge for a result status (eligible / not_eligible / insufficient_data)."""
    return format_html(BADGE, STATUS_COLORS.get(status, "#616161"), label)


def value_text(variable: str, value, unit: str = "") -> str:
    """A fact or derived value in the admin's units (money 万元/亿元, ratios %, booleans ✓/✗)."""
    if value is None:
        return display.MISSING
    if isinstance(value, bool):
        return display.boolean(value)
    if FIELDS.get(variable) is not None and FIELDS[variable].kind == "year":
        return str(value)  # a calendar year, not a quantity: 2014, not 2,014
    if not isinstance(value, int | float):
        return display.choice(str(value), variable)
    if unit == "CNY" or (not unit and variable_unit(variable) == "money"):
        return display.amount(value)
    if unit == "USD" or variable_unit(variable) == "money_usd":
        return display.amount_usd(value)
    if not unit and variable_unit(variable) == "ratio":
        return display.ratio(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return display.with_unit(text, unit)


def field_label(name: str) -> str:
    field = FIELDS.get(name)
    if field is None:
        return name
    return label_text({"zh": field.label_zh, "en": field.label_en})


def _condition(entry: dict) -> str:
    op = entry.get("op")
    if not op:
        return ""
    return f"{OPERATORS.get(op, op)} {threshold_text(entry.get('variable', ''), op, entry.get('threshold'))}".strip()


def _gap(entry: dict) -> str:
    gap = entry.get("gap")
    if not gap:
        return ""
    parts = []
    if gap.get("absolute") is not None:
        parts.append(value_text(entry.get("variable", ""), gap["absolute"], entry.get("unit", "")))
    if gap.get("relative") is not None:
        parts.append(display.ratio(gap["relative"]))
    return " / ".join(parts)


def _inputs(entry: dict) -> str:
    items = [
        f"{field_label(i['field'])}{'（' + str(i['fiscal_year']) + '）' if i.get('fiscal_year') else ''}"
        f"：{value_text(i['field'], i.get('value'))}"
        for i in entry.get("inputs", [])
    ]
    return "；".join(items)


def _points(points: dict | None) -> str:
    if not points:
        return ""
    low, high = points.get("low"), points.get("high")
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def _node_rows(explanation: dict):
    """(depth, label, reference, value, inputs, condition, outcome-or-points, gap) per row."""
    for node in explanation.get("nodes", []):
        depth, kind = node["depth"], node["kind"]
        value, condition = "", _condition(node)
        if kind == "tier":
            value = _("层级 %(tier)s：%(status)s；已认定：%(designated)s") % {
                "tier": tier_name(node.get("tier", "")),
                "status": RESULT_LABELS.get(node.get("tier_status"), node.get("tier_status")) or display.MISSING,
                "designated": display.boolean(node.get("designated")),
            }
            condition = _("要求：%(require)s") % {"require": require_text(node.get("require", "eligible"))}
        elif kind == "score":
            value = _("得分 %(score)s") % {"score": _points(node.get("score"))}
            condition = _("总分 ≥ %(min)s 分") % {"min": f"{node.get('min_total', 0):g}"}
        elif "variable" in node:
            value = value_text(node["variable"], node.get("value"), node.get("unit", ""))
        yield (
            depth,
            node["label"],
            node.get("reference", ""),
            value,
            _inputs(node),
            condition,
            outcome_badge(node["outcome"]),
            _gap(node),
        )
        if kind == "score":
            yield from _score_rows(node, depth + 1)


def _score_rows(node: dict, depth: int):
    for dim in node.get("dimensions", []):
        yield (
            depth,
            dim["label"],
            "",
            _("维度得分 %(score)s") % {"score": _points(dim.get("score"))},
            "",
            f"≥ {dim.get('min', 0):g}",
            "",
            "",
        )
    for indicator in node.get("indicators", []):
        yield from _indicator_rows(indicator, depth)


def _indicator_rows(ind: dict, depth: int):
    value = value_text(ind["variable"], ind.get("value"), ind.get("unit", "")) if "variable" in ind else ""
    points = _("%(points)s / %(max)s 分") % {
        "points": _points(ind.get("points")),
        "max": f"{ind.get('max_points', 0):g}",
    }
    yield depth, ind["label"], ind.get("reference", ""), value, _inputs(ind), "", points, ""
    for item in ind.get("items", []):
        if item.get("kind") in ("bands", "sum", "max"):
            yield from _indicator_rows(item, depth + 1)
            continue
        badge = outcome_badge(item.get("outcome", "unknown"))
        item_points = format_html("{} {}", badge, _("+%(points)s 分") % {"points": f"{item.get('points', 0):g}"})
        yield (
            depth + 1,
            item["label"],
            item.get("reference", ""),
            value_text(item.get("variable", ""), item.get("value"), item.get("unit", "")),
            _inputs(item),
            _condition(item),
            item_points,
            _gap(item),
        )


def _nodes_table(explanation: dict) -> SafeString:
    head = [_("条件"), _("实际值"), _("要求"), _("结果"), _("差距"), _("依据")]
    rows = format_html_join(
        "",
        '<tr><td style="padding-left:{}em">{}</td><td>{}<br><small>{}</small></td><td>{}</td><td>{}</td>'
        "<td>{}</td><td><small>{}</small></td></tr>",
        (
            (
                0.5 + 1.5 * depth,
                label_text(label),
                value,
                inputs,
                condition,
                outcome,
                gap,
                display.policy_basis(reference),
            )
            for depth, label, reference, value, inputs, condition, outcome, gap in _node_rows(explanation)
        ),
    )
    header = format_html_join("", "<th>{}</th>", ((h,) for h in head))
    return format_html(
        '<table class="eligibility-explanation"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', header, rows
    )


def _labels(explanation: dict) -> dict[str, str]:
    """Node, dimension and indicator id → label, for the gaps summary (which names them by id)."""
    labels: dict[str, str] = {}

    def note(entries):
        for entry in entries:
            labels.setdefault(entry["id"], label_text(entry.get("label")))
            note(entry.get("dimensions", []) + entry.get("indicators", []) + entry.get("items", []))

    note(explanation.get("nodes", []))
    return labels


def _move_text(move: dict, labels: dict[str, str]) -> str:
    """One cheapest band move: the indicator, its value now, the band to reach and the points gained."""
    variable, needed = move.get("variable", ""), move.get("needed") or {}
    op = needed.get("op", "")
    return _("%(indicator)s：%(value)s → %(op)s %(threshold)s（+%(points)s 分）") % {
        "indicator": labels.get(move.get("indicator", ""), move.get("indicator", "")),
        "value": value_text(variable, move.get("value")),
        "op": OPERATORS.get(op, op),
        "threshold": threshold_text(variable, op, needed.get("threshold")),
        "points": f"{move.get('points_gained', 0):g}",
    }


def _failing_text(failing: dict) -> SafeString:
    """One failing criterion: value, requirement and gap; then what to do about it (the engine's note:
    a title to obtain first, when a time-bound criterion will be met, a window that closed), and a
    tag on criteria the enterprise cannot change."""
    if failing.get("kind") in ("tier", "not"):
        # A title or an exclusion: no value and no distance to show, the note says what it means.
        text = format_html("{}", label_text(failing["label"]))
    else:
        gap = _gap(failing) or display.ratio(failing.get("shortfall"))
        text = format_html(
            "{}：{} {}（{}）",
            label_text(failing["label"]),
            value_text(failing.get("variable", ""), failing.get("value"), failing.get("unit", "")),
            _condition(failing),
            _("差距 %(gap)s") % {"gap": gap},
        )
    if failing.get("note"):
        text = format_html("{} — <strong>{}</strong>", text, label_text(failing["note"]))
    if failing.get("actionable") is False:
        text = format_html("{} {}", text, format_html(BADGE, "#616161", _("无法通过经营改变")))
    return text


def _gaps_summary(gaps: dict, labels: dict[str, str]) -> SafeString:
    parts = []
    failing = gaps.get("failing", [])
    if failing:
        items = format_html_join("", "<li>{}</li>", ((_failing_text(f),) for f in failing))
        parts.append(format_html("<h4>{}</h4><ul>{}</ul>", _("未达标条件（可改进的在前）"), items))
    facts = gaps.get("facts_to_collect", [])
    if facts:
        items = format_html_join(
            "",
            "<li>{}{}<small>（{}）</small></li>",
            (
                (
                    field_label(f.get("field") or f.get("variable", "")),
                    f"（{f['fiscal_year']}）" if f.get("fiscal_year") else "",
                    _("用于：%(nodes)s") % {"nodes": "、".join(labels.get(n, n) for n in f.get("needed_by", []))},
                )
                for f in facts
            ),
        )
        parts.append(format_html("<h4>{}</h4><ul>{}</ul>", _("需补充的数据"), items))
    for score in gaps.get("scores", []):
        dims = "；".join(f"{labels.get(d, d)} {short:g}" for d, short in (score.get("dimensions_short") or {}).items())
        moves = format_html_join("", "<li>{}</li>", ((_move_text(m, labels),) for m in score.get("moves", [])))
        text = _("得分 %(score)s / %(min)s，尚差 %(short)s 分") % {
            "score": _points(score.get("score_range")) or f"{score.get('score', 0):g}",
            "min": f"{score.get('min_total', 0):g}",
            "short": f"{score.get('points_short', 0):g}",
        }
        if dims:
            text += "；" + _("维度差距：%(dims)s") % {"dims": dims}
        parts.append(format_html("<h4>{}</h4><p>{}</p><ul>{}</ul>", _("评价得分差距与最省力的提分项"), text, moves))
    if not parts:
        return format_html("<p>{}</p>", _("无差距。"))
    return format_html_join("", "{}", ((p,) for p in parts))


def _applied_text(explanation: dict) -> str:
    """Which standard was applied: a new application, or the re-review of a title granted on a date."""
    applied = explanation.get("applied") or {}
    if applied.get("mode") != "review":
        return _("新申请")
    if applied.get("granted_on"):
        return _("复核（所持称号认定于 %(date)s，按其认定时的标准）") % {"date": applied["granted_on"]}
    return _("复核")


def _score_text(explanation: dict) -> str:
    """The score as it should be read: the points when the facts fix them, else the range they could
    take; and, for an eligible result that did not need them, that it passed by a direct condition."""
    score_range = explanation.get("score_range")
    if not score_range:
        return ""
    if explanation.get("score") is not None:
        text = _("得分 %(score)s") % {"score": f"{explanation['score']:g}"}
    else:
        text = _("得分待定（可能区间 %(range)s，缺数据的指标按最低与最高分计）") % {"range": _points(score_range)}
    if explanation.get("passed_directly"):
        text += "；" + _("凭直通条件符合，未以得分认定")
    return text


def explanation_html(explanation: dict | None) -> SafeString:
    """The full explanation: a criteria table indented by depth, then the gaps summary."""
    if not explanation:
        return format_html("<p>{}</p>", _("无法重建该结果的解释（认定标准或数据已不可用）。"))
    ruleset = explanation.get("ruleset", {})
    head = format_html(
        "<p>{}：<strong>{}</strong>（{}） · {}：{} · {}：{}</p>",
        _("认定标准"),
        ruleset.get("version", ""),
        _applied_text(explanation),
        _("评价基准日"),
        explanation.get("as_of", ""),
        _("评价年度"),
        explanation.get("fiscal_year", ""),
    )
    score = _score_text(explanation)
    if score:
        head = format_html("{}<p>{}</p>", head, score)
    return format_html(
        "{}{}<h3>{}</h3>{}",
        head,
        _nodes_table(explanation),
        _("差距汇总"),
        _gaps_summary(explanation.get("gaps", {}), _labels(explanation)),
    )
