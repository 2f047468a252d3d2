"""The reception form's fields to a ``ReceiveRequest``, or the Vietnamese message per field.

The limits are the service's own (``ReceiveRequest``/``PersonIn``, checked by msgspec): the
page adds only what a form must say before the service is asked (a blank required field).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar.datastructures import FormMultiDict

from node.dossier_service import CHANNELS, ReceiveRequest
from web.page_kit.i18n import vi
from web.staff_pages.page_errors import FIELD_MESSAGES, GENERAL

PERSON_KEYS = ("full_name", "id_number", "phone", "address")
TEXT_FIELDS = (
    "procedure_q",
    "details_for",  # the procedure whose checklist the form showed (hidden)
    "procedure_code",
    "channel",
    *(f"applicant.{k}" for k in PERSON_KEYS),
    *(f"proxy.{k}" for k in PERSON_KEYS),
)
CHANNEL_LABELS: dict[str, str] = {
    "in_person": vi("Trực tiếp"),
    "online": vi("Trực tuyến"),
    "post": vi("Qua bưu chính"),
}
MAX_TEXT = 1000  # longer than any field allows; the service's limit gives the message
_PATH = re.compile(r"at `\$\.([a-z_]+)(?:\.([a-z_]+))?")


class ReceptionInput(msgspec.Struct):
    values: dict[str, str]  # every text field as typed, for the form to show again
    components: list[str]  # the ticked checklist items


def read_form(form: FormMultiDict) -> ReceptionInput:
    values = {name: str(form.get(name, ""))[:MAX_TEXT] for name in TEXT_FIELDS}
    values["channel"] = values["channel"] or "in_person"
    components = [str(c)[:MAX_TEXT] for c in form.getall("components", [])][:200]
    return ReceptionInput(values, components)


def _person(values: dict[str, str], who: str) -> dict[str, str]:
    return {k: values[f"{who}.{k}"].strip() for k in PERSON_KEYS}


def to_request(data: ReceptionInput) -> tuple[ReceiveRequest | None, dict[str, str]]:
    """The request, or None and {field: Vietnamese message}."""
    values = data.values
    errors: dict[str, str] = {}
    if not values["procedure_code"].strip():
        errors["procedure_code"] = FIELD_MESSAGES["procedure_code"]
    if values["channel"] not in CHANNELS:
        errors["channel"] = FIELD_MESSAGES["channel"]
    applicant = _person(values, "applicant")
    proxy = _person(values, "proxy")
    if not applicant["full_name"]:
        errors["applicant.full_name"] = vi("Nhập họ và tên người nộp hồ sơ.")
    if any(proxy.values()) and not proxy["full_name"]:
        errors["proxy.full_name"] = vi("Nhập họ và tên người được ủy quyền, hoặc để trống cả mục.")
    if errors:
        return None, errors
    raw: dict[str, Any] = {
        "procedure_code": values["procedure_code"].strip(),
        "channel": values["channel"],
        "applicant": applicant,
        "components": data.components,
    }
    if any(proxy.values()):
        raw["proxy"] = proxy
    try:
        return msgspec.convert(raw, ReceiveRequest), {}
    except msgspec.ValidationError as exc:
        return None, {_field_of(str(exc)): _message_of(str(exc))}


def _field_of(message: str) -> str:
    found = _PATH.search(message)
    if found is None:
        return GENERAL
    return ".".join(p for p in found.groups() if p)


def _message_of(message: str) -> str:
    return FIELD_MESSAGES.get(_field_of(message), vi("Dữ liệu nhập không hợp lệ."))
