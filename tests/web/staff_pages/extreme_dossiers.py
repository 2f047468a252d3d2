"""Dossiers received with the longest input the API accepts, for the print and layout tests.

Every limit is read from the request Structs themselves (``PersonIn``, ``ReceiveRequest``,
``TransitionRequest``), so a limit raised there is exercised here without an edit; each
value is checked to be accepted as it is and refused one character longer.

Two kinds of text fill the fields: ``spaced`` Vietnamese words (every tone mark on every
vowel, đ; names in small letters and in capitals), and ``unbroken`` single words as long as a
field allows, which a browser cannot wrap at a space. After a fixed start (every letter
once), the words or letters are drawn at random from a seeded generator: the same text on
every run, which nobody chose. The catalog entry of each is made for the test: the catalog
sets no limit on a procedure's name (only the event's 256 KiB), so its name is
``PROCEDURE_NAME_CHARS`` long, about the longest national procedure names; its components
are as many and as long as a dossier may carry.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import tomli_w

from node.dossier_service import PersonIn, ReceiveRequest
from rules.clock import from_utc_iso
from rules.transitions import TransitionRequest
from tests.support.live_node import LiveNode

PROCEDURE_NAME_CHARS = 400
# A 35-character agency code (the longest settings.node accepts): the default code pattern
# then gives 47-character dossier codes, near MAX_CODE_LENGTH, and the largest slip QR.
LONG_AGENCY = "000.00.15.H42.A1B2C3D4.E5F6G7H8.9JK"


def _fields(struct: type[msgspec.Struct]) -> dict[str, Any]:
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.name: f.type for f in info.fields}


def _max_chars(t: Any) -> int:
    """A string type's limit: its max_length, or the bound of a ``{0,N}`` pattern."""
    if t.max_length is not None:
        return int(t.max_length)
    found = re.search(r"\{0,(\d+)\}\$$", t.pattern or "")
    assert found, f"no length limit in {t!r}"
    return int(found.group(1))


_PERSON = _fields(PersonIn)
_RECEIVE = _fields(ReceiveRequest)
NAME_MAX = _max_chars(_PERSON["full_name"])
ADDRESS_MAX = _max_chars(_PERSON["address"])
PHONE_MAX = _max_chars(_PERSON["phone"])
ID_MAX = _max_chars(_PERSON["id_number"])
COMPONENTS_MAX = int(_RECEIVE["components"].max_length)
COMPONENT_MAX = _max_chars(_RECEIVE["components"].item_type)
NOTE_MAX = _max_chars(_fields(TransitionRequest)["note"])

# Every Vietnamese vowel with every tone mark (none, huyền, sắc, hỏi, ngã, nặng), and đ.
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
LETTERS = "".join(unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in _TONES)
LETTERS += "đ"
CAPITALS = LETTERS.upper()  # the widest glyphs: the hardest to fit on a line


# Syllables of names and words, for text that reads as Vietnamese.
_SYLLABLE_TEXT = (
    "Nguyễn Thị Ngọc Ánh Hoàng Phương Trần Đặng Quỳnh Hương Lê Bảo Ẩn Mỹ Phạm Huỳnh Võ Đỗ "
    "Bùi Dương Lý Khuê Thủy Tuyết Nhung Yến Thảo Hằng Đức Mạnh Cường Tuấn Kiệt Dũng Hiếu "
    "Nghĩa Quốc Việt Xuân Thu Đông Bích Diễm Huệ Lụa Nguyệt Ưng Khởi Ngữ Vỹ Trưởng Quyển "
    "Giữa Chiến Thắng Ẵm Ổi Ổn Ở Ợt Ỷ Ễnh Ững Ựa Ỗng Ẫn Ẳng Ặt Ẹp Ỡm Ỹ Ỵ Ẽ Ữu Ừ Ửa"
)
SYLLABLES = _SYLLABLE_TEXT.split()


def fill(rng: random.Random, start: str, units: list[str], gap: str, limit: int) -> str:
    """``start``, then units drawn at random joined by ``gap``, cut at exactly ``limit``
    characters, with no blank at either end (the service strips those, and the text printed
    would be shorter than the limit). Drawn, not repeated: a repeating text wraps into lines
    identical to the one above, which pdfium's text extraction drops as an overprint (a fake
    bold), and the field would read as missing from a PDF that prints it whole."""
    text = start
    while len(text) <= limit:
        text += gap + rng.choice(units)
    text = text[:limit]
    return text[:-1] + "Ư" if text[-1].isspace() else text


def _words(letters: str, size: int) -> str:
    return " ".join(letters[i : i + size] for i in range(0, len(letters), size))


class Extreme(msgspec.Struct, frozen=True):
    """The text of one kind, field by field."""

    kind: str
    procedure_code: str
    procedure_name: str
    applicant: dict[str, str]
    proxy: dict[str, str]
    components: list[str]
    notes: dict[str, str]  # action -> its note

    def printed_fields(self) -> list[str]:
        """What the forms print of the dossier (no identity number: no form prints it)."""
        people = [self.applicant[k] for k in ("full_name", "address", "phone")]
        return [*people, self.proxy["full_name"], self.procedure_name]


def extreme(kind: str) -> Extreme:
    spaced = kind == "spaced"
    rng = random.Random(kind)  # the same text on every run
    if spaced:
        gap, units, capitals = " ", SYLLABLES, [w.upper() for w in SYLLABLES]
        letters, caps = _words(LETTERS, 7), _words(CAPITALS, 7)
        name, proxy_name = "Nguyễn Thị Ngọc Ánh Hoàng Phương", caps  # a name in capitals
        phone = "+84 (0) 912.345-6789"
    else:
        gap, units, capitals = "", list(LETTERS), list(CAPITALS)
        letters, caps = LETTERS, CAPITALS
        name, proxy_name = "NguyễnThịNgọcÁnhHoàngPhương", CAPITALS
        phone = "+84(0)912.345.678-99"
    assert len(phone) == PHONE_MAX, f"the phone limit is now {PHONE_MAX}"

    def text(start: str, limit: int, upper: bool = False) -> str:
        return fill(rng, start, capitals if upper else units, gap, limit)

    def person(full_name: str, address: str, upper: bool) -> dict[str, str]:
        return {
            "full_name": text(full_name, NAME_MAX, upper),
            "id_number": fill(rng, "079", list("0123456789ABCDEFXYZ"), "", ID_MAX),
            "phone": phone,
            "address": text(address, ADDRESS_MAX, upper),
        }

    # Numbered, so that each one's text is its own (a missing one cannot hide behind another).
    components = [
        text(f"Giấy{gap}tờ{gap}số{gap}{i:03}", COMPONENT_MAX, upper=i % 2 == 0)
        for i in range(1, COMPONENTS_MAX + 1)
    ]
    notes = {
        action: text(f"{label}.{gap}{caps}{gap}{letters}", NOTE_MAX, upper=True)
        for action, label in (
            ("request_supplement", f"Bổ{gap}sung"),
            ("reschedule", f"Lý{gap}do{gap}chậm"),
            ("refuse", f"Từ{gap}chối"),
        )
    }
    if spaced:  # a note keeps its line breaks on the form (white-space: pre-wrap)
        notes = {a: n[:400] + "\n" + n[401:800] + "\n\n" + n[802:] for a, n in notes.items()}
    return Extreme(
        kind,
        "9.999901" if spaced else "9.999902",
        text(f"Thủ{gap}tục{gap}thử{gap}nghiệm{gap}{caps}", PROCEDURE_NAME_CHARS),
        person(name, letters, upper=False),
        person(proxy_name, caps, upper=True),
        components,
        notes,
    )


def check_at_limits(x: Extreme) -> None:
    """Each value is accepted as it is and refused one character longer: the longest."""
    body = receive_body(x)
    msgspec.convert(body, ReceiveRequest)
    for who in ("applicant", "proxy"):
        for field in ("full_name", "address", "phone", "id_number"):
            longer = {**body[who], field: body[who][field] + "1"}
            try:
                msgspec.convert({**body, who: longer}, ReceiveRequest)
            except msgspec.ValidationError:
                continue
            raise AssertionError(f"{who}.{field} is not at its limit")
    for bad in ([*x.components, "x"], [x.components[0] + "x"]):
        try:
            msgspec.convert({**body, "components": bad}, ReceiveRequest)
        except msgspec.ValidationError:
            continue
        raise AssertionError("the components are not at their limits")
    for note in x.notes.values():
        assert len(note) == NOTE_MAX, len(note)
        msgspec.convert({"action": "refuse", "note": note}, TransitionRequest)


def write_catalog(path: Path, kinds: list[Extreme]) -> Path:
    """A catalog file of one procedure per kind, whose components are the dossier's."""
    entries = [
        {
            "code": x.procedure_code,
            "version": "1",
            "name": x.procedure_name,
            "field": "Thử nghiệm",
            "time_limit": 5,
            "time_unit": "working_days",
            "online_level": "none",
            "components": x.components,
        }
        for x in kinds
    ]
    path.write_text(tomli_w.dumps({"procedure": entries}), encoding="utf-8")
    return path


def receive_body(x: Extreme) -> dict[str, Any]:
    return {
        "procedure_code": x.procedure_code,
        "channel": "in_person",
        "applicant": x.applicant,
        "proxy": x.proxy,
        "components": x.components,
    }


def _post(client: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code in (200, 201), f"{url}: {response.text}"
    result: dict[str, Any] = response.json()
    return result


def receive_and_refuse(node: LiveNode, tokens: dict[str, str], x: Extreme) -> dict[str, Any]:
    """Received (form 01), asked for a supplement (02), the supplement completed, a new
    appointment with an apology (04), refused after review (03): each step by the role the
    rules give it. The dossier as received (its code and PIN)."""

    def client(role: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        return httpx.Client(base_url=node.url, headers=headers, timeout=30)

    with client("reception") as reception, client("leader") as leader:
        received = _post(reception, "/api/v1/dossiers", receive_body(x))
        steps = f"/api/v1/dossiers/{received['id']}/transitions"
        note = x.notes["request_supplement"]
        _post(reception, steps, {"action": "request_supplement", "note": note})
        resumed = _post(reception, steps, {"action": "complete_supplement"})
        later = from_utc_iso(resumed["due_at"]) + timedelta(days=7)
        note = x.notes["reschedule"]
        _post(leader, steps, {"action": "reschedule", "note": note, "due_at": later.isoformat()})
        _post(leader, steps, {"action": "refuse", "note": x.notes["refuse"]})
    return received
