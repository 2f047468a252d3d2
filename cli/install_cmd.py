"""``motcua install``: a commune node on a fresh Debian machine, in one command (as root).

The system user, the folders (data, backups, scanner drop folders), the node's config and
database, its certificates from the province CA, the units, enabled and started. Run again
it changes nothing and says so; ``--dry-run`` prints every step and changes nothing;
``--root DIR`` writes the files under DIR and prints the commands (see ``install_steps``).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click
import tomli_w

from cli import install_steps as steps
from cli.init_cmd import initialise
from settings import node as config_mod
from settings.loading import ConfigError
from settings.sync import SyncSettings

SHIPPED_UNITS = Path(__file__).resolve().parents[1] / "systemd"
_FOLDER_NAME = re.compile(r"\A[a-z0-9][a-z0-9-]{0,62}\Z")
_TLS_FILES = (("ca.crt", 0o644), ("node.crt", 0o644), ("node.key", 0o600))


def _folder_name(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    for value in values:
        if not _FOLDER_NAME.match(value):
            raise click.BadParameter(
                f"{value!r}: a drop folder name is 1-63 characters a-z, 0-9 and '-'",
                ctx=ctx,
                param=param,
            )
    return list(dict.fromkeys(values))


@click.command("install")
@click.option("--node-id", required=True, help="This node's identity: a-z, 0-9 and '-'.")
@click.option("--agency-code", required=True, help="Mã định danh of the office.")
@click.option("--broker", default="", help="The city's broker: mqtts://host:8883 (or none).")
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The province CA certificate (ca.crt from `motcua pki init`).",
)
@click.option(
    "--cert-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="This node's certificate (nodes/NODE_ID.crt from `motcua pki issue-node`).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Its private key (nodes/NODE_ID.key).",
)
@click.option(
    "--drop-folder",
    "drop_folders",
    multiple=True,
    callback=_folder_name,
    help="A scanner drop folder /srv/motcua/NAME (repeatable).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/"),
    show_default=True,
    help="Install under this folder instead (commands are then printed, not run).",
)
@click.option("--dry-run", is_flag=True, help="Print every step; change nothing.")
def install_cmd(
    node_id: str,
    agency_code: str,
    broker: str,
    ca_file: Path | None,
    cert_file: Path | None,
    key_file: Path | None,
    drop_folders: list[str],
    root: Path,
    dry_run: bool,
) -> None:
    """Install this commune node as a service on this machine (run as root)."""
    tls = (ca_file, cert_file, key_file)
    if any(tls) and not all(tls):
        raise click.UsageError("--ca-file, --cert-file and --key-file go together")
    root = root.resolve()
    installer = steps.Installer(root, dry_run, click.echo)
    if installer.live and os.geteuid() != 0:
        raise click.UsageError("run it as root (sudo), or give --root DIR or --dry-run")
    tls_paths = tuple(str(steps.TLS_DIR / name) for name, _ in _TLS_FILES) if all(tls) else None
    try:
        # Every argument is checked before anything is written.
        tls_config = tls_paths or ("", "", "")
        config_mod.validate(
            config_mod.Config(
                node=config_mod.NodeSettings(node_id=node_id, agency_code=agency_code),
                sync=SyncSettings(
                    broker=broker,
                    ca_file=tls_config[0],
                    cert_file=tls_config[1],
                    key_file=tls_config[2],
                ),
            ),
            "--node-id/--agency-code/--broker",
        )
        _check_existing(installer, node_id, agency_code, broker, drop_folders)
    except ConfigError as exc:
        click.echo(f"motcua: error: {exc}", err=True)
        sys.exit(2)

    # 1. The system user.
    if installer.write(steps.SYSUSERS, steps.sysusers_conf().encode(), 0o644) or (
        installer.live and not steps.user_exists()
    ):
        installer.run(["systemd-sysusers", str(steps.SYSUSERS)])
    # 2. Its folders.
    tmpfiles = steps.tmpfiles_conf(drop_folders).encode()
    if installer.write(steps.TMPFILES, tmpfiles, 0o644) or (
        installer.live and not steps.DATA_DIR.is_dir()
    ):
        installer.run(["systemd-tmpfiles", "--create", str(steps.TMPFILES)])
    # 3. The node's config and database, and its certificates.
    data_changed = _initialise(installer, node_id, agency_code, broker, tls_paths, drop_folders)
    if all(tls):
        for (name, mode), source in zip(_TLS_FILES, tls, strict=True):
            assert source is not None
            data_changed |= installer.write(steps.TLS_DIR / name, source.read_bytes(), mode)
    if data_changed:
        installer.run(["chown", "-R", f"{steps.USER}:{steps.USER}", str(steps.DATA_DIR)])
    # 4. The units, enabled and started.
    binary = Path(sys.prefix) / "bin" / "motcua"  # this installation's (its virtualenv's)
    upgrade = all(installer.at(steps.UNIT_DIR / u).exists() for u in steps.NODE_UNITS)
    units_changed = False
    for unit in steps.NODE_UNITS:
        text = steps.unit_text(SHIPPED_UNITS / unit, binary).encode()
        units_changed |= installer.write(steps.UNIT_DIR / unit, text, 0o644)
    if units_changed:
        installer.run(["systemctl", "daemon-reload"])
    if units_changed or (
        installer.live and not all(steps.unit_enabled(installer, u) for u in steps.ENABLED)
    ):
        installer.run(["systemctl", "enable", "--now", *steps.ENABLED])
    if units_changed and upgrade:  # a running node picks up its new unit
        installer.run(["systemctl", "try-restart", "motcua-node.service"])

    if not installer.changed:
        click.echo("nothing changed: this node is installed as asked")
    elif dry_run:
        click.echo(f"dry run: {len(installer.changed)} step(s) would change this machine")
    else:
        click.echo(f"installed: {len(installer.changed)} step(s) done")


def _check_existing(
    installer: steps.Installer,
    node_id: str,
    agency_code: str,
    broker: str,
    drop_folders: list[str],
) -> None:
    """An existing node must be the one asked for: never re-identify a node silently."""
    data_dir = installer.at(steps.DATA_DIR)
    if not (data_dir / config_mod.CONFIG_NAME).exists():
        return
    cfg = config_mod.load(data_dir)
    asked = {"node_id": node_id, "agency_code": agency_code, "sync.broker": broker}
    found = {
        "node_id": cfg.node.node_id,
        "agency_code": cfg.node.agency_code,
        "sync.broker": cfg.sync.broker,
    }
    different = [k for k in asked if asked[k] != found[k]]
    folders = sorted(f.name for f in cfg.ingest.folder)
    if sorted(drop_folders) != folders:
        different.append("drop folders")
    if different:
        raise ConfigError(
            f"{steps.DATA_DIR / config_mod.CONFIG_NAME} already holds node "
            f"{cfg.node.node_id!r} and differs in {', '.join(different)}; nothing was changed "
            "(edit that file, or move the folder aside for a new node)"
        )


def _initialise(
    installer: steps.Installer,
    node_id: str,
    agency_code: str,
    broker: str,
    tls_paths: tuple[str, ...] | None,
    drop_folders: list[str],
) -> bool:
    data_dir = installer.at(steps.DATA_DIR)
    if (data_dir / config_mod.CONFIG_NAME).exists():
        installer.say(f"ok: {steps.DATA_DIR} holds node {node_id}")
        return False
    installer.changed.append(str(steps.DATA_DIR / config_mod.CONFIG_NAME))
    if installer.dry_run:
        installer.say(f"would initialise node {node_id} in {steps.DATA_DIR}")
        return True
    tls = tls_paths if tls_paths is not None else ("", "", "")
    for line in initialise(
        data_dir, agency_code, node_id, broker=broker, tls_files=(tls[0], tls[1], tls[2])
    ):
        installer.say(line)
    if drop_folders:
        section = {
            "ingest": {
                "folder": [
                    {"path": str(steps.DROP_ROOT / name), "name": name} for name in drop_folders
                ]
            }
        }
        with (data_dir / config_mod.CONFIG_NAME).open("a", encoding="utf-8") as f:
            f.write("\n# Scanner drop folders (motcua install --drop-folder)\n")
            f.write(tomli_w.dumps(section))
        installer.say(f"drop folders: {', '.join(drop_folders)}")
    return True
