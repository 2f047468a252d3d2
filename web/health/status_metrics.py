"""The figures every process reports the same way: its status, its problems, its disk."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from storage.faults import FaultState
from web.health.problems import STATUS_LEVEL, Problem, Status


def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def labelled(name: str, doc: str, label: str, values: dict[str, float]) -> GaugeMetricFamily:
    """One gauge family, a sample per label value (a node, a lane, a year)."""
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def status_metrics(status: Status, problems: list[Problem], s: FaultState) -> Iterator[Metric]:
    yield gauge("motcua_health_status", "0 ok, 1 degraded, 2 error", STATUS_LEVEL[status])
    found = GaugeMetricFamily(
        "motcua_health_problem", "1 for each problem reported now", labels=["code", "severity"]
    )
    for p in problems:
        found.add_metric([p.code, p.severity], 1)
    yield found
    yield gauge("motcua_disk_free_bytes", "Free space on the data disk", s.disk.free_bytes)
    yield gauge("motcua_disk_total_bytes", "Size of the data disk", s.disk.total_bytes)
    yield gauge("motcua_disk_full", "1 while writes are refused for lack of space", s.disk_full)
    yield CounterMetricFamily(
        "motcua_disk_full_episodes", "Full-disk episodes since start", value=s.disk_full_episodes
    )
    yield CounterMetricFamily(
        "motcua_disk_refused_writes", "Writes refused (507) since start", value=s.refused_writes
    )
