"""A definition as rows staff can edit: one per criterion with a threshold, and the edits written back.

A row is a ``test`` node, an item of a ``sum`` indicator, or one band of a ``bands`` indicator: what
carries a threshold. Its Chinese label, threshold and policy reference are what a row may change (a
band's label and reference are its indicator's and stay as they are); the tree's structure — which
criteria, operators, points, how they combine — changes by replacing the definition (a YAML file).
Rows are addressed by their path in the raw tree, so they need no id of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.models import Ruleset
from tracker.services.rulesets import ruleset_definition_change

FIELD_LABELS = {
    "label": gettext_lazy("名称"),
    "threshold": gettext_lazy("门槛值"),
    "reference": gettext_lazy("政策依据"),
}


@dataclass(frozen=True)
class CriterionRow:
    key: str  # the path as text ("children.2.children.0"), the row's address in a form
    path: tuple
    kind: str  # test | item | band
    node_id: str  # for a band, its indicator's id
    band: int | None  # a band's position in its indicator
    label: Mapping  # {zh, en}; for a band, its indicator's
    reference: str  # for a band, its indicator's
    variable: str
    op: str
    threshold: object  # as stored
    points: float | None
    # The groups and indicators the row sits in, from the root down: (key, raw node).
    ancestors: tuple[tuple[str, Mapping], ...]

    @property
    def editable(self) -> tuple[str, ...]:
        """The fields this row may change."""
        fields = ("threshold",) if self.op not in ("is_true", "is_false") else ()
        return fields if self.kind == "band" else ("label", *fields, "reference")


def criterion_rows(definition) -> list[CriterionRow]:
    """The rows of a definition in tree order (the order of the read-only table and of a YAML file)."""
    rows: list[CriterionRow] = []
    _walk(definition, (), (), rows)
    return rows


def _zh(label) -> str:
    return str(label.get("zh") or "") if isinstance(label, Mapping) else str(label or "")


def _walk(raw, path: tuple, ancestors: tuple, rows: list) -> None:
    if not isinstance(raw, Mapping):
        return
    kind = raw.get("kind")
    if kind == "test" or (kind is None and "variable" in raw and "points" in raw):  # a node, or a sum item
        rows.append(_row(raw, path, "test" if kind == "test" else "item", ancestors))
        return
    inner = (*ancestors, (_key(path), raw))
    if kind == "bands":
        for k, band in enumerate(raw.get("bands") or ()):
            if isinstance(band, Mapping):
                rows.append(
                    CriterionRow(
                        key=_key((*path, "bands", k)),
                        path=(*path, "bands", k),
                        kind="band",
                        node_id=str(raw.get("id") or ""),
                        band=k,
                        label=raw.get("label") if isinstance(raw.get("label"), Mapping) else {},
                        reference=str(raw.get("reference") or ""),
                        variable=str(raw.get("variable") or ""),
                        op=str(band.get("op") or ""),
                        threshold=band.get("threshold"),
                        points=band.get("points"),
                        ancestors=inner,
                    )
                )
        return
    for key in ("children", "indicators", "items"):
        children = raw.get(key)
        for i, child in enumerate(children if isinstance(children, list) else ()):
            _walk(child, (*path, key, i), inner, rows)
    if "child" in raw:
        _walk(raw["child"], (*path, "child"), inner, rows)


def _row(raw: Mapping, path: tuple, kind: str, ancestors: tuple) -> CriterionRow:
    return CriterionRow(
        key=_key(path),
        path=path,
        kind=kind,
        node_id=str(raw.get("id") or ""),
        band=None,
        label=raw.get("label") if isinstance(raw.get("label"), Mapping) else {},
        reference=str(raw.get("reference") or ""),
        variable=str(raw.get("variable") or ""),
        op=str(raw.get("op") or ""),
        threshold=raw.get("threshold"),
        points=raw.get("points") if kind == "item" else None,
        ancestors=ancestors,
    )


def _key(path: tuple) -> str:
    return ".".join(str(step) for step in path)


def _at(definition, path: tuple):
    node = definition
    for step in path:
        node = node[step]
    return node


def same_value(stored, new) -> bool:
    """Equal as the engine reads them (1000000 and 1000000.0 are one threshold; True is not 1)."""
    if isinstance(stored, list | tuple) and isinstance(new, list | tuple):
        return len(stored) == len(new) and all(same_value(a, b) for a, b in zip(stored, new, strict=True))
    if isinstance(stored, bool) or isinstance(new, bool):
        return stored is new
    return stored == new


def apply_edits(definition: dict, rows: list[CriterionRow], edits: Mapping[str, Mapping]) -> list[tuple]:
    """Write ``edits`` ({row key: {field: value}}, values as stored: yuan, fractions, ISO dates) into
    ``definition`` in place, only where they differ. Returns the (row, field) pairs changed."""
    by_key = {row.key: row for row in rows}
    changed = []
    for key, values in edits.items():
        row = by_key.get(key)
        if row is None:
            raise ValidationError(_("认定条件中没有第 %(key)s 行；请重新打开后再修改。") % {"key": key}, code="stale")
        node = _at(definition, row.path)
        for field, value in values.items():
            if field not in row.editable:
                raise ValidationError(
                    _("第 %(row)s 行（%(node)s）的“%(field)s”不能在表格中修改。")
                    % {"row": rows.index(row) + 1, "node": row.node_id, "field": FIELD_LABELS.get(field, field)}
                )
            if field == "label":
                value = " ".join(str(value).split())
                if value != " ".join(_zh(node.get("label")).split()):
                    node["label"] = {**node.get("label", {}), "zh": value}
                    changed.append((row, field))
            elif field == "reference":
                value = str(value or "").strip()
                if value != str(node.get("reference") or "").strip():
                    node["reference"] = value
                    changed.append((row, field))
            elif not same_value(node.get("threshold"), value):
                node["threshold"] = value
                changed.append((row, field))
    return changed


def row_name(row: CriterionRow) -> str:
    """"c2_rd_expense", or "main_business_share 第2档" for a band."""
    return f"{row.node_id} {_('第%(n)s档') % {'n': row.band + 1}}" if row.kind == "band" else row.node_id


def changes_text(changes: list[tuple]) -> str:
    """"研发费用不低于100万元（c2_rd_expense）门槛值；…" — what a save changed, for the history and the message."""
    return "；".join(
        _("%(label)s（%(row)s）%(field)s")
        % {"label": _zh(row.label), "row": row_name(row), "field": FIELD_LABELS[field]}
        for row, field in changes
    )


def ruleset_criteria_update(
    *, ruleset: Ruleset, edits: Mapping[str, Mapping], user=None, expected_revision: int | None = None
) -> list[tuple]:
    """Change the labels, thresholds and references of a draft's rows (``edits`` as ``apply_edits``
    takes them), validated and written as every definition change is (``ruleset_definition_change``).

    Only the values that differ from the stored ones change; returns those (row, field) pairs, an empty
    list when nothing differed (then nothing is written and the revision stays).
    """
    changes: list[tuple] = []

    def change(definition: dict) -> dict:
        changes[:] = apply_edits(definition, criterion_rows(definition), edits)
        return definition

    ruleset_definition_change(
        ruleset=ruleset,
        change=change,
        user=user,
        expected_revision=expected_revision,
        reason=lambda: _("表格修改：%(changes)s") % {"changes": changes_text(changes)},
    )
    return changes
