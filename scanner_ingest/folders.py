"""The drop folders of ``[[ingest.folder]]`` as the service sees them, and a full scan of one.

A folder's processed and quarantine folders may sit inside it (the default: ``processed/``
and ``quarantine/`` in the share, where staff see them); a scan never enters them. Only
regular files are candidates (``lstat``: a symbolic link could point anywhere on the node);
temporary and system names are skipped with everything under them (``names.is_ignored``).
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from scanner_ingest.names import is_ignored, nfc
from settings.ingest import FolderSettings, IngestSettings
from settings.loading import ConfigError
from settings.node import CONFIG_NAME

log = logging.getLogger(__name__)

#: Filesystem types polled rather than watched with inotify: changes made by another
#: machine on a network or FUSE mount raise no local events.
NETWORK_FS = frozenset(
    {"cifs", "smb3", "smbfs", "nfs", "nfs4", "9p", "fuse", "ncpfs", "afs", "ceph", "glusterfs"}
)
MOUNTS = Path("/proc/self/mounts")
_OCTAL = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class DropFolder:
    name: str  # recorded as the actor "scanner:<name>" and in receipts
    root: Path
    role: str
    copy_kind: str
    poll: bool
    stable_seconds: float
    give_up_seconds: float
    processed: Path
    quarantine: Path

    @property
    def actor(self) -> str:
        return f"scanner:{self.name}"

    def excluded(self) -> tuple[Path, ...]:
        """The processed and quarantine folders when they lie inside the drop folder."""
        return tuple(p for p in (self.processed, self.quarantine) if p.is_relative_to(self.root))

    def relative_name(self, path: Path) -> str:
        """``path`` relative to the folder, NFC, with ``/`` separators: what is recorded."""
        return nfc(path.relative_to(self.root).as_posix())

    def is_candidate_path(self, path: Path) -> bool:
        """False for anything outside the folder, in an excluded folder, or ignored."""
        if not path.is_relative_to(self.root) or path == self.root:
            return False
        if any(path.is_relative_to(x) for x in self.excluded()):
            return False
        return not is_ignored(PurePosixPath(path.relative_to(self.root).as_posix()))


def resolve(
    settings: IngestSettings, data_dir: Path, mounts: str | None = None
) -> list[DropFolder]:
    """Every configured folder with absolute paths and the polling decision made."""
    if mounts is None and settings.folder:
        try:
            mounts = MOUNTS.read_text(encoding="utf-8", errors="replace")
        except OSError:
            mounts = ""
    folders = [_resolve_one(f, settings, data_dir, mounts or "") for f in settings.folder]
    home = Path(os.path.abspath(data_dir))
    for folder in folders:
        if home.is_relative_to(folder.root):
            raise ConfigError(
                f"{data_dir / CONFIG_NAME}: ingest.folder {folder.name!r} ({folder.root}) "
                "contains the node's data directory; give the scanner a folder of its own"
            )
    return folders


def _resolve_one(
    f: FolderSettings, settings: IngestSettings, data_dir: Path, mounts: str
) -> DropFolder:
    root = Path(os.path.abspath(data_dir / Path(f.path).expanduser()))
    name = f.folder_name()

    def place(setting: str) -> Path:
        where = Path(setting).expanduser()
        return root / where if not where.is_absolute() else where / name

    poll = f.poll if f.poll is not None else is_network_fs(fs_type(root, mounts))
    return DropFolder(
        name=name,
        root=root,
        role=f.role,
        copy_kind=f.copy_kind,
        poll=poll,
        stable_seconds=f.stable_seconds,
        give_up_seconds=f.give_up_seconds,
        processed=Path(os.path.abspath(place(settings.processed_dir))),
        quarantine=Path(os.path.abspath(place(settings.quarantine_dir))),
    )


def _unescape(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as octal (\040 ...).
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def fs_type(path: Path, mounts: str) -> str:
    """The type of the filesystem ``path`` is on (the longest matching mount point)."""
    target = os.path.realpath(path) if path.exists() else os.path.abspath(path)
    best, kind = "", ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = _unescape(fields[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def is_network_fs(kind: str) -> bool:
    return kind in NETWORK_FS or kind.startswith("fuse.") or kind.startswith("nfs")


def ensure(folder: DropFolder) -> bool:
    """Create the drop folder if it is missing (it is never deleted); True if it was."""
    if folder.root.is_dir():
        return False
    folder.root.mkdir(parents=True, exist_ok=True)
    log.warning("ingest_folder_recreated folder=%s path=%s", folder.name, folder.root)
    return True


def scan(folder: DropFolder) -> Iterator[tuple[Path, os.stat_result]]:
    """Every candidate regular file under the folder with its ``lstat``, recursively.

    Folders that vanish or cannot be read during the walk are skipped (and logged); the
    next scan sees them again.
    """
    excluded = set(folder.excluded())
    stack = [folder.root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            if directory == folder.root:
                raise
            log.warning("ingest_scan_skipped path=%r error=%s", str(directory), exc)
            continue
        for entry in entries:
            path = Path(entry.path)
            if is_ignored(PurePosixPath(nfc(entry.name))):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if path not in excluded:
                    stack.append(path)
            elif stat.S_ISREG(st.st_mode):
                yield path, st
