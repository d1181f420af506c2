"""A model field's own validators, applied to a whole column at once.

The importer does not restate what a field accepts: it reads the field's validators. Bounds
(MinValueValidator, MaxValueValidator, the integer range of a PositiveIntegerField, DecimalField's
digits) compare the NumPy column against the validator's own limit and report the validator's own
message; any other validator (a regex, the USCC shape) is called on each distinct value present.
"""

from __future__ import annotations

import numpy as np
from django.core.exceptions import ValidationError
from django.core.validators import BaseValidator, DecimalValidator
from django.db import models

from tracker.models.row_rules import present


def field_violations(field: models.Field, values: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(rows that break it, message) for each of the field's validators that some row breaks."""
    found = []
    has = present(values)
    if not has.any():
        return found
    for validator in _validators(field):
        if isinstance(validator, BaseValidator) and values.dtype.kind == "f":
            limit = validator.limit_value() if callable(validator.limit_value) else validator.limit_value
            with np.errstate(invalid="ignore"):
                broken = has & np.asarray(validator.compare(values, float(limit)), dtype=bool)
            message = validator.message % {"limit_value": limit, "show_value": ""}
        elif isinstance(validator, DecimalValidator) and values.dtype.kind == "f":
            # Values are rounded to the field's decimal places when stored; the whole digits must fit.
            whole = validator.max_digits - validator.decimal_places
            with np.errstate(invalid="ignore"):
                broken = has & (np.abs(values) >= 10.0**whole)
            message = validator.messages["max_whole_digits"] % {"max": whole}
        else:
            found.extend(_per_value(validator, values, has))
            continue
        if broken.any():
            found.append((broken, str(message)))
    return found


def _validators(field: models.Field):
    validators = list(field.validators)
    if isinstance(field, models.DecimalField) and not any(isinstance(v, DecimalValidator) for v in validators):
        validators.append(DecimalValidator(field.max_digits, field.decimal_places))
    return validators


def _per_value(validator, values: np.ndarray, has: np.ndarray) -> list[tuple[np.ndarray, str]]:
    by_message: dict[str, list] = {}
    for value in set(values[has].tolist()):
        try:
            validator(value)
        except ValidationError as error:
            by_message.setdefault(error.messages[0], []).append(value)
    return [(has & np.isin(values, failing), message) for message, failing in by_message.items()]
