"""A province-sized city: N simulated communes against the real broker and the city on
PostgreSQL (``bench/README.md``, section ``province_load``).

Two figures, each from its own nodes, broker and database:

- **throughput**: ``--throughput-nodes`` nodes, each with ``--events`` events of dossiers
  received, started and resolved, drain to the city with 1 and with 2 ``motcua central
  serve`` processes sharing the subscription (alternately, ``--rounds`` times each);
  events/s = events ÷ (links started → the city's store holds them all).
- **outage**: ``--nodes`` nodes, each with a working day (``--dossiers`` dossiers, each
  received, with a scan of ``--scan-kb`` KB, started and resolved), running while the whole
  city (broker and receivers) is down for ``--outage-seconds``, then the city comes back
  with ``--receivers`` receivers: seconds until it holds every event and every file; then
  every node's digest is compared with the city's and duplicates are counted.

Run: ``uv run python -m bench.province_load`` (about 10 min here), ``--quick`` (under a
minute), ``--only throughput|outage``, ``--json FILE``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import province_city, province_nodes
from bench.province_city import City, load_average
from bench.province_nodes import Backlog, NodeProcesses
from bench.sync_rig import progress
from cli.digest_cmd import central_digest, node_digest
from tests.support.mosquitto import free_port
from tests.support.postgres_fixtures import PG_ADMIN, fresh_database
from tests.support.wait import wait_until

Figures = dict[str, Any]
AIM_SCALING = 1.6  # 2 receivers ≥ 1.6 × 1


@dataclass
class Drain:
    """When the city's store first held an event of the backlog, and when it held it all."""

    first_applied: float  # time.monotonic()
    done: float

    def rate(self, events: int) -> float:
        return events / max(self.done - self.first_applied, 1e-9)


def _wait_held(city: City, events: int, files: int, timeout: float) -> Drain:
    """Poll the store (every 0.1 s) until it holds ``events`` events and ``files`` files."""
    seen: list[tuple[int, int]] = []
    first: list[float] = []

    def held() -> bool:
        seen[:] = [city.counts()]
        if seen[0][0] and not first:
            first.append(time.monotonic())
        return seen[0][0] >= events and seen[0][1] >= files

    try:
        wait_until(held, timeout=timeout, interval=0.1, what="the city to hold every event")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: held {seen}, expected ({events}, {files})") from None
    return Drain(first[0], time.monotonic())


def _cpu(pids: list[int]) -> list[float]:
    return [province_city.cpu_seconds(p) for p in pids]


def one_drain(
    work: Path, backlogs: list[Backlog], receivers: int, pg_admin: str, idle_wait: float
) -> Figures:
    """Fresh copies of ``backlogs`` drained to a fresh city with ``receivers`` processes."""
    port = free_port()
    url = f"mqtt://127.0.0.1:{port}"
    copies = province_nodes.copy_backlogs(backlogs, work / "nodes", broker_url=url)
    events = sum(b.events for b in copies)
    mosquitto = province_city.broker(work / "broker", port).start()
    nodes = NodeProcesses(copies, idle_wait)
    try:
        with fresh_database(pg_admin, "motcua_province") as store_url:
            city = City(work, url, store_url).init()
            try:
                city.start(receivers)
                nodes.open()
                load_before = load_average()
                cpu_before = _cpu(city.pids())
                generator_before = sum(_cpu(nodes.pids()))
                started = time.monotonic()
                nodes.start()
                drain = _wait_held(city, events, 0, timeout=120 + events / 200)
                seconds = drain.done - started
                cpu = [a - b for a, b in zip(_cpu(city.pids()), cpu_before, strict=True)]
                figures: Figures = {
                    "receivers": receivers,
                    "events": events,
                    "seconds": round(seconds, 2),
                    "startup_s": round(drain.first_applied - started, 2),
                    "events_per_s": round(drain.rate(events), 1),
                    "receiver_cores": [round(c / seconds, 2) for c in cpu],
                    "generator_cores": round(
                        (sum(_cpu(nodes.pids())) - generator_before) / seconds, 2
                    ),
                    "load_average": [load_before, load_average()],
                    "duplicates": city.duplicates(),
                }
                figures["resends_dropped"], figures["gap_refusals"] = city.resends()
            finally:
                nodes.stop()
                city.stop()
    finally:
        mosquitto.close()
    return figures


def _sync(args: argparse.Namespace) -> dict[str, str]:
    """The nodes' ``[sync]`` keys the run sets (the shipped defaults otherwise)."""
    return {"ack_timeout_seconds": str(args.ack_timeout)} if args.ack_timeout else {}


def throughput(work: Path, args: argparse.Namespace) -> Figures:
    ids = province_nodes.node_ids(args.throughput_nodes, prefix="tp")
    progress(f"throughput: seeding {len(ids)} nodes x {args.events} events")
    template = province_nodes.seed(
        work / "template", ids, "mqtt://127.0.0.1:1", events=args.events, sync=_sync(args)
    )
    order = [1, 2, 2, 1] * args.rounds if args.rounds > 1 else [1, 2]
    runs: list[Figures] = []
    for k, receivers in enumerate(order[: 2 * args.rounds]):
        progress(f"throughput: drain {k + 1}/{2 * args.rounds} with {receivers} receiver(s)")
        runs.append(one_drain(work / f"run-{k}", template, receivers, args.pg_url, args.idle_wait))
        progress(f"  {runs[-1]['events_per_s']} events/s, load {runs[-1]['load_average']}")
    best = {r: max(x["events_per_s"] for x in runs if x["receivers"] == r) for r in (1, 2)}
    return {"runs": runs, "best_events_per_s": best, "ratio_2_to_1": round(best[2] / best[1], 2)}


def outage(work: Path, args: argparse.Namespace) -> Figures:
    port = free_port()
    url = f"mqtt://127.0.0.1:{port}"
    ids = province_nodes.node_ids(args.nodes)
    progress(f"outage: seeding {len(ids)} nodes, a day each ({args.dossiers} dossiers)")
    backlogs = province_nodes.seed(
        work / "nodes",
        ids,
        url,
        dossiers=args.dossiers,
        scan_bytes=args.scan_kb * 1024,
        events=args.events_per_node,
        sync=_sync(args),
    )
    events = sum(b.events for b in backlogs)
    files = sum(len(b.files) for b in backlogs)
    mosquitto = province_city.broker(work / "broker", port)
    nodes = NodeProcesses(backlogs, args.idle_wait)
    city: City | None = None
    try:
        with fresh_database(args.pg_url, "motcua_province") as store_url:
            city = City(work, url, store_url).init()
            nodes.open().start()  # the city is down: every link retries with paho's backoff
            progress(f"outage: the city is down for {args.outage_seconds} s")
            time.sleep(args.outage_seconds)
            load_before = load_average()
            back = time.monotonic()
            mosquitto.start()
            city.start(args.receivers)
            serving = time.monotonic()
            # Generous: a file costs an offer, its chunks and acks, one after the other.
            done = _wait_held(city, events, files, timeout=600 + events / 50 + files).done
            figures: Figures = {
                "nodes": len(backlogs),
                "events": events,
                "files": files,
                "file_bytes": files * args.scan_kb * 1024,
                "receivers": args.receivers,
                "converge_s": round(done - back, 2),
                "converge_after_subscribed_s": round(done - serving, 2),
                "events_per_s": round(events / (done - back), 1),
                "load_average": [load_before, load_average()],
                "receiver_peak_rss_mb": [
                    round(province_city.status_kb(p, "VmHWM") / 1024, 1) for p in city.pids()
                ],
                "broker_peak_rss_mb": round(
                    province_city.status_kb(mosquitto.pid or 0, "VmHWM") / 1024, 1
                ),
                "generator_peak_rss_mb": [
                    round(province_city.status_kb(p, "VmHWM") / 1024, 1) for p in nodes.pids()
                ],
                "pg_connections": city.connections(),
            }
            figures["resends_dropped"], figures["gap_refusals"] = city.resends()
            nodes.stop()
            city.stop()
            figures["node_rejections"] = nodes.rejected  # messages a node refused: 0
            figures["duplicates"] = city.duplicates()
            figures["digests_equal"] = sum(
                node_digest(b.node_dir) == central_digest(city.root / "central", b.node_id)
                for b in backlogs
            )
    finally:
        nodes.stop()
        if city is not None:  # also when the wait failed: no receiver left running
            city.stop()
        mosquitto.close()
    return figures


def print_figures(figures: Figures) -> None:
    if "throughput" in figures:
        t = figures["throughput"]
        print(
            f"{'receivers':<10}{'events':>8}{'seconds':>9}{'events/s':>10}"
            f"{'receiver cores':>18}{'gen cores':>10}{'resent':>8}{'gaps':>6}{'load avg':>14}"
        )
        for r in t["runs"]:
            cores = "+".join(f"{c:.2f}" for c in r["receiver_cores"])
            load = "/".join(f"{x:.1f}" for x in r["load_average"])
            print(
                f"{r['receivers']:<10}{r['events']:>8}{r['seconds']:>9.2f}"
                f"{r['events_per_s']:>10.0f}{cores:>18}{r['generator_cores']:>10.2f}"
                f"{r['resends_dropped']:>8}{r['gap_refusals']:>6}{load:>14}"
            )
        ratio = t["ratio_2_to_1"]
        verdict = "met" if ratio >= AIM_SCALING else "NOT met"
        print(f"2 receivers / 1: {ratio:.2f}x (aim {AIM_SCALING}x: {verdict})")
    if "outage" in figures:
        o = figures["outage"]
        print(
            f"outage: {o['nodes']} nodes, {o['events']} events + {o['files']} files "
            f"({o['file_bytes'] / 1e6:.0f} MB), {o['receivers']} receivers"
        )
        print(
            f"  converged {o['converge_s']:.1f} s after the city came back "
            f"({o['converge_after_subscribed_s']:.1f} s after its receivers subscribed), "
            f"{o['events_per_s']:.0f} events/s overall, load avg "
            + "/".join(f"{x:.1f}" for x in o["load_average"])
        )
        print(
            f"  peak RSS: receivers {o['receiver_peak_rss_mb']} MB, broker "
            f"{o['broker_peak_rss_mb']} MB, generator {o['generator_peak_rss_mb']} MB; "
            f"{o['pg_connections']} PostgreSQL connections"
        )
        print(
            f"  digests equal {o['digests_equal']}/{o['nodes']}, duplicates stored "
            f"{o['duplicates']}, re-sent events dropped {o['resends_dropped']}, "
            f"batches refused as gaps {o['gap_refusals']}"
        )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=150, help="nodes of the outage")
    p.add_argument("--dossiers", type=int, default=40, help="a node's working day")
    p.add_argument("--scan-kb", type=int, default=250, help="one scan per dossier")
    p.add_argument("--events-per-node", type=int, default=0, help="outage: extra events")
    p.add_argument("--outage-seconds", type=float, default=35.0)
    p.add_argument("--receivers", type=int, default=2, help="receivers after the outage")
    p.add_argument("--throughput-nodes", type=int, default=10)
    p.add_argument("--events", type=int, default=2000, help="throughput: events per node")
    p.add_argument("--rounds", type=int, default=1, help="1: order 1,2; 2: 1,2,2,1")
    p.add_argument(
        "--ack-timeout", type=float, default=0.0, help="nodes' first ack timeout (0: shipped)"
    )
    p.add_argument("--idle-wait", type=float, default=0.1, help="a simulated link's idle poll")
    p.add_argument("--pg-url", default=PG_ADMIN, help="admin URL of a PostgreSQL server")
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--only", nargs="+", choices=("throughput", "outage"), default=None)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--quick", action="store_true", help="small counts: under a minute")
    args = p.parse_args(argv)
    if args.quick:
        args.nodes, args.dossiers, args.scan_kb, args.outage_seconds = 10, 3, 20, 2.0
        args.throughput_nodes, args.events = 4, 300
    return args


def main(argv: list[str] | None = None) -> Figures:
    args = parse(argv)
    figures: Figures = {}
    sections = {"throughput": throughput, "outage": outage}
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="province-") as tmp:
        for name, run in sections.items():
            if args.only is None or name in args.only:
                figures[name] = run(Path(tmp) / name, args)
                if args.json:  # kept section by section: a long run's first half survives
                    args.json.write_text(json.dumps(figures, indent=2))
    print_figures(figures)
    return figures


if __name__ == "__main__":
    main()
