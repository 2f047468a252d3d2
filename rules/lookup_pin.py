"""The citizen's lookup PIN: what one looks like (issuing one is the node's job).

Six decimal digits: easy to read off a slip and type on a phone, and with the dossier code
a guess has one chance in a million; the city's public lookup (issue 12) must still limit
attempts. Decimal, so no letter can be misread (0/O, 1/l).
"""

from __future__ import annotations

import re

PIN_LENGTH = 6
_PIN = re.compile(rf"[0-9]{{{PIN_LENGTH}}}")


def is_lookup_pin(text: str) -> bool:
    return _PIN.fullmatch(text) is not None
