"""统一社会信用代码 (USCC) checks, GB 32100-2015.

Pure functions so the model validators, the API, the importer and the demo generator share one
implementation. Algorithm: GB 32100-2015 (weights 3^i mod 31 over the 31-symbol set below);
test vectors in tests/test_uscc.py.
"""

import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: I, O, S, V, Z are never used
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}


def normalize(code: str) -> str:
    return (code or "").strip().upper()


def has_valid_shape(code: str) -> bool:
    """18 characters from the GB 32100 character set, with a 6-digit region code at positions 3–8."""
    return bool(_SHAPE.match(code))


def check_character(first17: str) -> str:
    """The 18th character for the given first 17 (which must use the GB 32100 character set)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def has_valid_check_digit(code: str) -> bool:
    return has_valid_shape(code) and check_character(code[:17]) == code[17]


def region_code(code: str) -> str:
    """The GB/T 2260 code of the registering authority (positions 3–8)."""
    return code[2:8]
