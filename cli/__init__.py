"""``motcua``: the one command line of the project. Each subcommand lives in its own module."""

from __future__ import annotations

import click

from cli.backup_cmd import backup_cmd
from cli.central_cmd import central_group, digest_cmd
from cli.central_export_cmd import central_export_cmd
from cli.check_cmd import check_cmd
from cli.clock_skew import install_from_environment
from cli.demo_cmd import demo_cmd
from cli.ingest_cmd import ingest_group
from cli.init_cmd import init_cmd
from cli.install_cmd import install_cmd
from cli.pki_cmd import pki_group
from cli.reconcile_cmd import reconcile_cmd
from cli.reference_cmd import calendar_group, catalog_group
from cli.serve_cmd import serve_cmd
from cli.sync_cmd import sync_group
from cli.token_cmd import token_group
from cli.user_cmd import user_group


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
    user_group,
    token_group,
    install_cmd,
    reconcile_cmd,
):
    cli.add_command(command)
central_group.add_command(central_export_cmd)


def main() -> None:
    install_from_environment()
    cli()
