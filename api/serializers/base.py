"""The base of every API serializer: what a write may contain, checked once for all resources.

- A key the resource does not have is an error naming it (``niche_snce``), never silently dropped:
  dropping it loses the data the client meant to send.
- A NUL character in any string is refused with its own message, before any field looks it up
  (PostgreSQL cannot store or compare it, so a code lookup with one would fail in the database); any
  other control character likewise, naming it (tracker/text.py: an xlsx cell cannot hold one).
- A date that matches the format but does not exist (2026-02-30) says so, instead of "wrong format".
- A string field takes a string, a boolean field true or false, a whole number a number, a related
  object its code as a string or its id as a number: DRF's would take the JSON number 0 and store "0"
  or false, read "12" as 12, or look up the code "0" (a form, which sends only strings, keeps DRF's
  readings of "on", "1", "42"...). Money (a decimal) is a decimal string or a JSON number (api/schema.py).
- In JSON a related object is named or null: DRF reads "" as null (an HTML form's empty choice), so
  "parent": "" would quietly clear a relation; in JSON it is a code that names nothing.
"""

import datetime
import re
from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import relations, serializers

from tracker.text import control_character_message

# Keys a browser form adds to a write (the browsable API), not fields of any resource.
FORM_KEYS = frozenset({"csrfmiddlewaretoken"})
UNKNOWN_MESSAGE = _("未知字段：该资源没有此字段，请检查拼写。")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _control_message(value) -> str | None:
    """The message for the first control character anywhere in ``value`` (nested too), or None."""
    if isinstance(value, str):
        return control_character_message(value)
    if isinstance(value, dict):
        value = [part for pair in value.items() for part in pair]
    if isinstance(value, list | tuple):
        return next((m for m in map(_control_message, value) if m), None)
    return None


def check_keys(fields, data) -> None:
    """Raise a ValidationError naming each unknown key and each key whose value holds a control character."""
    if not hasattr(data, "keys"):
        return
    errors = {}
    for key in data.keys():  # noqa: SIM118 (a QueryDict is not iterated like a dict)
        if key in FORM_KEYS:
            continue
        if message := _control_message(key):
            errors[repr(key)[1:-1]] = [message]
        elif key not in fields:
            errors[key] = [UNKNOWN_MESSAGE]
        elif message := _control_message(data.getlist(key) if hasattr(data, "getlist") else data[key]):
            errors[key] = [message]
    if errors:
        raise serializers.ValidationError(errors)


class DateField(serializers.DateField):
    """An ISO date; a well-formed date that is not in the calendar is named as such."""

    default_error_messages = {
        "not_a_date": _("“{value}”格式正确，但日历上没有这一天（不存在的日期）。"),
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and (match := _ISO_DATE.match(value.strip())):
            try:
                datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                self.fail("not_a_date", value=value.strip())
        return super().to_internal_value(value)


class StringOnlyMixin:
    """A string field that refuses a number (DRF converts 0 to "0" where a name or 文号 belongs)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CharField(StringOnlyMixin, serializers.CharField):
    pass


class RegexField(StringOnlyMixin, serializers.RegexField):
    pass


class SlugField(StringOnlyMixin, serializers.SlugField):
    pass


def from_form(field) -> bool:
    """Whether the body being read is an HTML form's (the browsable API's), where every value is a string."""
    return hasattr(getattr(field.root, "initial_data", None), "getlist")


class BooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if from_form(self):  # an HTML form's "on", "true"
            return super().to_internal_value(data)
        self.fail("invalid")


class ManyRelatedField(relations.ManyRelatedField):
    """A list of related objects is a list: DRF's takes a JSON object too (and reads its keys)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class ManyAsListMixin:
    @classmethod
    def many_init(cls, *args, **kwargs):
        many = {"child_relation": cls(*args, **kwargs)}
        many.update({key: value for key, value in kwargs.items() if key in relations.MANY_RELATION_KWARGS})
        return ManyRelatedField(**many)


class IntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        whole = isinstance(data, int) or (isinstance(data, float) and data.is_integer())
        if (isinstance(data, bool) or not whole) and not from_form(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class SlugRelatedField(ManyAsListMixin, StringOnlyMixin, serializers.SlugRelatedField):
    pass


class PrimaryKeyRelatedField(ManyAsListMixin, serializers.PrimaryKeyRelatedField):
    """An id as a JSON number (a tier's key, its code, as a string), or a form's string."""

    def to_internal_value(self, data):
        numeric = isinstance(self.get_queryset().model._meta.pk, models.IntegerField)
        expected = int if numeric else str
        if not from_form(self) and (isinstance(data, bool) or not isinstance(data, expected)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


def check_empty_relations(fields, data) -> None:
    """In a JSON body, refuse "" for a related object (a form's "" stays its empty choice)."""
    if not isinstance(data, dict) or hasattr(data, "getlist"):
        return
    errors = {}
    for name, field in fields.items():
        if data.get(name) == "" and isinstance(field, relations.RelatedField) and not field.read_only:
            message = field.error_messages["does_not_exist"]
            errors[name] = [message.format(value="", pk_value="", slug_name=getattr(field, "slug_field", ""))]
    if errors:
        raise serializers.ValidationError(errors)


class StrictSerializerMixin:
    def to_internal_value(self, data):
        check_keys(self.fields, data)
        check_empty_relations(self.fields, data)
        return super().to_internal_value(data)


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    serializer_related_field = PrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.BigIntegerField: IntegerField,
        models.BooleanField: BooleanField,
        models.IntegerField: IntegerField,
        models.PositiveBigIntegerField: IntegerField,
        models.PositiveIntegerField: IntegerField,
        models.PositiveSmallIntegerField: IntegerField,
        models.SmallIntegerField: IntegerField,
        models.CharField: CharField,
        models.SlugField: SlugField,
        models.TextField: CharField,
    }
