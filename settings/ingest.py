"""Scanner drop folders (``[ingest]`` and ``[[ingest.folder]]`` of the node's config)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import msgspec


class FolderSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One scanner drop folder (``[[ingest.folder]]``)."""

    # Absolute, or relative to the data directory.
    path: str
    # Recorded as the actor "scanner:<name>"; default: the folder's last path component.
    name: str = ""
    # The document role and copy kind of what this folder's scanner produces.
    role: Literal["component", "result", "supplement"] = "component"
    copy_kind: Literal["original", "certified_copy", "electronic"] = "original"
    # True: poll; False: inotify; absent: poll on network mounts (cifs, nfs, 9p, fuse).
    poll: bool | None = None
    # A file is finished once size and mtime stayed the same for this long.
    stable_seconds: float = 5.0
    # A file still empty or unparseable this long after its last change is quarantined.
    give_up_seconds: float = 1800.0

    def __post_init__(self) -> None:
        if not self.path.strip():
            raise ValueError("ingest.folder.path is empty")
        if not 0 < self.stable_seconds <= self.give_up_seconds:
            raise ValueError(
                "ingest.folder needs 0 < stable_seconds <= give_up_seconds, got "
                f"{self.stable_seconds} and {self.give_up_seconds}"
            )
        name = self.folder_name()
        if not name or len(name) > 50 or "/" in name or not name.isprintable():
            raise ValueError(f"ingest.folder.name {name!r}: 1-50 printable characters, no '/'")

    def folder_name(self) -> str:
        return self.name or Path(self.path.rstrip("/")).name


class IngestSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Scanner drop folders and what happens to their files (``[ingest]``)."""

    folder: list[FolderSettings] = msgspec.field(default_factory=list)
    # Relative: a subfolder of each drop folder; absolute: <path>/<folder name>.
    processed_dir: str = "processed"
    quarantine_dir: str = "quarantine"
    # Delete an ingested source instead of moving it to processed_dir.
    delete_after_ingest: bool = False
    # Larger files are quarantined as too_large (default 1 GiB).
    max_file_bytes: int = 1 << 30
    # Full rescan of every folder at this period (events are only hints).
    rescan_seconds: float = 60.0
    # A stable file refused for a reason that may pass (truncated...) is retried this often.
    retry_seconds: float = 30.0
    # Processes that parse PDFs and read their pages for slips, side by side (each about
    # 60 MB while it works); one scan's pages are shared among them.
    pdf_processes: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.rescan_seconds <= 300:
            raise ValueError("ingest.rescan_seconds must be in (0, 300]")
        if self.retry_seconds <= 0 or self.max_file_bytes <= 0:
            raise ValueError("ingest.retry_seconds and ingest.max_file_bytes must be positive")
        if not 1 <= self.pdf_processes <= 16:
            raise ValueError(f"ingest.pdf_processes must be 1 to 16, got {self.pdf_processes}")
        for key, value in (
            ("processed_dir", self.processed_dir),
            ("quarantine_dir", self.quarantine_dir),
        ):
            if not value.strip() or not Path(value).parts or ".." in Path(value).parts:
                raise ValueError(f"ingest.{key} {value!r} must be a folder name or path")
        names = [f.folder_name() for f in self.folder]
        if len(set(names)) != len(names):
            raise ValueError(f"ingest.folder names must be unique, got {names}")
