"""The JSON parser of every API write: a body that is not JSON, or nested absurdly deep, is a 400.

DRF's parser reports only ``ValueError`` (in English, with Python's wording); a body nested a thousand
levels deep raises ``RecursionError`` inside ``json.load`` and became a 500.
"""

import codecs
import json

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.utils.json import strict_constant

# No resource nests deeper than a handful of levels (a simulation: request → metrics list → row).
MAX_DEPTH = 32


def depth_exceeds(data, limit: int) -> bool:
    """Whether ``data`` nests deeper than ``limit`` lists/objects (iterative: no recursion to overflow)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return False


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            data = json.load(codecs.getreader(encoding)(stream), parse_constant=strict_constant)
        except RecursionError:
            raise ParseError(_("请求体嵌套层数过多（不超过 %(limit)d 层）。") % {"limit": MAX_DEPTH}) from None
        except json.JSONDecodeError as exc:
            raise ParseError(
                _("请求体不是有效的 JSON：第 %(line)d 行第 %(column)d 列附近有语法错误。")
                % {"line": exc.lineno, "column": exc.colno}
            ) from None
        except ValueError:  # undecodable bytes, or NaN/Infinity (not JSON)
            raise ParseError(_("请求体不是有效的 JSON（须为 UTF-8 编码，且不含 NaN、Infinity）。")) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_("请求体嵌套层数过多（不超过 %(limit)d 层）。") % {"limit": MAX_DEPTH})
        return data
