"""The dotted keys of a settings Struct, for tests that check the README documents each."""

from __future__ import annotations

import msgspec


def struct_keys(struct: type[msgspec.Struct], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for field in msgspec.structs.fields(struct):
        kind = field.type
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            keys += struct_keys(kind, f"{prefix}{field.name}.")
        else:
            keys.append(f"{prefix}{field.name}")
    return keys
