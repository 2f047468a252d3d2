"""The citizen's lookup PIN: what one looks like (issuing one is the node's job).

Six decimal digits: easy to read off a slip and type on a phone, and with the dossier code
a guess has one chance in a million; the city's public lookup (issue 12) must still limit
attempts. Decimal, so no letter can be misread (0/O, 1/l).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence

from rules.errors import DossierError

PIN_LENGTH = 6
_PIN = re.compile(rf"[0-9]{{{PIN_LENGTH}}}")


def is_lookup_pin(text: str) -> bool:
    return _PIN.fullmatch(text) is not None


class LookupRefused(DossierError):
    """No dossier has this code with this PIN. One answer for an unknown code and a wrong
    PIN alike, so a guess learns nothing about which codes exist."""

    def __init__(self) -> None:
        super().__init__("no dossier matches this code and PIN", "pin")


# Compared against when a code names no dossier, so that path does the same work.
_DECOY = "\x00" * PIN_LENGTH


def matching_index(pins: Sequence[str], given: str) -> int | None:
    """The index of the PIN in ``pins`` equal to ``given``, or None.

    Every candidate is compared in constant time (``hmac.compare_digest``), and a decoy when
    there is none, so an unknown code and a wrong PIN take the same time. A dossier without
    a PIN ("") never matches.
    """
    found: int | None = None
    for index, pin in enumerate(pins or [_DECOY]):
        equal = hmac.compare_digest(pin.encode(), given.encode())
        if equal and pins and pin and found is None:
            found = index
    return found
