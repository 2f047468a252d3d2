"""The table ``bench_sync`` prints: every figure, its base or aim, and met or NOT met."""

from __future__ import annotations

from typing import Any

Figures = dict[str, Any]


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def line(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<56}{value:>16}  {note}".rstrip())


def report(results: Figures) -> None:
    """Print the sections that ran, in the issue's order."""
    for name, show in (
        ("events", _events),
        ("goodput", _goodput),
        ("resend", _resend),
        ("latency", _latency),
        ("rss", _rss),
        ("slow", _slow),
    ):
        if name in results:
            show(results[name])
    if "events" in results and "rss" in results:  # a longer drain, the same naive base
        naive = results["events"]["naive"]["events_per_s"]
        ratio = results["rss"]["events_per_s"] / naive
        print("1+5. the longer drain against the same naive rate")
        line(
            f"drain of {results['rss']['pending_events']:,} (section 5), events/s / naive",
            f"{ratio:.1f}x",
            f"(aim >= {results['events']['aim']:g}x: {verdict(ratio >= results['events']['aim'])})",
        )


def _cpu(r: Figures) -> str:
    c = r["cpu_cores"]
    return f"{c['sync']:.2f} / {c['central']:.2f} / {c['broker']:.2f}"


def _bound(r: Figures) -> None:
    line("  CPU (cores) while draining: sync / central / broker", _cpu(r))
    line(
        "  the city waiting for a batch, of the drain",
        f"{r['city_waiting_s']:.2f} s",
        f"of {r['drain_s']:.2f} s",
    )


def _events(r: Figures) -> None:
    naive, aim = r["naive"], r["aim"]
    print(f"1. events end to end: {r['pending_events']:,} pending, node commit -> city ack")
    line("start-up: spawn of motcua sync -> its Birth at the broker", f"{r['startup_s']:.2f} s")
    line("drain: Birth -> node's sync_acked = head", f"{r['drain_s']:.2f} s")
    line("  events/s (pending / drain)", f"{r['events_per_s']:,.0f}")
    line("  events/s including start-up", f"{r['events_per_s_incl_startup']:,.0f}")
    _bound(r)
    runs = " and ".join(f"{n['events_per_s']:,.0f}" for n in r["naive_runs"])
    line(
        f"naive: {naive['events']:,} x QoS 1 PUBLISH+PUBACK, "
        f"{naive['record_bytes_mean']:.0f} B each",
        f"{naive['events_per_s']:,.0f}",
        f"events/s at the subscriber (best of {runs})",
    )
    line("ratio drain / naive", f"{r['ratio']:.1f}x", f"aim >= {aim:g}x: {verdict(r['aim_met'])}")
    incl = r["ratio_incl_startup"]
    line("ratio including start-up / naive", f"{incl:.1f}x", f"(aim: {verdict(incl >= aim)})")


def _goodput(g: Figures) -> None:
    print(f"2. file goodput through a shaped link ({g['shaper']})")
    for key, r in g.items():
        if key == "shaper":
            continue
        line(
            f"{key} Mbit/s = {r['link_bytes_per_s']:,.0f} B/s: "
            f"{r['file_bytes'] / 1e6:.1f} MB in {r['seconds']:.1f} s",
            f"{r['goodput_bytes_per_s']:,.0f} B/s",
            f"{r['ratio']:.1%}, aim >= {r['aim']:.0%}: {verdict(r['aim_met'])}",
        )
        line(
            "  offer -> complete; chunk data that reached the broker",
            f"{r['offer_to_complete_s']:.1f} s",
            f"{r['chunk_bytes_sent']:,} B for a {r['file_bytes']:,} B file",
        )


def _resend(r: Figures) -> None:
    chunk = r["chunk_bytes"]
    print(
        f"3. re-sent per interruption: {r['file_bytes'] / 1e6:.1f} MB at "
        f"{r['rate_bits_per_s'] / 1e6:g} Mbit/s through FaultProxy, {r['cuts']} cuts mid-chunk"
    )
    ratio = "n/a" if r["ratio"] is None else f"{r['ratio']:.2f} chunk"
    line(
        "chunk data at the broker - file size, per cut",
        f"{r['resent_bytes_per_cut']:,.0f} B",
        f"{ratio}; aim <= 1 chunk ({chunk:,} B): {verdict(r['aim_met'])}",
    )
    line(
        "  chunks the broker saw more than once (all cuts)",
        f"{r['repeated_chunks']}",
        f"{r['resent_bytes']:,} B in all",
    )
    line(
        "wire bytes cut off mid-message, per cut",
        f"{r['cut_off_wire_bytes_per_cut']:,.0f} B",
        "proxy's upstream bytes - whole PUBLISHes (incl. ~0.3 kB MQTT set-up)",
    )
    wasted = r["wasted_bytes_per_cut"]
    line(
        "everything sent in vain, per cut",
        f"{wasted:,.0f} B",
        f"{wasted / chunk:.2f} chunk ({verdict(wasted <= chunk)} against 1 chunk)",
    )
    line("transfer time with the cuts", f"{r['transfer_s']:.1f} s")


def _latency(r: Figures) -> None:
    print(
        f"4. commit-to-ack latency at {r['rate_per_s']:g} events/s ({r['events']:,} creates, "
        f"sync_acked polled every {r['poll_interval_ms']:g} ms)"
    )
    line("p50 / p99 / max", f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f}", f"/ {r['max_ms']:.1f} ms")
    for q in ("p50", "p99"):
        p = r[f"parts_{q}_ms"]
        line(
            f"  {q} of: commit->broker / ->city's ack / ->sync_acked",
            f"{p['send']:.1f} / {p['city']:.1f}",
            f"/ {p['record']:.1f} ms",
        )


def _rss(r: Figures) -> None:
    print(f"5. motcua sync draining {r['pending_events']:,} pending events")
    line(
        "peak RSS (VmHWM)",
        f"{r['peak_rss_bytes'] / 1e6:.1f} MB",
        f"aim <= {r['aim_bytes'] / 1e6:.0f} MB: {verdict(r['aim_met'])}",
    )
    line(
        "  RSS at connect / max sampled",
        f"{r['rss_at_connect_bytes'] / 1e6:.1f} MB",
        f"/ {r['max_sampled_rss_bytes'] / 1e6:.1f} MB ({r['rss_samples']} samples)",
    )
    line("  start-up / drain", f"{r['startup_s']:.2f} s", f"/ {r['drain_s']:.2f} s")
    line("  events/s (pending / drain)", f"{r['events_per_s']:,.0f}")
    _bound(r)


def _slow(r: Figures) -> None:
    print("6. slow links: a backlog of events and a file, one loss (the city restarted)")
    for f in r.values():
        rate = f["rate_bytes_per_s"]
        print(f"  at {rate:,} B/s ({f['link']})")
        line(
            f"    drain of {f['events']:,} events + {f['file_bytes']:,} B file",
            f"{f['drain_s']:.1f} s",
            f"(its bytes need {f['bytes_need_s']:.1f} s)",
        )
        met = f["duplicate_events_per_loss"] <= f["window_events"]
        line(
            "    duplicate events the city counted, per loss",
            f"{f['duplicate_events_per_loss']:,}",
            f"(aim <= one window, {f['window_events']:,}: {verdict(met)})",
        )
        line(
            "    new dossier while events drain: to the city",
            f"{f['latency_during_events_s']:.2f} s",
            f"(its {f['events_ahead_bytes']:,} bytes need {f['events_ahead_need_s']:.2f} s"
            f" + one round trip {f['round_trip_s']:.3f} s)",
        )
        line(
            "    new dossier while the file drains: to the city",
            f"{f['latency_during_file_s']:.2f} s",
            "(passed the file)" if not f["file_done_before_it"] else "(file was done)",
        )
