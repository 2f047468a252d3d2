"""The node's figures for Prometheus, read on each scrape from the status interface
(:func:`web.health.node_health.node_health`), so ``/metrics`` says what ``/healthz`` and the
sync page say. Label values are bounded: lanes, alarm codes, years of the calendar."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from node.runtime import NodeRuntime
from web.health.node_health import NodeHealth, node_health
from web.health.status_metrics import gauge, status_metrics


class NodeCollector(Collector):
    def __init__(self, runtime: NodeRuntime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        yield from node_metrics(node_health(self.runtime))


def node_metrics(h: NodeHealth) -> Iterator[Metric]:
    info = GaugeMetricFamily(
        "motcua_node_info", "This node: its id and software version", labels=["node_id", "version"]
    )
    info.add_metric([h.node_id, h.software_version], 1)
    yield info
    yield from status_metrics(h.status, h.problems, h.storage)
    yield gauge("motcua_events_head_seq", "This node's newest event seq", h.events)
    years = GaugeMetricFamily(
        "motcua_calendar_year_loaded", "1 for each year of holidays loaded", labels=["year"]
    )
    for year in h.calendar_years:
        years.add_metric([str(year)], 1)
    yield years
    yield gauge("motcua_calendar_years_loaded", "Years of holidays loaded", len(h.calendar_years))
    yield gauge(
        "motcua_calendar_warnings", "Open dossiers' missing calendars", len(h.calendar_warnings)
    )
    if h.sync is not None:
        yield from _sync_metrics(h)
    if h.ingest is not None:
        i = h.ingest
        yield gauge("motcua_ingest_running", "1 while a process runs ingest", i.running)
        yield gauge("motcua_ingest_files_waiting", "Scans waiting to be taken", i.files_waiting)
        yield gauge("motcua_ingest_unfiled", "Scan parts in the unfiled inbox", i.unfiled)
        yield gauge("motcua_ingest_quarantined", "Files in the quarantine folders", i.quarantined)


def _sync_metrics(h: NodeHealth) -> Iterator[Metric]:
    assert h.sync is not None
    sync = h.sync
    link = GaugeMetricFamily(
        "motcua_sync_link",
        "1 for the link's state (connected, disconnected, off)",
        labels=["state"],
    )
    for state in ("connected", "disconnected", "off"):
        link.add_metric([state], 1 if sync.link == state else 0)
    yield link
    pending = GaugeMetricFamily(
        "motcua_sync_pending", "Items not yet acknowledged by the city", labels=["lane"]
    )
    size = GaugeMetricFamily(
        "motcua_sync_pending_bytes", "Bytes not yet acknowledged by the city", labels=["lane"]
    )
    oldest = GaugeMetricFamily(
        "motcua_sync_oldest_pending_age_seconds",
        "Age of the oldest unacknowledged item (0: none)",
        labels=["lane"],
    )
    for lane, st in sorted(sync.lanes.items()):
        pending.add_metric([lane], st.pending)
        size.add_metric([lane], st.bytes)
        oldest.add_metric([lane], st.oldest_age_seconds or 0.0)
    yield from (pending, size, oldest)
    yield gauge("motcua_sync_acked_seq", "Last event seq the city acknowledged", sync.acked_seq)
    yield gauge(
        "motcua_sync_throughput_bytes_per_second", "Upload rate", sync.throughput_bytes_per_s
    )
    alarms = GaugeMetricFamily("motcua_sync_alarm", "1 for each sync alarm raised", labels=["code"])
    for code in sync.alarms:
        alarms.add_metric([code], 1)
    yield alarms
