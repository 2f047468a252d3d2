"""A rate-limited path from a node to the broker for ``bench_sync``'s goodput figure.

Preferably the kernel's own shaper: a veth pair into a private network namespace with
``tc tbf`` on both ends, the node's ``motcua sync`` inside the namespace and the broker
listening on the host's end, so every byte between them crosses the shaped link as
Ethernet frames. Without root (or ``ip``/``tc``) the fault proxy's token bucket stands
in; it counts TCP payload, not frames, so its figure is a little kinder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.sync_rig import broker_config, progress
from tests.support.fault_proxy import FaultProxy
from tests.support.mosquitto import Mosquitto, free_port


class ShapedLink:
    """A veth pair between the host and a private network namespace, shaped by ``tc tbf``.

    The node runs inside the namespace (``prefix``) and reaches the broker at
    ``host_address``, so every byte between them crosses the shaped veth. Addresses are
    a /30 of 10.213.0.0/16 chosen from our pid; nothing else on the machine is touched.
    """

    def __init__(self) -> None:
        tag = os.getpid() % 10000
        self.netns = f"motcua-bench-{tag}"
        self.host_if, self.ns_if = f"mcb{tag}h", f"mcb{tag}n"
        base = 4 * (tag % 16000)
        self.host_address = f"10.213.{base // 256}.{base % 256 + 1}"
        self.ns_address = f"10.213.{base // 256}.{base % 256 + 2}"
        self.prefix = ["ip", "netns", "exec", self.netns]
        self._up = False

    @staticmethod
    def possible() -> str:
        """'' when this process may build one (root, ip and tc present), else why not."""
        if os.geteuid() != 0:
            return "not root"
        missing = [tool for tool in ("ip", "tc") if shutil.which(tool) is None]
        return f"{' and '.join(missing)} not found" if missing else ""

    def __enter__(self) -> ShapedLink:
        try:
            self._ip("netns", "add", self.netns)
            self._up = True
            self._ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
            self._ip("link", "set", self.ns_if, "netns", self.netns)
            self._ip("addr", "add", f"{self.host_address}/30", "dev", self.host_if)
            self._ip("link", "set", self.host_if, "up")
            self._ns("ip", "addr", "add", f"{self.ns_address}/30", "dev", self.ns_if)
            self._ns("ip", "link", "set", self.ns_if, "up")
            self._ns("ip", "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def shape(self, bits_per_s: int) -> None:
        """Both directions at ``bits_per_s`` (tc counts whole Ethernet frames)."""
        # Burst: 16 KB, 0.3 % of the smallest (quick) file; the queue holds 100 ms at the rate.
        spec = ["root", "tbf", "rate", f"{bits_per_s}bit", "burst", "16kb", "latency", "100ms"]
        self._run("tc", "qdisc", "replace", "dev", self.host_if, *spec)
        self._ns("tc", "qdisc", "replace", "dev", self.ns_if, *spec)

    def close(self) -> None:
        """Delete the namespace (its end of the pair goes with it, and so the pair)."""
        if self._up:
            self._up = False
            with contextlib.suppress(subprocess.CalledProcessError):
                self._ip("netns", "del", self.netns)
        with contextlib.suppress(subprocess.CalledProcessError):
            if Path(f"/sys/class/net/{self.host_if}").exists():
                self._ip("link", "del", self.host_if)

    def _ip(self, *args: str) -> None:
        self._run("ip", *args)

    def _ns(self, *args: str) -> None:
        self._run(*self.prefix, *args)

    @staticmethod
    def _run(*argv: str) -> None:
        subprocess.run(argv, check=True, capture_output=True, timeout=30)


def link_config(host_address: str, node_port: int, workdir: Path) -> Callable[[int], str]:
    """As ``broker_config``, plus a listener on the veth's host side for the node."""
    plain = broker_config(workdir)
    return lambda port: f"{plain(port)}\nlistener {node_port} {host_address}"


@dataclass
class ShapedPath:
    """A rate-limited path from a node to a broker, and how the city reaches that broker."""

    label: str
    node_url: str  # what the node connects to (across the shaped path)
    city_url: str  # what the city and the tap connect to (loopback, not shaped)
    prefix: list[str]  # command prefix that puts the node behind the shaped path
    set_rate: Callable[[int], None]  # bits per second, both directions


@contextlib.contextmanager
def shaped_path(work: Path, broker: Mosquitto, how: str) -> Iterator[ShapedPath]:
    """``how``: "tc", "proxy", or "auto" (tc when this process may, else the proxy)."""
    reason = ShapedLink.possible()
    if how == "tc" or (how == "auto" and not reason):
        workdir = work / "mosquitto-shaped"
        workdir.mkdir()
        node_port = free_port()
        with ShapedLink() as link:
            config = link_config(link.host_address, node_port, workdir)
            with Mosquitto(workdir, config) as own:
                own.start()
                yield ShapedPath(
                    "tc tbf, veth pair into a network namespace",
                    f"mqtt://{link.host_address}:{node_port}",
                    f"mqtt://{own.host}:{own.port}",
                    link.prefix,
                    link.shape,
                )
        return
    progress(f"2. no tc shaping ({reason or 'as asked'}): FaultProxy.limit_rate instead")
    with FaultProxy(broker.host, broker.port) as proxy:
        yield ShapedPath(
            "FaultProxy.limit_rate (counts TCP payload, not frames)",
            f"mqtt://{proxy.host}:{proxy.port}",
            f"mqtt://{broker.host}:{broker.port}",
            [],
            lambda bits: proxy.limit_rate(bits / 8),
        )
