"""Reading a TOML settings file into frozen Structs, with errors that name the file and key.

Both sites' config files (``settings/node.py``, ``settings/city.py``) load through here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import msgspec

T = TypeVar("T")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message says where."""


def decode_file(path: Path, kind: type[T], missing: str) -> T:
    """A TOML settings file into ``kind``; errors name the file (and the key, from msgspec).

    ``missing`` tells the operator how to create the file when there is none.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {missing}") from None
    try:
        return msgspec.toml.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
