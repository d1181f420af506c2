"""Vectorised 统一社会信用代码 for demo enterprises, using the weights and alphabet of ``tracker.uscc``.

Layout: ``9`` ``1`` (market regulator, enterprise) + the 6-digit region code + a 9-character
organisation code + the GB 32100 check character. The organisation code is ``DM`` (the demo marker,
which ``--replace`` relies on) + 6 characters encoding the serial + its own GB 11714 check character.
The 6 characters are ``serial * 31 + jitter`` in base 31 over the GB 32100 alphabet, which sorts in
ASCII order, so the largest serial in the database is one ``MAX()`` away.
"""

from __future__ import annotations

import numpy as np

from tracker import uscc

DEMO_MARKER = "DM"
SERIAL_WIDTH = 6
SERIAL_STRIDE = 31
MAX_SERIAL = 31**SERIAL_WIDTH // SERIAL_STRIDE - 1

_CHARSET = np.frombuffer(uscc.CHARSET.encode(), dtype=np.uint8)
_GB11714_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GB11714_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def _values(chars: np.ndarray, alphabet: str) -> np.ndarray:
    """Character codes (uint8 matrix) → their values in ``alphabet``."""
    lookup = np.full(128, -1, dtype=np.int64)
    for i, ch in enumerate(alphabet):
        lookup[ord(ch)] = i
    return lookup[chars]


def demo_usccs(region_codes: np.ndarray, serials: np.ndarray, jitter: np.ndarray) -> np.ndarray:
    """USCCs (array of 18-byte ``S18``) for regions (``S6``), unique serials and jitter in [0, 31)."""
    if serials.size and int(serials.max()) > MAX_SERIAL:
        raise ValueError(f"demo USCC serials exhausted ({MAX_SERIAL + 1:,})")
    n = serials.size
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, 0], chars[:, 1] = ord("9"), ord("1")
    chars[:, 2:8] = np.frombuffer(region_codes.astype("S6").tobytes(), dtype=np.uint8).reshape(n, 6)
    chars[:, 8], chars[:, 9] = ord(DEMO_MARKER[0]), ord(DEMO_MARKER[1])
    number = serials.astype(np.int64) * SERIAL_STRIDE + jitter
    for position in range(15, 9, -1):
        chars[:, position] = _CHARSET[number % 31]
        number //= 31
    inner = _values(chars[:, 8:16], _GB11714_ALPHABET) @ _GB11714_WEIGHTS
    inner_check = (11 - inner % 11) % 11  # 10 → "X", 11 → "0"
    chars[:, 16] = np.where(inner_check == 10, ord("X"), np.array([ord(c) for c in "0123456789X"])[inner_check])
    total = _values(chars[:, :17], uscc.CHARSET) @ np.array(uscc.WEIGHTS, dtype=np.int64)
    chars[:, 17] = _CHARSET[(31 - total % 31) % 31]
    return chars.reshape(-1).view("S18")


def serial_of(code: str) -> int:
    """The serial encoded in a demo USCC (inverse of :func:`demo_usccs`, jitter dropped)."""
    number = 0
    for ch in code[10:16]:
        number = number * 31 + uscc.CHARSET.index(ch)
    return number // SERIAL_STRIDE
