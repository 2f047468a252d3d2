"""Drop folders from the config: paths, polling on network mounts, what a scan looks at;
the [ingest] config keys; dossier codes in file names."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest

from scanner_ingest.codes import code_regex
from scanner_ingest.folders import fs_type, is_network_fs, resolve, scan
from scanner_ingest.qr_matching import code_from_filename
from settings import node as config_mod
from settings.ingest import FolderSettings, IngestSettings
from settings.loading import ConfigError
from tests.scanner_ingest.ingest_support import configure

MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
//nas/scan /mnt/scan cifs rw,vers=3.0 0 0
nas:/export /mnt/nfs nfs4 rw 0 0
host0 /mnt/host 9p rw 0 0
sshfs#u@h: /mnt/ssh fuse.sshfs rw 0 0
//nas/máy\\040quét /mnt/máy\\040quét cifs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind", "network"),
    [
        ("/mnt/scan/phong-1", "cifs", True),
        ("/mnt/nfs", "nfs4", True),
        ("/mnt/host/x", "9p", True),
        ("/mnt/ssh/x", "fuse.sshfs", True),
        ("/mnt/máy quét/x", "cifs", True),
        ("/tmp/x", "tmpfs", False),
        ("/srv/scan", "ext4", False),
        ("/mnt/scanner", "ext4", False),  # not under /mnt/scan
    ],
)
def test_network_mounts_are_polled(path: str, kind: str, network: bool) -> None:
    assert fs_type(Path(path), MOUNTS) == kind
    assert is_network_fs(kind) is network


def test_resolve_paths_and_poll_choice(tmp_path: Path) -> None:
    settings = IngestSettings(
        folder=[
            FolderSettings(path="scans/a"),
            FolderSettings(path="/mnt/scan/phong-1/", name="phong 1", poll=False),
            FolderSettings(path="/mnt/scan/phong-2"),
        ],
        processed_dir="/srv/done",
    )
    a, b, c = resolve(settings, tmp_path, MOUNTS)
    assert (a.name, a.root, a.poll) == ("a", tmp_path / "scans" / "a", False)
    assert a.processed == Path("/srv/done/a") and a.quarantine == a.root / "quarantine"
    assert (b.name, b.poll, b.actor) == ("phong 1", False, "scanner:phong 1")  # forced
    assert (c.name, c.poll) == ("phong-2", True)  # automatic: cifs


def test_scan_takes_regular_files_only(tmp_path: Path) -> None:
    root = tmp_path / "share"
    [folder] = resolve(IngestSettings(folder=[FolderSettings(path=str(root))]), tmp_path, "")
    for rel in [
        "a.pdf",
        "sub/b.pdf",
        "processed/2027-02-05/old.pdf",
        "quarantine/bad.pdf",
        ".DS_Store",
        "Thumbs.db",
        "~$tmp.docx",
        "x.pdf.part",
        "@eaDir/thumb.jpg",
        ".hidden/c.pdf",
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    (root / "link.pdf").symlink_to(root / "a.pdf")
    os.mkfifo(root / "fifo.pdf")
    assert sorted(folder.relative_name(p) for p, _ in scan(folder)) == ["a.pdf", "sub/b.pdf"]
    assert folder.is_candidate_path(root / "sub" / "b.pdf")
    assert not folder.is_candidate_path(root / "processed" / "x.pdf")
    assert not folder.is_candidate_path(tmp_path / "elsewhere.pdf")


def test_a_config_without_ingest_is_valid(node_dir: Path) -> None:
    config = config_mod.load(node_dir)
    assert config.ingest == IngestSettings() and config.ingest.folder == []


@pytest.mark.parametrize(
    ("ingest", "message"),
    [
        ({"folder": [{"path": "/a", "pol": True}]}, "unknown field `pol`"),
        ({"folder": [{"path": "/a", "role": "anh"}]}, "$.ingest.folder[0].role"),
        ({"folder": [{"path": "/a", "stable_seconds": 0}]}, "0 < stable_seconds"),
        ({"folder": [{"path": "/a", "give_up_seconds": 1}]}, "stable_seconds <= give_up"),
        ({"folder": [{"path": "/x/a"}, {"path": "/y/a"}]}, "names must be unique"),
        ({"folder": [{"path": " "}]}, "path is empty"),
        ({"rescan_seconds": 600}, "rescan_seconds must be in (0, 300]"),
        ({"processed_dir": "../up"}, "processed_dir"),
        ({"quarantine_dir": "."}, "quarantine_dir"),
        ({"pdf_processes": 0}, "ingest.pdf_processes must be 1 to 16, got 0"),
    ],
)
def test_config_errors_name_the_key(
    node_dir: Path, ingest: dict[str, object], message: str
) -> None:
    folders = ingest.pop("folder", [])
    configure(node_dir, folders, **ingest)  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as error:
        config_mod.load(node_dir)
    assert message in str(error.value) and "motcua.toml" in str(error.value)


def test_folder_settings_round_trip() -> None:
    raw = b'[[folder]]\npath = "/srv/scan"\nrole = "result"\npoll = true\n'
    settings = msgspec.toml.decode(raw, type=IngestSettings)
    assert settings.folder[0].poll is True and settings.folder[0].role == "result"


def test_codes_in_file_names_follow_the_node_pattern() -> None:
    default = code_regex(config_mod.DEFAULT_CODE_PATTERN)
    assert code_from_filename("HS 000.00.15.H42-270205-0003 (1).pdf", default) == (
        "000.00.15.H42-270205-0003"
    )
    custom = code_regex("HS-{yyyymmdd}/{serial:05}")
    assert code_from_filename("scan HS-20270205/00012.pdf", custom) == "HS-20270205/00012"
    assert code_from_filename("scan HS-20270205/0012.pdf", custom) is None
    plain = code_regex("{agency}.{serial}")
    assert code_from_filename("x H42.7.pdf", plain) == "H42.7"


def test_a_folder_may_not_contain_the_data_directory(tmp_path: Path) -> None:
    settings = IngestSettings(folder=[FolderSettings(path=str(tmp_path))])
    with pytest.raises(ConfigError, match="contains the node's data directory"):
        resolve(settings, tmp_path / "node", "")
