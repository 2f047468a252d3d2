"""``motcua``: the one command line of the project. Each subcommand lives in its own module."""

from __future__ import annotations

import click

from node.cli.backup_cmd import backup_cmd
from node.cli.check_cmd import check_cmd
from node.cli.demo_cmd import demo_cmd
from node.cli.ingest_cmd import ingest_group
from node.cli.init_cmd import init_cmd
from node.cli.reference_cmd import calendar_group, catalog_group
from node.cli.serve_cmd import serve_cmd
from sync.central.cli import central_group, digest_cmd
from sync.node_cli import sync_group
from sync.pki_cli import pki_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="motcua-edge")
def cli() -> None:
    """motcua-edge: offline-first node for commune one-stop offices (một cửa)."""


for command in (
    init_cmd,
    serve_cmd,
    catalog_group,
    calendar_group,
    backup_cmd,
    check_cmd,
    demo_cmd,
    pki_group,
    sync_group,
    ingest_group,
    central_group,
    digest_cmd,
):
    cli.add_command(command)


def main() -> None:
    cli()
