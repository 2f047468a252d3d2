"""``motcua sync``: run replication alone; ``motcua sync status``: what is pending."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click
import msgspec

from cli.common import clock_line, data_dir_option, fail, opened_node
from cli.logging_setup import configure_logging
from uplink.connect import start_link
from uplink.status import status


@click.group("sync", invoke_without_command=True)
@data_dir_option
@click.pass_context
def sync_group(ctx: click.Context, data_dir: Path) -> None:
    """Replicate to the city until stopped (also part of 'motcua serve')."""
    if ctx.invoked_subcommand is not None:
        return
    configure_logging()
    with opened_node(data_dir) as rt:
        if not rt.config.sync.broker:
            fail(f"{data_dir / 'motcua.toml'}: sync.broker is not set; nothing to replicate to")
        link = start_link(rt)
        assert link is not None
        done = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            done.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        click.echo(f"replicating node {rt.node_id} to {rt.config.sync.broker}; Ctrl+C stops")
        done.wait()
        link.stop()


@sync_group.command("status")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_cmd(data_dir: Path, as_json: bool) -> None:
    """Link state, pending items per lane, last acknowledgement, alarm."""
    with opened_node(data_dir) as rt:
        s = status(rt)
    if as_json:
        click.echo(msgspec.json.encode(s).decode())
        return
    click.echo(f"link: {s.link} ({s.broker or 'no broker configured'})")
    if s.last_error:
        click.echo(f"last error: {s.last_error}")
    click.echo(f"events: {s.acked_seq} of {s.head_seq} acknowledged")
    for name, lane in s.lanes.items():
        age = "" if lane.oldest_age_seconds is None else f", oldest {lane.oldest_age_seconds:.0f}s"
        click.echo(f"lane {name}: {lane.pending} pending, {lane.bytes} bytes{age}")
    click.echo(f"last ack: {s.last_ack_at or 'never'}")
    click.echo(f"throughput: {s.throughput_bytes_per_s:.0f} bytes/s")
    if s.round_trip_seconds is not None:
        click.echo(f"round trip: {s.round_trip_seconds:.3f} s (broker to the city's answer)")
    if s.clock is not None:
        click.echo(f"clock: {clock_line(s.clock)}")
    # Every alarm raised, the most serious last (``alarm``): a damaged file must still show
    # while the clock is off, and ``last error`` names only the most serious one's cause.
    for alarm in s.alarms or ([s.alarm] if s.alarm else []):
        click.echo(f"ALARM: {alarm}", err=True)
