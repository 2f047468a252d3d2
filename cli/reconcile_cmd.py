"""``motcua reconcile``: join a node restored from an old backup onto the city's copy."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import data_dir_option, fail, opened_node
from uplink.log_reconcile import ReconcileError
from uplink.reconcile import CityLog, reconcile, reconcile_transport

# Exit status when the city could not be asked (nothing changed): try again later.
EXIT_CITY_UNREACHABLE = 5


@click.command("reconcile")
@data_dir_option
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait for the city."
)
def reconcile_cmd(data_dir: Path, dry_run: bool, timeout: float) -> None:
    """Take back from the city the events this node lost in a restore from an old backup,
    and move the events it wrote since then after the city's head (stop the node first)."""
    from uplink.reconcile import CityUnreachable

    with opened_node(data_dir) as rt:
        if not rt.config.sync.broker:
            fail(f"{data_dir / 'motcua.toml'}: sync.broker is not set; no city to ask")
        transport = reconcile_transport(rt)
        transport.start()
        try:
            outcome = reconcile(rt, CityLog(transport, rt.node_id, timeout), dry_run=dry_run)
        except CityUnreachable as exc:
            fail(str(exc), EXIT_CITY_UNREACHABLE)
            return
        except ReconcileError as exc:
            fail(str(exc))
            return
        finally:
            transport.stop()
    for line in outcome.plan.describe():
        click.echo(("would " if dry_run and outcome.plan.needed else "") + line)
    if dry_run:
        return
    if outcome.applied:
        click.echo("done: start the node again; its new events go to the city")
    if outcome.diverged:
        fail("the city still holds this node's log as diverged; ask for help", 3)
