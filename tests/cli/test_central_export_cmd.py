"""``motcua central export OUT.db`` on a city data directory of each store kind: what it
writes and prints, and every refusal (exit 2, nothing written)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from central.runtime import open_central
from cli import cli
from cli.central_cmd import initialise
from sync import wire
from tests.central.fake_node import FakeNode

STORE_KINDS = ("sqlite", "postgresql")


def make_city(tmp_path: Path, url: str) -> Path:
    """A city data directory holding one node's two dossiers (the second one started)."""
    data_dir = tmp_path / "city"
    initialise(data_dir, "mqtt://127.0.0.1:1", store_url=url)
    runtime = open_central(data_dir)
    try:
        node = FakeNode("xa-an-binh")
        node.receive()
        done = node.receive(name="Lê Thị Mai")
        node.transition(done, "start", 2, 4)
        out = runtime.handler.handle(*node.batch(1, len(node.log)))
        assert isinstance(out[0].message, wire.EventAck), out
    finally:
        runtime.close()
    return data_dir


@pytest.fixture(params=STORE_KINDS)
def city(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    url = str(request.getfixturevalue("pg_url")) if request.param == "postgresql" else ""
    return make_city(tmp_path, url)


@pytest.fixture
def sqlite_city(tmp_path: Path) -> Path:
    """Refusals of the command line come before any store is opened: one kind suffices."""
    return make_city(tmp_path, "")


def run(city: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["central", "export", "--data-dir", str(city), *args])


def count(path: Path, table: str) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_export_writes_the_file_and_says_what_it_holds(city: Path, tmp_path: Path) -> None:
    out = tmp_path / "city.db"
    result = run(city, str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 1 nodes, 2 dossiers, 3 events, 0 documents" in result.output
    assert "without personal data" in result.output
    assert count(out, "dossiers") == 2 and "Lê Thị Mai" not in out.read_bytes().decode(
        errors="replace"
    )
    again = run(city, str(out))
    assert again.exit_code == 2 and "already exists; give --force" in again.output
    personal = run(city, str(out), "--force", "--with-personal-data")
    assert personal.exit_code == 0, personal.output
    assert "Lê Thị Mai" in out.read_bytes().decode(errors="replace")
    # The fake node receives on 2027-02-01 (office time): a window around it keeps both.
    ranged = tmp_path / "feb.db"
    kept = run(city, str(ranged), "--from", "2027-02-01", "--to", "2027-02-01")
    assert kept.exit_code == 0, kept.output
    assert count(ranged, "dossiers") == 2
    later = tmp_path / "later.db"
    assert run(city, str(later), "--from", "2027-02-02").exit_code == 0
    assert count(later, "dossiers") == 0 and count(later, "nodes") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2027-02-30"], "--from must be a date (2027-02-05) or an ISO 8601 time"),
        (["--to", "yesterday"], "--to must be a date (2027-02-05) or an ISO 8601 time"),
        (["--from", "2027-02-01T00:00:00"], "--from needs a UTC offset"),
        (["--from", "1066-10-14"], "--from must fall between the years"),
        (["--from", "2027-03-01", "--to", "2027-02-01"], "must come before --to"),
        (["--from", "2027-02-01T10:00:00+07:00", "--to", "2027-02-01T10:00:00+07:00"], "before"),
        (["--from", "2027-02-01\x00"], "--from must be a date"),
    ],
)
def test_bad_dates_are_refused_before_anything_is_written(
    sqlite_city: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "city.db"
    result = run(sqlite_city, str(out), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "city"] == []


def test_an_unusable_out_or_data_dir_is_a_clear_error(city: Path, tmp_path: Path) -> None:
    missing = run(city, str(tmp_path / "nowhere" / "city.db"))
    assert missing.exit_code == 2 and "nowhere: no such directory" in missing.output
    folder = run(city, str(city))
    assert folder.exit_code == 2 and "is a directory" in folder.output
    unset = CliRunner().invoke(
        cli, ["central", "export", "--data-dir", str(tmp_path / "no-city"), str(tmp_path / "x.db")]
    )
    assert unset.exit_code == 3 and "central.toml" in unset.output
    assert not (tmp_path / "x.db").exists()
