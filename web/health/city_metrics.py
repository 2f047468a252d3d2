"""The city's figures for Prometheus, read on each scrape from the status interface
(:func:`web.health.city_health.city_health`). One label value per node: bounded by the
province's communes (about 150), never by anything a client sends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from central.runtime import CentralRuntime
from storage.faults import StorageFaults
from web.health.city_health import CityHealth, NodeLag, ReceiverStatus, city_health
from web.health.status_metrics import gauge, labelled, status_metrics


class CityCollector(Collector):
    def __init__(
        self,
        central: CentralRuntime,
        faults: StorageFaults,
        receiver: ReceiverStatus | None,
    ) -> None:
        self.central, self.faults, self.receiver = central, faults, receiver

    def collect(self) -> Iterator[Metric]:
        yield from city_metrics(city_health(self.central, self.faults, self.receiver))


def city_metrics(h: CityHealth) -> Iterator[Metric]:
    yield from status_metrics(h.status, h.problems, h.storage)
    if h.mqtt is not None:
        yield gauge(
            "motcua_city_receiver_subscribed",
            "1 while the receiver is subscribed",
            bool(h.mqtt.get("subscribed")),
        )
    yield gauge("motcua_city_nodes", "Nodes that have replicated here", len(h.nodes))
    per_node: tuple[tuple[str, str, Callable[[NodeLag], float]], ...] = (
        ("motcua_city_node_online", "1 while the node is online", lambda n: n.online),
        (
            "motcua_city_node_lag_events",
            "The node's events not here yet (by its last report)",
            lambda n: n.lag_events,
        ),
        (
            "motcua_city_node_down_pending",
            "City events the node has not applied",
            lambda n: n.down_pending,
        ),
        (
            "motcua_city_node_diverged",
            "1 when the node's log diverged from the city's copy",
            lambda n: n.diverged,
        ),
    )
    for name, doc, value in per_node:
        yield labelled(name, doc, "node_id", {n.node_id: value(n) for n in h.nodes})
    yield labelled(
        "motcua_city_node_last_seen_age_seconds",
        "Seconds since the node's last message",
        "node_id",
        {
            n.node_id: n.last_seen_age_seconds
            for n in h.nodes
            if n.last_seen_age_seconds is not None
        },
    )
    rejected = CounterMetricFamily(
        "motcua_city_rejections",
        "Messages rejected, by reason (kept by the store)",
        labels=["reason"],
    )
    for reason, count in h.rejections.items():
        rejected.add_metric([reason], count)
    yield rejected
    for key, doc in (
        ("batches_applied", "Event batches applied by this process"),
        ("events_applied", "Events applied by this process"),
        ("events_duplicate", "Events received again by this process"),
        ("messages", "MQTT messages handled by this process"),
    ):
        yield CounterMetricFamily(f"motcua_city_{key}", doc, value=h.process.get(key, 0))
