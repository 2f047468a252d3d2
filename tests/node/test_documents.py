"""Documents: content-addressed, byte-identical, stored once, streamed; bad uploads leave none."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from node.runtime import NodeRuntime
from tests.node.helpers import Client, counts, create, create_body
from tests.support.accounts import api_client
from tests.support.live_node import LiveNode

# A tiny signed-PDF stand-in: what matters is that not one byte changes.
SIGNED_PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n/ByteRange [0 10 20 30]\r\n"


def upload(client: Client, dossier_id: str, data: bytes, **fields: str) -> httpx.Response:
    return client.post(
        f"/api/v1/dossiers/{dossier_id}/documents",
        files={"file": ("Giấy chứng nhận.pdf", data, "application/pdf")},
        data=fields,
    )


def stray_files(rt: NodeRuntime) -> list[Path]:
    return [p for p in (rt.blobs.root / "tmp").iterdir()]


def test_upload_is_content_addressed_and_byte_identical(
    client: Client, runtime: NodeRuntime
) -> None:  # type: ignore[type-arg]
    d = create(client)
    r = upload(client, d["id"], SIGNED_PDF, role="result", copy_kind="electronic")
    assert r.status_code == 201, r.text
    doc = r.json()["documents"][0]
    sha = hashlib.sha256(SIGNED_PDF).hexdigest()
    assert doc["sha256"] == sha and doc["size"] == len(SIGNED_PDF)
    assert doc["mime"] == "application/pdf" and doc["role"] == "result"
    assert doc["copy_kind"] == "electronic" and doc["filename"] == "Giấy chứng nhận.pdf"
    assert runtime.blobs.path_for(sha).read_bytes() == SIGNED_PDF
    got = client.get(doc["url"])
    assert got.status_code == 200 and got.content == SIGNED_PDF
    assert got.headers["content-type"].startswith("application/pdf")
    events = client.get(f"/api/v1/dossiers/{d['id']}").json()["events"]
    attached = [e for e in events if e["kind"] == "document_attached"]
    assert attached[0]["body"]["sha256"] == sha and attached[0]["body"]["size"] == len(SIGNED_PDF)


def test_same_bytes_twice_are_stored_once(client: Client, runtime: NodeRuntime) -> None:
    a, b = create(client), create(client)
    assert upload(client, a["id"], SIGNED_PDF).status_code == 201
    assert upload(client, b["id"], SIGNED_PDF).status_code == 201
    assert upload(client, b["id"], SIGNED_PDF, role="supplement").status_code == 201
    _, _, documents, blobs = counts(runtime)
    assert (documents, blobs) == (3, 1)
    files = [p for p in runtime.blobs.root.rglob("*") if p.is_file() and p.parent.name != "tmp"]
    assert len(files) == 1


def test_type_comes_from_the_bytes_not_the_claim(client: Client) -> None:
    d = create(client)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    r = client.post(
        f"/api/v1/dossiers/{d['id']}/documents",
        files={"file": ("scan.pdf", png, "application/pdf")},
    )
    assert r.json()["documents"][0]["mime"] == "image/png"


@pytest.mark.parametrize(
    ("fields", "data", "status", "field"),
    [
        ({"role": "selfie"}, SIGNED_PDF, 400, "role"),
        ({"copy_kind": "photocopy"}, SIGNED_PDF, 400, "copy_kind"),
        ({}, b"", 400, "file"),
    ],
    ids=["bad-role", "bad-copy-kind", "empty-file"],
)
def test_bad_upload_leaves_nothing(
    client: Client,
    runtime: NodeRuntime,
    fields: dict[str, str],
    data: bytes,
    status: int,
    field: str,
) -> None:
    d = create(client)
    before = counts(runtime)
    r = upload(client, d["id"], data, **fields)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
    assert counts(runtime) == before
    assert not runtime.blobs.has(hashlib.sha256(data).hexdigest())
    assert stray_files(runtime) == []


def test_upload_without_file_part_or_not_multipart(client: Client, runtime: NodeRuntime) -> None:  # type: ignore[type-arg]
    d = create(client)
    before = counts(runtime)
    r = client.post(
        f"/api/v1/dossiers/{d['id']}/documents",
        data={"role": "component"},
        files={"other": ("x", b"abc")},
    )
    assert r.status_code == 400 and r.json()["field"] == "file"
    r = client.post(f"/api/v1/dossiers/{d['id']}/documents", json={"file": "abc"})
    assert r.status_code == 400 and "multipart" in r.json()["detail"]
    r = client.post(
        f"/api/v1/dossiers/{d['id']}/documents",
        content=b"--xx\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=xx"},
    )
    assert r.status_code == 400 and "multipart" in r.json()["detail"]
    assert counts(runtime) == before
    assert stray_files(runtime) == []


def test_upload_to_unknown_dossier_is_404_and_keeps_no_bytes(
    client: Client, runtime: NodeRuntime
) -> None:  # type: ignore[type-arg]
    before = counts(runtime)
    r = upload(client, "01900000-0000-7000-8000-000000000000", SIGNED_PDF)
    assert r.status_code == 404
    assert counts(runtime) == before
    assert not runtime.blobs.has(hashlib.sha256(SIGNED_PDF).hexdigest())
    assert stray_files(runtime) == []


def test_unknown_document_is_404(client: Client) -> None:
    assert client.get(f"/api/v1/documents/{'0' * 64}").status_code == 404
    assert client.get("/api/v1/documents/not-a-hash").status_code == 400


def test_upload_over_the_limit_is_413_and_leaves_nothing(node_dir: Path) -> None:
    config = node_dir / "motcua.toml"
    config.write_text(
        config.read_text().replace("max_upload_bytes = 1073741824", "max_upload_bytes = 1000")
    )
    from node.runtime import open_node

    rt = open_node(node_dir)
    try:
        with api_client(rt) as client:
            d = client.post("/api/v1/dossiers", json=create_body()).json()
            before = counts(rt)
            r = upload(client, d["id"], b"%PDF-" + b"x" * 2000)
            assert r.status_code == 413 and r.json()["field"] == "file"
            assert counts(rt) == before
            assert stray_files(rt) == []
    finally:
        rt.close()


def _multipart_stream(boundary: str, size: int, chunk: bytes) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="role"\r\n\r\ncomponent\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.tif"\r\n'
        "Content-Type: image/tiff\r\n\r\n"
    ).encode()
    sent = 0
    while sent < size:
        piece = chunk[: size - sent]
        sent += len(piece)
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_200_mb_upload_is_streamed_with_bounded_memory(live_node: LiveNode) -> None:
    size = 200 * 1024 * 1024
    chunk = b"II*\x00" + os.urandom(1024 * 1024 - 4)
    expected = hashlib.sha256()
    done = 0
    while done < size:
        piece = chunk[: size - done]
        expected.update(piece)
        done += len(piece)
    with live_node.http(timeout=120) as http:
        d = http.post("/api/v1/dossiers", json=create_body()).json()
        baseline = _peak_rss_kib(live_node.process.pid)
        r = http.post(
            f"/api/v1/dossiers/{d['id']}/documents",
            content=_multipart_stream("b0undary", size, chunk),
            headers={"content-type": "multipart/form-data; boundary=b0undary"},
        )
        assert r.status_code == 201, r.text
        doc = r.json()["documents"][0]
        assert doc["size"] == size and doc["sha256"] == expected.hexdigest()
        assert doc["mime"] == "image/tiff"
    growth_mib = (_peak_rss_kib(live_node.process.pid) - baseline) / 1024
    assert growth_mib < 64, f"server peak RSS grew by {growth_mib:.0f} MiB for a 200 MiB upload"
