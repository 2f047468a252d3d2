"""The lookup form's input: a dossier code and a PIN, checked before anything is read, each
fault said in words next to its field."""

from __future__ import annotations

import msgspec

from rules.lookup_pin import PIN_LENGTH, is_lookup_pin

MAX_CODE_LENGTH = 50  # as node.dossier_service issues them


class LookupInput(msgspec.Struct, frozen=True):
    code: str
    pin: str
    errors: dict[str, str]  # field -> what is wrong (Vietnamese); empty when both are fine

    @property
    def blank(self) -> bool:
        return not self.code and not self.pin


def read_lookup_input(code: str | None, pin: str | None) -> LookupInput:
    """The two fields trimmed (spaces inside a PIN dropped: "123 456" is typed from the slip)."""
    code = (code or "").strip()
    pin = "".join((pin or "").split())
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = "Xin nhập mã hồ sơ (in trên giấy tiếp nhận)."
    elif len(code) > MAX_CODE_LENGTH or not code.isprintable():
        errors["code"] = (
            f"Mã hồ sơ không hợp lệ: tối đa {MAX_CODE_LENGTH} ký tự, không có ký tự điều khiển."
        )
    if not pin:
        errors["pin"] = "Xin nhập mã tra cứu (in trên giấy tiếp nhận)."
    elif not is_lookup_pin(pin):
        errors["pin"] = f"Mã tra cứu gồm đúng {PIN_LENGTH} chữ số."
    # What was typed is shown back in the form, bounded so a long query cannot bloat the page.
    return LookupInput(code[: MAX_CODE_LENGTH * 2], pin[: PIN_LENGTH * 2], errors)
