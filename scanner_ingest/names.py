"""Which names in a scanner share are never scans, and how names are recorded.

Scanners, Windows, macOS, Office, editors and NAS boxes leave temporary and system files in
shared folders. A path is ignored when any of its components is such a name, so a directory
with an ignored name is skipped with everything inside it. Matching is case-insensitive
(SMB shares are) and done on the NFC form of the name.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath

# Whole names (compared case-folded).
_IGNORED_NAMES = frozenset(
    {
        "thumbs.db",
        "ehthumbs.db",
        "ehthumbs_vista.db",
        "desktop.ini",
        "$recycle.bin",
        "recycler",
        "recycled",
        "system volume information",
        "lost+found",
        "@eadir",  # Synology thumbnails and metadata
        "@tmp",
        "@recycle",  # QNAP
        "@recently-snapshot",
        "#recycle",  # Synology, Samba vfs_recycle
        "#snapshot",
        "~snapshot",  # NetApp
        "icon\r",  # macOS custom folder icon
        "network trash folder",
        "temporary items",
    }
)

# Name prefixes (case-folded). ``.`` covers .DS_Store, ._*, .~lock.*#, .Trashes, .recycle,
# .snapshot, .Spotlight-V100, .fseventsd, half-written names like ".SCN_0001.pdf.abc123".
_IGNORED_PREFIXES = (".", "~$")

# Name suffixes (case-folded).
_IGNORED_SUFFIXES = (
    ".tmp",
    ".temp",
    ".part",
    ".partial",
    ".crdownload",
    ".download",
    ".filepart",  # WinSCP
    ".!ut",
    ".swp",  # vim
    ".swo",
    ".swx",
    ".lck",
    "~",  # editor backups
    "@synoeastream",  # Synology extended-attribute shadow files
    "@synoresource",
)

_CHKDSK = re.compile(r"found\.\d{3}")


def nfc(name: str) -> str:
    """``name`` in Unicode NFC, the form names are recorded in.

    Undecodable bytes (surrogate escapes from ``os.fsdecode``) become U+FFFD so the result is
    always valid UTF-8. The result is for recording and display, not for reopening the file.
    """
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogatepass")
    return unicodedata.normalize("NFC", raw.decode("utf-8", "replace"))


def is_ignored_name(name: str) -> bool:
    """True if a single path component is a temporary or system name."""
    folded = nfc(name).casefold()
    return (
        folded in _IGNORED_NAMES
        or folded.startswith(_IGNORED_PREFIXES)
        or folded.endswith(_IGNORED_SUFFIXES)
        or _CHKDSK.fullmatch(folded) is not None
    )


def is_ignored(path_relative: PurePath) -> bool:
    """True if any component of ``path_relative`` (relative to the watched root) is ignored."""
    return any(
        is_ignored_name(part) for part in path_relative.parts if part != path_relative.anchor
    )
