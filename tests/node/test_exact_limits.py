"""At the node: same-day procedures, provisional appointments, what a calendar import moves,
``motcua check`` on missing calendars, and the migration that admits the same-day unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import apsw
import pytest
from click.testing import CliRunner

from cli import cli
from node import schema
from node.integrity import check
from node.runtime import NodeRuntime
from storage.migrations import apply_migrations
from tests.node.helpers import Client, create

CERTIFICATION = "2.000815"  # same day; received after 15:00, the next working day


def test_certification_received_before_the_cutoff_is_due_that_afternoon(client: Client) -> None:
    d = create(client, procedure_code=CERTIFICATION, received_at="2026-03-03T14:00:00+07:00")
    assert d["due_at"] == "2026-03-03T17:00:00+07:00"


def test_certification_received_after_the_cutoff_is_due_the_next_evening(client: Client) -> None:
    d = create(client, procedure_code=CERTIFICATION, received_at="2026-03-03T15:30:00+07:00")
    assert d["due_at"] == "2026-03-04T17:00:00+07:00"  # four working hours said Wed 08:00
    assert d["statutory_due_at"] == d["due_at"]


CALENDAR_2025 = """
year = 2025
[[day]]
date = 2025-12-30
kind = "holiday"
name = "test holiday"
"""


def test_a_reception_into_a_year_without_calendar_succeeds_and_is_provisional(
    client: Client, node_dir: Path
) -> None:
    # The shipped calendars are 2026 and 2027: a paper dossier of 29/12/2025 entered late.
    late = create(client, received_at="2025-12-29T09:00:00+07:00")
    assert late["status"] == 2
    assert late["provisional_years"] == [2025]
    assert late["due_at"] == "2026-01-07T17:00:00+07:00"
    normal = create(client)
    assert normal["provisional_years"] == []

    health = client.get("/healthz").json()
    assert any("calendar of 2025" in w for w in health["calendar_warnings"])
    checked = CliRunner().invoke(cli, ["check", "--data-dir", str(node_dir)])
    assert checked.exit_code == 0, checked.output
    assert "warning: the holiday calendar of 2025 was never imported" in checked.output
    assert late["code"] in checked.output

    file = node_dir / "2025.toml"
    file.write_text(CALENDAR_2025, encoding="utf-8")
    imported = CliRunner().invoke(
        cli, ["calendar", "import", "--data-dir", str(node_dir), str(file)]
    )
    assert imported.exit_code == 0, imported.output
    assert (
        f"dossier {late['code']}: deadline 2026-01-07T17:00:00+07:00 would be "
        "2026-01-08T17:00:00+07:00" in imported.output
    )
    assert normal["code"] not in imported.output
    assert "1 dossiers have an appointment this calendar changes" in imported.output
    after = CliRunner().invoke(cli, ["check", "--data-dir", str(node_dir)])
    assert "calendar of 2025" not in after.output


def test_check_warns_from_october_while_next_years_calendar_is_missing(
    runtime: NodeRuntime,
) -> None:
    assert check(runtime, today=date(2027, 9, 30)).calendar_warnings == []
    (warning,) = check(runtime, today=date(2027, 10, 1)).calendar_warnings
    assert "calendar of 2028 is not imported yet" in warning
    assert check(runtime, today=date(2026, 10, 1)).calendar_warnings == []  # 2027 is shipped


def test_the_same_day_migration_keeps_the_catalog(tmp_path: Path) -> None:
    conn = apsw.Connection(str(tmp_path / "old.sqlite3"))
    apply_migrations(conn, schema.MIGRATIONS[:5])
    conn.execute(
        "INSERT INTO procedures (code, version, name, field, time_limit, time_unit, "
        "online_level, components, sample, current, updated_at) "
        "VALUES ('1.1', '1', 'n', 'f', 4, 'working_hours', 'none', '[]', 1, 1, 'x')"
    )
    assert schema.migrate(conn)[:2] == ["006_quarantined_files", "007_same_day_unit"]
    rows = conn.execute(
        "SELECT time_limit, time_unit, same_day_cutoff, current FROM procedures"
    ).fetchall()
    assert [tuple(r) for r in rows] == [(4, "working_hours", "15:00", 1)]
    conn.execute(
        "INSERT INTO procedures (code, version, name, field, time_limit, time_unit, "
        "online_level, components, updated_at) "
        "VALUES ('2.2', '1', 'n', 'f', 0, 'same_day', 'none', '[]', 'x')"
    )
    with pytest.raises(apsw.ConstraintError):
        conn.execute(
            "INSERT INTO procedures (code, version, name, field, time_limit, time_unit, "
            "online_level, components, updated_at) "
            "VALUES ('3.3', '1', 'n', 'f', 0, 'fortnights', 'none', '[]', 'x')"
        )
