"""Which names in a scanner share are never scans, how names are recorded, and how the
names the node writes are made to fit.

Scanners, Windows, macOS, Office, editors and NAS boxes leave temporary and system files in
shared folders. A path is ignored when any of its components is such a name, so a directory
with an ignored name is skipped with everything inside it. Matching is case-insensitive
(SMB shares are) and done on the NFC form of the name.
"""

from __future__ import annotations

import hashlib
import os
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


#: Bytes in one name (one path component) on Linux filesystems and SMB shares.
NAME_MAX = 255
#: A "extension" longer than this is part of the name, cut like the rest of it.
_MAX_EXTENSION_BYTES = 16
_HASH_CHARS = 8


def _size(name: str) -> int:
    return len(os.fsencode(name))


def fit_name(name: str, *, reserve: int = 0, number: int | None = None) -> str:
    """A name the node can write for ``name``: it and ``reserve`` more bytes (a suffix the
    caller appends, e.g. ``.reason.json``) fit in ``NAME_MAX`` bytes.

    ``number`` gives the n-th free-name variant, ``stem (n).ext``. A name that fits is
    returned as it is. One that does not keeps its extension and the start of its stem, cut
    between characters, followed by ``~`` and the first 8 hex digits of the SHA-256 of the
    whole name, so two long names that differ only after the cut stay apart.
    """
    dot = name.rfind(".")
    stem, ext = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    if _size(ext) > _MAX_EXTENSION_BYTES:
        stem, ext = name, ""
    tail = ("" if number is None else f" ({number})") + ext
    limit = NAME_MAX - reserve
    if _size(stem + tail) <= limit:
        return stem + tail
    tag = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:_HASH_CHARS]
    room = limit - _size(tag + tail)
    if room < 1:
        raise ValueError(f"no name fits in {limit} bytes with {tail!r}")
    cut = 0
    used = 0
    for char in stem:  # whole characters only: a cut UTF-8 sequence is not a name
        width = _size(char)
        if used + width > room:
            break
        used += width
        cut += 1
    return stem[:cut] + tag + tail
