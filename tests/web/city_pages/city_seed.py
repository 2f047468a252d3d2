"""Dossiers of two communes replicated into a city runtime, for the dossier pages' tests.

``xa-an-binh`` holds two dossiers received on 2027-02-01 (a marriage registration with a
file held at the city, and a birth registration by an applicant whose name is a spreadsheet
formula); ``phuong-hoa-binh`` holds one received 30 days before the test, overdue by now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import msgspec

from central.runtime import CentralRuntime
from rules.clock import to_utc_iso, utc_now
from rules.event_kinds import decode_body, encode_body
from sync import wire
from tests.central.fake_node import FakeNode

AN_BINH = "xa-an-binh"
HOA_BINH = "phuong-hoa-binh"
FILE_BYTES = b"<html><script>alert(1)</script></html>"  # what a browser must never render
#: A calendar and a catalog file as the push page takes them.
CALENDAR = b"""
year = 2027
[[day]]
date = 2027-02-04
kind = "holiday"
name = "Ngh\xe1\xbb\x89 b\xc3\xb9"
"""
CATALOG = b"""
[[procedure]]
code = "1.001193"
version = 1
name = "\xc4\x90\xc4\x83ng k\xc3\xbd khai sinh"
field = "H\xe1\xbb\x99 t\xe1\xbb\x8bch"
time_limit = 3
time_unit = "working_days"
online_level = "full"
components = ["T\xe1\xbb\x9d khai"]
"""
FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'


@dataclass(frozen=True)
class Seeded:
    marriage: str  # dossier ids
    birth: str
    overdue: str
    sha256: str  # the marriage dossier's file, held at the city
    missing_sha256: str  # a file the birth dossier names, not yet at the city


def _rewrite_last(node: FakeNode, **fields: object) -> None:
    record = node.log[-1]
    body = msgspec.structs.replace(decode_body(record.body), **fields)
    node.log[-1] = msgspec.structs.replace(record, body=encode_body(body))


def _replicate(runtime: CentralRuntime, node: FakeNode) -> None:
    out = runtime.handler.handle(*node.batch(1, len(node.log)))
    assert isinstance(out[0].message, wire.EventAck), out


def seed(runtime: CentralRuntime) -> Seeded:
    an_binh = FakeNode(AN_BINH)
    marriage = an_binh.receive(name="Nguyễn Văn Đức")
    sha = an_binh.attach(marriage, FILE_BYTES)
    _rewrite_last(an_binh, filename="giay-to.html", mime="text/html")
    birth = an_binh.receive(name=FORMULA_NAME)
    _rewrite_last(an_binh, procedure_code="1.001193", procedure_name="Đăng ký khai sinh")
    missing = an_binh.attach(birth, b"not sent yet")
    _replicate(runtime, an_binh)
    at = to_utc_iso(utc_now())
    runtime.blobs.offer(sha, len(FILE_BYTES), at)
    runtime.blobs.chunk(sha, len(FILE_BYTES), 0, FILE_BYTES, at)
    hoa_binh = FakeNode(HOA_BINH, start=utc_now() - timedelta(days=30))
    overdue = hoa_binh.receive(name="Trần Thị Lan")
    _replicate(runtime, hoa_binh)
    return Seeded(marriage, birth, overdue, sha, missing)
