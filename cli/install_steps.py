"""What ``motcua install`` does to a machine, as steps that each say what they change.

Every step first looks at what is there and changes only what differs, so a second run
changes nothing and says so. Files go under ``root`` (``/`` on the machine; a temporary
folder in tests and for a look beforehand). The system's own commands (``systemd-sysusers``,
``systemd-tmpfiles``, ``chown``, ``systemctl``) run only on the machine itself (``root``
is ``/``, not ``dry_run``); otherwise each is printed as it would run. A command runs only
when a file it applies changed in this run, or when the machine shows it undone (the user
missing, a unit not enabled), so re-running an interrupted install finishes it.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from storage.atomic_file import write_atomic

USER: Final = "motcua"
DATA_DIR: Final = Path("/var/lib/motcua")
BACKUP_DIR: Final = Path("/var/backups/motcua")
DROP_ROOT: Final = Path("/srv/motcua")
TLS_DIR: Final = DATA_DIR / "tls"
UNIT_DIR: Final = Path("/etc/systemd/system")
SYSUSERS: Final = Path("/etc/sysusers.d/motcua.conf")
TMPFILES: Final = Path("/etc/tmpfiles.d/motcua.conf")
#: The units a commune node runs (the city's unit is installed by hand: docs/operations.md).
NODE_UNITS: Final = ("motcua-node.service", "motcua-backup.service", "motcua-backup.timer")
ENABLED: Final = ("motcua-node.service", "motcua-backup.timer")
#: The path the shipped units name; replaced by this installation's own binary.
SHIPPED_BINARY: Final = "/opt/motcua/.venv/bin/motcua"


@dataclass
class Installer:
    """Carries out steps and keeps the record of what changed (``changed``)."""

    root: Path
    dry_run: bool
    say: Callable[[str], None]
    changed: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """Commands really run: on this machine's own root and not a dry run."""
        return self.root == Path("/") and not self.dry_run

    def at(self, path: Path) -> Path:
        """``path`` (absolute, as on the machine) under ``root``."""
        return self.root / path.relative_to("/")

    def write(self, path: Path, content: bytes, mode: int) -> bool:
        """Make ``path`` hold ``content``; True if it changed (or would)."""
        target = self.at(path)
        try:
            same = target.read_bytes() == content and (target.stat().st_mode & 0o777) == mode
        except FileNotFoundError:
            same = False
        if same:
            self.say(f"ok: {path} is up to date")
            return False
        self.changed.append(str(path))
        if self.dry_run:
            self.say(f"would write {path}")
            return True
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, content, mode)
        self.say(f"wrote {path}")
        return True

    def mkdir(self, path: Path, mode: int) -> bool:
        target = self.at(path)
        if target.is_dir():
            return False
        self.changed.append(str(path))
        if self.dry_run:
            self.say(f"would create {path}/")
        else:
            target.mkdir(parents=True, mode=mode)
            self.say(f"created {path}/")
        return True

    def run(self, argv: Sequence[str]) -> None:
        line = " ".join(argv)
        self.changed.append(line)
        if not self.live:
            self.say(f"would run: {line}")
            return
        self.say(f"run: {line}")
        subprocess.run(list(argv), check=True)


def user_exists() -> bool:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return False
    return True


def unit_enabled(installer: Installer, unit: str) -> bool:
    """Whether ``systemctl enable`` left its link (the [Install] targets of our units)."""
    target = "timers.target" if unit.endswith(".timer") else "multi-user.target"
    return os.path.lexists(installer.at(UNIT_DIR / f"{target}.wants" / unit))


def sysusers_conf() -> str:
    return (
        "# motcua-edge: the commune node's system user (motcua install)\n"
        f'u {USER} - "motcua-edge commune node" {DATA_DIR} /usr/sbin/nologin\n'
    )


def tmpfiles_conf(drop_folders: Sequence[str]) -> str:
    lines = [
        "# motcua-edge: the node's folders, owned by its user (motcua install)",
        f"d {DATA_DIR} 0750 {USER} {USER} -",
        f"d {BACKUP_DIR} 0750 {USER} {USER} -",
        "# Scanner drop folders: shared to the scanners over SMB, writable by the node.",
        f"d {DROP_ROOT} 0770 {USER} {USER} -",
        *(f"d {DROP_ROOT / name} 0770 {USER} {USER} -" for name in drop_folders),
    ]
    return "\n".join(lines) + "\n"


def unit_text(shipped: Path, binary: Path) -> str:
    """A shipped unit, naming this installation's ``motcua`` binary."""
    return shipped.read_text().replace(SHIPPED_BINARY, str(binary))
