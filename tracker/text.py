"""What typed text may hold: no control character but tab and line breaks.

A control character (U+0001–U+0008, U+000B, U+000C, U+000E–U+001F) is invisible on screen, usually
pasted in by accident, and cannot be written into an xlsx cell (the 公示 list, the exports and the
reports carry these names), so it is refused where text comes in — the API, the admin's forms and the
Excel imports — with a message naming the character. NUL (U+0000) keeps its own message: PostgreSQL
cannot store it at all. Tab, line feed and carriage return are ordinary text.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NUL_MESSAGE = _("不能包含空字符（NUL，\\u0000）。")
CONTROL_MESSAGE = _("不能包含控制字符（%(code)s，在屏幕上不可见，多由复制粘贴带入），请删去后重试。")

# The characters XML 1.0 (and so an xlsx cell) cannot hold, NUL included.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# How Excel writes one of them into a cell's text (U+000B as _x000B_); openpyxl hands it over as is.
XLSX_ESCAPED_CONTROL = re.compile("_x(00[01][0-9A-Fa-f])_")


def control_character_message(value: str, *, xlsx_escapes: bool = False) -> str | None:
    """The message for the first control character of ``value``, or None when it holds none.

    ``xlsx_escapes`` also reads Excel's escape of one (``_x000B_``) in a cell read by openpyxl.
    """
    match = CONTROL_CHARACTERS.search(value)
    if match is not None:
        char = match.group()
    elif xlsx_escapes and (escaped := _escaped_control(value)):
        char = escaped
    else:
        return None
    if char == "\x00":
        return str(NUL_MESSAGE)
    return str(CONTROL_MESSAGE % {"code": f"U+{ord(char):04X}"})


def _escaped_control(value: str) -> str | None:
    for match in XLSX_ESCAPED_CONTROL.finditer(value):
        char = chr(int(match.group(1), 16))
        if CONTROL_CHARACTERS.match(char):
            return char
    return None


def validate_no_control_characters(value) -> None:
    """A model field's validator (the admin's forms and the API's serializers run it)."""
    if isinstance(value, str) and (message := control_character_message(value)):
        raise ValidationError(message, code="control_characters")
