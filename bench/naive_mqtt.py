"""The baseline for ``bench_sync``: one QoS 1 message per event, each waiting for its PUBACK.

That is what "publish every event durably over MQTT" means without batching: the next
event goes only once the broker acknowledged the last. A subscriber in its own process
(as the city would be) counts them; the rate is events / (first publish -> last counted).

Run alone: ``python -m bench.naive_mqtt sub HOST PORT TOPIC N`` is the counting subscriber.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
TOPIC = "bench/naive/events"


def _client(name: str) -> mqtt.Client:
    return mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"{name}-{os.getpid()}", protocol=mqtt.MQTTv5
    )


def subscriber(host: str, port: int, topic: str, n: int, timeout: float = 300) -> None:
    """Count ``n`` QoS 1 messages; print a JSON line when subscribed, then the result."""
    done = threading.Event()
    state = {"count": 0, "first": 0.0, "last": 0.0}

    def on_connect(client: mqtt.Client, _u: Any, _f: Any, _rc: Any, _p: Any) -> None:
        client.subscribe(topic, qos=1)

    def on_subscribe(_c: Any, _u: Any, _mid: int, _rcs: Any, _p: Any) -> None:
        print(json.dumps({"ready": time.monotonic()}), flush=True)

    def on_message(_c: Any, _u: Any, _msg: mqtt.MQTTMessage) -> None:
        now = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
        if state["count"] == 0:
            state["first"] = now
        state["count"] += 1
        state["last"] = now
        if state["count"] >= n:
            done.set()

    client = _client("bench-naive-sub")
    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.connect(host, port)
    client.loop_start()
    done.wait(timeout)
    client.disconnect()
    client.loop_stop()
    print(json.dumps(state), flush=True)


@contextlib.contextmanager
def _subscriber_process(
    host: str, port: int, topic: str, n: int
) -> Iterator[Callable[[], dict[str, float]]]:
    """The counting subscriber as a process; yields a function that waits for its result."""
    argv = [sys.executable, "-m", "bench.naive_mqtt", "sub", host, str(port), topic, str(n)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=ROOT, text=True)
    try:
        assert proc.stdout is not None
        if "ready" not in json.loads(proc.stdout.readline() or "{}"):
            raise RuntimeError("the naive subscriber did not subscribe")

        def result() -> dict[str, float]:
            out, _ = proc.communicate(timeout=300)
            return dict(json.loads(out.strip().splitlines()[-1]))

        yield result
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def naive_loop(host: str, port: int, payloads: list[bytes]) -> dict[str, float]:
    """Publish each payload with QoS 1 and wait for its PUBACK; the subscriber's rate."""
    with _subscriber_process(host, port, TOPIC, len(payloads)) as result:
        client = _client("bench-naive-pub")
        client.connect(host, port)
        client.loop_start()
        try:
            deadline = time.monotonic() + 10
            while not client.is_connected() and time.monotonic() < deadline:
                time.sleep(0.005)
            started = time.monotonic()
            for payload in payloads:
                client.publish(TOPIC, payload, qos=1).wait_for_publish(timeout=10)
            published = time.monotonic()
            counted = result()
        finally:
            client.disconnect()
            client.loop_stop()
    if counted["count"] != len(payloads):
        raise RuntimeError(f"the naive subscriber got {counted['count']} of {len(payloads)}")
    seconds = counted["last"] - started
    return {
        "events": len(payloads),
        "record_bytes_mean": round(sum(map(len, payloads)) / len(payloads), 1),
        "seconds": round(seconds, 3),
        "events_per_s": round(len(payloads) / seconds, 1),
        "pubacks_per_s": round(len(payloads) / (published - started), 1),
    }


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "sub":
        subscriber(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit("usage: python -m bench.naive_mqtt sub HOST PORT TOPIC N")
