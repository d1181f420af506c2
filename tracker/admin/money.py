"""Money entered as staff read it: in 万元, stored in 元.

Figures are stored in yuan with two decimals (the API's contract). On the admin's forms a money field
shows and takes 万元 — the unit of every list, export and import template — with up to six decimals,
so a stored amount round-trips exactly and a form saved unchanged changes nothing.
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.db import models

WAN = Decimal("10000")
CENT = Decimal("0.01")


class WanYuanField(forms.DecimalField):
    """A yuan amount on a form, in 万元."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "any"}))
        super().__init__(max_digits=22, decimal_places=6, **kwargs)

    def prepare_value(self, value):
        # The stored value (yuan, a Decimal) is shown in 万元; what the user typed is shown as typed.
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            wan = Decimal(value) / WAN
            return format(wan.quantize(Decimal("0.000001")).normalize(), "f")
        return value

    def to_python(self, value):
        wan = super().to_python(value)
        if wan is None:
            return None
        try:
            return (wan * WAN).quantize(CENT)
        except InvalidOperation as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error

    def validate(self, value):
        forms.Field.validate(self, value)  # digits are the model field's to check, in yuan


def is_yuan(db_field) -> bool:
    """A money field in yuan (``tracker.models.metrics.money``), not a dollar amount."""
    return (
        isinstance(db_field, models.DecimalField)
        and db_field.max_digits == 18
        and db_field.decimal_places == 2
        and not db_field.name.endswith("_usd")
    )


class WanYuanFormMixin:
    """A ModelAdmin or inline whose yuan fields are entered in 万元."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_yuan(db_field):
            label = str(db_field.verbose_name).replace("（元）", "")
            return WanYuanField(
                label=f"{label}（万元）", required=False, help_text=db_field.help_text, validators=db_field.validators
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)
