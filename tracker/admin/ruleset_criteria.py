"""The criteria of a draft as a table staff fill in like a spreadsheet: one row per threshold.

Each row (tracker/services/ruleset_criteria.py) takes its Chinese label, its threshold in the unit
staff read — money in 万元 (stored in 元, as the definition keeps it), ratios in % (stored as
fractions), years, persons, choices by their Chinese names — and its policy basis. Nothing is written
until every row is valid and the engine accepts the whole definition; then one service call writes it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.admin import display
from tracker.admin.ruleset_table import KIND_LABELS, OPERATORS, condition_text, label_text, variable_label
from tracker.rules.variables import VARIABLES
from tracker.services.ruleset_criteria import FIELD_LABELS, CriterionRow

WAN = Decimal("10000")
PERCENT = Decimal("0.01")
# How a threshold is entered: the stored value is the entered one times the scale.
SCALES = {
    "money": (WAN, gettext_lazy("万元")),
    "money_usd": (WAN, gettext_lazy("万美元")),
    "ratio": (PERCENT, "%"),
}
UNIT_LABELS = {
    **display.UNIT_LABELS,
    "enterprises": gettext_lazy("家"),
    "rank": gettext_lazy("名"),
    "level": gettext_lazy("级"),
}
CHOICE_KINDS = ("ordinal", "category")


def threshold_unit(variable: str) -> tuple[Decimal, str]:
    """(scale, unit shown) of a variable's thresholds: 万元 for money, % for ratios, 年/人/项… otherwise."""
    var = VARIABLES.get(variable)
    if var is None:
        return Decimal(1), ""
    if var.kind in SCALES:
        return SCALES[var.kind]
    return Decimal(1), UNIT_LABELS.get(var.unit, "")


def stored_number(value: Decimal) -> int | float:
    """A threshold as the definition keeps it: an integer when whole (1000000), a float otherwise."""
    return int(value) if value == value.to_integral_value() else float(value)


def shown_number(value, scale: Decimal) -> str:
    """1000000 元 → "100" (万元); 0.03 → "3" (%): plain digits, no exponent, no trailing zeros."""
    shown = (Decimal(str(value)) / scale).normalize()
    return format(shown, "f")


class ScaledNumberField(forms.Field):
    """A number entered in the unit shown (万元, %) and cleaned to the stored unit (元, fraction).

    Pasted figures are taken as staff copy them from a spreadsheet: "1,500", "3%", "100 万元".
    """

    default_error_messages = {"invalid": gettext_lazy("请输入数字（如 1500 或 3.5）。")}

    def __init__(self, *, scale: Decimal, unit: str, **kwargs):
        self.scale, self.unit = scale, str(unit)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "threshold-number"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return shown_number(value, self.scale)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = "".join(str(value).split()).replace(",", "").replace("，", "")
        if self.unit and text.endswith(self.unit):
            text = text[: -len(self.unit)]
        try:
            entered = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not entered.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return stored_number(entered * self.scale)


class ScaledListField(ScaledNumberField):
    """Several numbers ("in"), separated by commas or 、."""

    default_error_messages = {"invalid": gettext_lazy("请输入以逗号分隔的数字。")}

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "、".join(str(super(ScaledListField, self).prepare_value(v)) for v in value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parts = [p for p in str(value).replace("，", ",").replace("、", ",").split(",") if p.strip()]
        return [super(ScaledListField, self).to_python(p) for p in parts] or None


class IsoDateField(forms.DateField):
    """A date threshold, stored as its ISO string (as YAML dates are)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value):
        day = super().to_python(value)
        return None if day is None else day.isoformat()


class LabelField(forms.CharField):
    """A label on one line, whatever the textarea it is typed in holds."""

    def to_python(self, value):
        return " ".join(str(super().to_python(value)).split())


BOOL_CHOICES = [("true", gettext_lazy("是")), ("false", gettext_lazy("否"))]


def threshold_field(row: CriterionRow, *, label) -> forms.Field:
    """The form field for one threshold value of ``row`` (one end of a "between")."""
    var = VARIABLES.get(row.variable)
    kind = var.kind if var else "number"
    if kind in CHOICE_KINDS:
        choices = [(c, display.choice(c, row.variable)) for c in var.choices]
        if row.op == "in":
            return forms.MultipleChoiceField(label=label, choices=choices, widget=forms.CheckboxSelectMultiple)
        return forms.ChoiceField(label=label, choices=choices)
    if kind == "bool":
        return forms.TypedChoiceField(label=label, choices=BOOL_CHOICES, coerce=lambda v: v == "true")
    if kind == "date":
        return IsoDateField(label=label)
    scale, unit = threshold_unit(row.variable)
    if row.op == "in":
        return ScaledListField(label=label, scale=scale, unit=unit)
    return ScaledNumberField(label=label, scale=scale, unit=unit)


class CriterionForm(forms.Form):
    """One row: label, threshold (two ends for "between") and policy basis, as the row allows."""

    key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, row: CriterionRow, **kwargs):
        super().__init__(*args, **kwargs)
        self.row = row
        self.unit = threshold_unit(row.variable)[1] if VARIABLES.get(row.variable) else ""
        if "label" in row.editable:
            self.fields["label"] = LabelField(
                label=FIELD_LABELS["label"],
                max_length=200,
                widget=forms.Textarea(attrs={"rows": 2, "class": "criterion-label"}),
            )
        if "threshold" in row.editable:
            if row.op == "between":
                self.fields["threshold"] = threshold_field(row, label=_("下限"))
                self.fields["threshold_high"] = threshold_field(row, label=_("上限"))
            else:
                self.fields["threshold"] = threshold_field(row, label=FIELD_LABELS["threshold"])
        if "reference" in row.editable:
            self.fields["reference"] = forms.CharField(
                label=FIELD_LABELS["reference"],
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "criterion-reference"}),
            )

    @staticmethod
    def initial_for(row: CriterionRow) -> dict:
        initial = {"key": row.key, "label": row.label.get("zh", ""), "reference": row.reference}
        threshold = row.threshold
        if isinstance(threshold, bool):
            threshold = "true" if threshold else "false"
        if row.op == "between" and isinstance(threshold, list | tuple) and len(threshold) == 2:
            initial["threshold"], initial["threshold_high"] = threshold
        else:
            initial["threshold"] = threshold
        return initial

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("key") not in (None, self.row.key):
            raise ValidationError(_("表格与认定条件不一致，请重新打开后再修改。"), code="stale")
        low, high = cleaned.get("threshold"), cleaned.get("threshold_high")
        if "threshold_high" in self.fields and low is not None and high is not None:
            var = VARIABLES.get(self.row.variable)
            if var is not None and var.kind in CHOICE_KINDS:  # ordinal choices compare by their order
                low, high = var.choices.index(low), var.choices.index(high)
            if low > high:
                self.add_error("threshold_high", _("上限不能小于下限。"))
        return cleaned

    def edits(self) -> dict:
        """The row's values as stored (元, fractions, ISO dates), for ``ruleset_criteria_update``."""
        values = {name: self.cleaned_data[name] for name in ("label", "reference") if name in self.fields}
        if "threshold_high" in self.fields:
            values["threshold"] = [self.cleaned_data["threshold"], self.cleaned_data["threshold_high"]]
        elif "threshold" in self.fields:
            values["threshold"] = self.cleaned_data["threshold"]
        return values

    # -- what the table shows beside the inputs ------------------------------------------------

    def variable_text(self) -> str:
        return variable_label(self.row.variable)

    def operator_text(self) -> str:
        if self.row.op in ("is_true", "is_false"):
            return _("是") if self.row.op == "is_true" else _("否")
        return OPERATORS.get(self.row.op, self.row.op)

    def kind_text(self) -> str:
        if self.row.kind == "band":
            return _("第%(n)s档") % {"n": self.row.band + 1}
        return _("加分项") if self.row.kind == "item" else _("条件")

    def label_shown(self) -> str:
        return label_text(self.row.label)

    def basis_shown(self):
        return display.policy_basis(self.row.reference)


class BaseCriteriaFormSet(forms.BaseFormSet):
    def __init__(self, *args, rows: list[CriterionRow], **kwargs):
        self.rows = rows
        kwargs.setdefault("initial", [CriterionForm.initial_for(row) for row in rows])
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "row": self.rows[index]}

    def total_form_count(self):
        # Never more forms than rows, whatever the management form claims.
        return min(super().total_form_count(), len(self.rows))

    def clean(self):
        if self.is_bound and self.management_form.cleaned_data.get("TOTAL_FORMS") != len(self.rows):
            raise ValidationError(_("表格与认定条件不一致（行数不同），请重新打开后再修改。"), code="stale")

    def edits(self) -> dict:
        return {form.row.key: form.edits() for form in self.forms}

    def error_summary(self) -> list[dict]:
        """Every error, naming the row and the field: {"text": "第 4 行“上年度营业收入不低于1500万元”的门槛值：
        请输入数字。", "row": 4} (``row`` None for an error about the whole table)."""
        lines = [{"text": str(e), "row": None} for e in self.non_form_errors()]
        for number, form in enumerate(self.forms, start=1):
            name_ = row_title(form.row)
            for name, errors in form.errors.items():
                field = form.fields[name].label if name in form.fields else None
                for error in errors:
                    values = {"row": number, "name": name_, "field": field, "error": error}
                    text = (
                        _("第 %(row)s 行“%(name)s”的%(field)s：%(error)s") % values
                        if field
                        else _("第 %(row)s 行“%(name)s”：%(error)s") % values
                    )
                    lines.append({"text": text, "row": number})
        return lines

    def add_definition_error(self, error) -> None:
        """Put the engine's objection (``DefinitionInvalid``) on the row it concerns, or above the table."""
        for form in self.forms:
            if error.path is not None and tuple(form.row.path) == tuple(error.path):
                field = "threshold" if "threshold" in form.fields else None
                form.add_error(field, error.text)
                return
        self._non_form_errors.append(f"{error.where}：{error.text}" if error.where else error.text)


def row_title(row: CriterionRow) -> str:
    """How staff name a row: its Chinese label, with the band for a band (主营业务收入占比 第2档)."""
    title = label_text(row.label) or row.node_id
    return f"{title} {_('第%(n)s档') % {'n': row.band + 1}}" if row.kind == "band" else title


def group_text(node) -> str:
    """A group or indicator above its rows: its label and how its rows combine (以下任一满足, 满分 5 分)."""
    kind = node.get("kind")
    if kind == "bands":
        how = _("%(kind)s，满分 %(points)s 分") % {
            "kind": KIND_LABELS["bands"],
            "points": node.get("max_points", (node.get("bands") or [{}])[0].get("points", "")),
        }
    elif kind == "score":
        how = _("总分 ≥ %(min)s 分") % {"min": node.get("min_total", "")}
    else:
        how = condition_text(node) if kind in ("all", "any", "not", "sum", "max") else str(KIND_LABELS.get(kind, ""))
    label = label_text(node.get("label"))
    return f"{label}（{how}）" if how else label


def table_lines(forms_: list[CriterionForm]) -> list[dict]:
    """The table's lines: a heading where a group or indicator starts, then its rows, indented by depth."""
    lines, shown = [], ()
    for number, form in enumerate(forms_, start=1):
        form.number = number
        chain = form.row.ancestors
        common = 0
        while common < min(len(chain), len(shown)) and chain[common][0] == shown[common][0]:
            common += 1
        for depth in range(common, len(chain)):
            lines.append({"group": group_text(chain[depth][1]), "depth": depth})
        shown = chain
        form.depth = len(chain)
        lines.append({"form": form})
    return lines


CriteriaFormSet = forms.formset_factory(CriterionForm, formset=BaseCriteriaFormSet, extra=0, can_delete=False)
