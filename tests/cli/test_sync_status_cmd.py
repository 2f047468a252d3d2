"""``motcua sync status`` names every alarm raised, not only the most serious one."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import cli
from node.runtime import NodeRuntime
from rules.clock import to_utc_iso, utc_now
from uplink.flow import AckTimer
from uplink.link_state import LinkStateWriter
from uplink.status import status


def test_every_raised_alarm_is_printed_the_most_serious_last(
    node_dir: Path, runtime: NodeRuntime
) -> None:
    writer = LinkStateWriter(runtime)
    writer.write(connected=True, error="", since=to_utc_iso(utc_now()))  # a running link
    writer.damaged_files("document file ab12.pdf is missing")
    writer.diverged("the city holds seq 7 as event x, this log has y")
    raised = status(runtime).alarms
    assert raised == ["local_file_damaged", "log_diverged"]

    result = CliRunner().invoke(cli, ["sync", "status", "--data-dir", str(node_dir)])

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("ALARM: ")]
    assert lines == ["ALARM: local_file_damaged", "ALARM: log_diverged"]


def test_the_links_round_trip_is_shown_once_measured(node_dir: Path, runtime: NodeRuntime) -> None:
    timer = AckTimer(rto=15.0)
    writer = LinkStateWriter(runtime, timer)
    writer.write(connected=True, error="", since=to_utc_iso(utc_now()))
    assert status(runtime).round_trip_seconds is None  # nothing answered yet

    timer.sample(0.25)
    writer.write(connected=True, error="")
    assert status(runtime).round_trip_seconds == 0.25
    result = CliRunner().invoke(cli, ["sync", "status", "--data-dir", str(node_dir)])
    assert result.exit_code == 0, result.output
    assert "round trip: 0.250 s (broker to the city's answer)" in result.stdout

    LinkStateWriter(runtime, AckTimer(rto=15.0)).write(connected=True, error="")  # a new process
    assert status(runtime).round_trip_seconds is None  # not the earlier process's figure
