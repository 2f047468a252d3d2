"""The published OpenAPI documents say exactly what the APIs do: schemathesis, run against
a live node and a live city, finds nothing.

Every check runs but ``positive_data_acceptance``: the documents cannot say every rule the
services enforce (a procedure code must exist in the catalog, a transition must be legal
in the dossier's state), so a schema-valid request may rightly be refused.
Seeded, deterministic and with a fixed number of examples per operation, so a run takes
seconds and a failure reproduces.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_node import LiveNode
from tests.support.mosquitto import Mosquitto
from tests.support.replication import Central, make_central

EXAMPLES_PER_OPERATION = 25
SEED = 20270205


def run_schemathesis(
    base_url: str, report_dir: Path, headers: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).with_name("schemathesis")
    return subprocess.run(
        [
            str(cli),
            "run",
            f"{base_url}/schema/openapi.json",
            *(arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")),
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            str(SEED),
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--no-color",
            "--report-dir",
            str(report_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=report_dir,
    )


def assert_no_finding(result: subprocess.CompletedProcess[str], log: str) -> None:
    summary = result.stdout[-6000:]
    assert result.returncode == 0, f"{summary}\n{result.stderr[-2000:]}\nserver log:\n{log[-3000:]}"
    assert " passed" in summary and "failure" not in summary.split("SUMMARY")[-1], summary


def test_the_node_does_what_its_document_says(live_node: LiveNode, tmp_path: Path) -> None:
    result = run_schemathesis(live_node.url, tmp_path, live_node.headers)
    assert_no_finding(result, live_node.log())
    assert "Traceback" not in live_node.log()


@pytest.fixture(params=["sqlite", "postgresql"])
def live_city(
    request: pytest.FixtureRequest, tmp_path: Path, mosquitto: Mosquitto
) -> Iterator[Central]:
    store_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    central = make_central(tmp_path, f"mqtt://{mosquitto.host}:{mosquitto.port}", store_url)
    central.start()
    yield central
    central.proc.stop()


def test_the_city_does_what_its_document_says(live_city: Central, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    report_dir.mkdir()
    result = run_schemathesis(live_city.url, report_dir, live_city.headers)
    assert_no_finding(result, live_city.proc.log())
    assert "Traceback" not in live_city.proc.log()
