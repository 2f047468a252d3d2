"""``motcua pki``: the private CA for the broker, the nodes and the city receiver.

Thin click wrappers over ``sync/pki.py`` and ``sync/broker_config.py``; every failure is
a ``PkiError`` turned into a one-line "Error: ..." with a non-zero exit, and nothing is
written unless all input is valid.
"""

from __future__ import annotations

from pathlib import Path

import click

from sync import broker_config, pki, revocation
from sync.topics import TopicError, validate_node_id

_DIR_HELP = "PKI directory (keep it private: it holds the CA key). Env: MOTCUA_PKI_DIR."


_dir_option = click.option(
    "--dir",
    "pki_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    envvar="MOTCUA_PKI_DIR",
    help=_DIR_HELP,
)


_days_option = click.option(
    "--days",
    type=click.IntRange(min=1),
    default=pki.LEAF_DAYS,
    show_default=True,
    help="Validity of the certificate in days (there is no automatic renewal yet).",
)


def _node_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return validate_node_id(value)
    except TopicError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _central_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return pki.validate_central_name(value)
    except pki.PkiError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


class _PkiGroup(click.Group):
    """Reports ``PkiError`` from any subcommand as a one-line CLI error (exit 1)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except pki.PkiError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(name="pki", cls=_PkiGroup)
def pki_group() -> None:
    """Private certificate authority: broker, node and city receiver certificates."""


@pki_group.command(name="init")
@_dir_option
@click.option(
    "--hostname",
    "hostnames",
    multiple=True,
    help="Broker DNS name or IP for its certificate (repeatable); "
    "localhost and 127.0.0.1 are always included.",
)
@click.option(
    "--ca-days",
    type=click.IntRange(min=1),
    default=pki.CA_DAYS,
    show_default=True,
    help="Validity of the CA certificate in days.",
)
@click.option(
    "--server-days",
    type=click.IntRange(min=1),
    default=pki.LEAF_DAYS,
    show_default=True,
    help="Validity of the broker certificate in days.",
)
def init_cmd(pki_dir: Path, hostnames: tuple[str, ...], ca_days: int, server_days: int) -> None:
    """Create the CA and the broker's server certificate in --dir.

    Refuses to run if --dir already holds a CA.
    """
    layout = pki.init(pki_dir, hostnames=hostnames, ca_days=ca_days, server_days=server_days)
    click.echo(f"CA: {layout.ca_cert}")
    click.echo(f"broker certificate: {layout.server_cert} (key {layout.server_key})")


@pki_group.command(name="issue-node")
@_dir_option
@click.argument("node_id", callback=_node_id)
@_days_option
@click.option("--force", is_flag=True, help="Replace an existing certificate for this node.")
def issue_node_cmd(pki_dir: Path, node_id: str, days: int, force: bool) -> None:
    """Issue the client certificate of node NODE_ID (CN = NODE_ID).

    Copy nodes/NODE_ID.crt, nodes/NODE_ID.key and ca.crt to the node.
    """
    issued = pki.issue_node(pki_dir, node_id, days=days, force=force)
    click.echo(f"certificate: {issued.cert}")
    click.echo(f"key: {issued.key}")


@pki_group.command(name="issue-web")
@_dir_option
@click.argument("node_id", callback=_node_id)
@click.option(
    "--hostname",
    "hostnames",
    multiple=True,
    required=True,
    help="The node's LAN IP address or host name as staff browsers type it (repeatable).",
)
@_days_option
@click.option("--force", is_flag=True, help="Replace an existing web certificate of this node.")
def issue_web_cmd(
    pki_dir: Path, node_id: str, hostnames: tuple[str, ...], days: int, force: bool
) -> None:
    """Issue the HTTPS certificate of node NODE_ID's web port (staff pages and API).

    Copy web/NODE_ID.crt and web/NODE_ID.key to the node and name them in its motcua.toml
    (api.tls_cert_file, api.tls_key_file); staff PCs trust ca.crt once.
    """
    issued = pki.issue_web(pki_dir, node_id, hostnames, days=days, force=force)
    click.echo(f"certificate: {issued.cert}")
    click.echo(f"key: {issued.key}")


@pki_group.command(name="issue-central")
@_dir_option
@click.argument("name", callback=_central_name)
@_days_option
@click.option("--force", is_flag=True, help="Replace an existing certificate with this name.")
def issue_central_cmd(pki_dir: Path, name: str, days: int, force: bool) -> None:
    """Issue a city receiver certificate (CN = central:NAME).

    It may read every node's upstream and write every node's downstream topics once
    `motcua pki mosquitto-config` is run again.
    """
    issued = pki.issue_central(pki_dir, name, days=days, force=force)
    click.echo(f"certificate: {issued.cert} (username {issued.common_name})")
    click.echo(f"key: {issued.key}")


@pki_group.command(name="revoke")
@_dir_option
@click.argument("node_id", callback=_node_id)
def revoke_cmd(pki_dir: Path, node_id: str) -> None:
    """Revoke node NODE_ID's certificate: the broker refuses it once restarted.

    Adds it to DIR/crl.pem (which the broker's config names: run `motcua pki
    mosquitto-config` once if it was written before revocation existed), then restart the
    broker. The certificate is kept as nodes/NODE_ID.crt.revoked and its key deleted;
    `motcua pki issue-node NODE_ID` issues a new one for the node's new hardware.
    """
    revoked = revocation.revoke_node(pki_dir, node_id)
    if revoked.already:
        click.echo(
            f"node {node_id}: serial {revoked.serial:x} was already revoked; nothing changed"
        )
        return
    click.echo(f"revoked node {node_id}: serial {revoked.serial:x}, listed in {revoked.crl}")
    click.echo("restart the broker to apply it: systemctl restart mosquitto")


@pki_group.command(name="mosquitto-config")
@_dir_option
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8883,
    show_default=True,
    help="TLS listener port.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file to write [default: DIR/mosquitto.conf]; the ACL goes beside it (.acl).",
)
@click.option("--bind-address", default=None, help="Listen on this address only.")
@click.option(
    "--persistence-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Enable broker persistence in this directory (it must exist and be "
    "writable by the broker's user).",
)
def mosquitto_config_cmd(
    pki_dir: Path,
    port: int,
    out: Path | None,
    bind_address: str | None,
    persistence_dir: Path | None,
) -> None:
    """Write a mosquitto.conf with a TLS listener and the per-node ACL.

    Run it again after issuing a central certificate: the ACL lists the city receivers.
    """
    files = broker_config.write(
        pki_dir,
        port=port,
        out=out,
        bind_address=bind_address,
        persistence_dir=persistence_dir,
    )
    users = pki.PkiDir(pki_dir).central_usernames()
    if not users:
        click.echo("warning: no central certificate issued yet; nobody can read uploads", err=True)
    click.echo(f"config: {files.config}")
    click.echo(f"acl: {files.acl}")
