"""Dossier creates against a bare Litestar + one durable SQLite insert, in the same run.

The figure is the ratio: what the node adds on top of "decode a small body, commit one
row durably, answer". Both servers run as one uvicorn process with the settings of
``motcua serve``, and the bare one commits through ``storage.db.Database`` itself (per-thread
apsw connections, WAL, synchronous=FULL, one writer lock, BEGIN IMMEDIATE), so the
storage primitive is identical and the difference is the node's own work: catalog lookup,
due date, code serial, event append, projection, the larger response.

Both servers run side by side and are loaded in alternating slices (see :func:`alternate`)
by a minimal HTTP/1.1 client (see :class:`Connection`). See bench/README.md.
Run: ``uv run python -m bench.bench_create [--duration 10] [--concurrency 8] [--json f]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import msgspec
import uuid6
import uvicorn
from litestar import Litestar, get, post

from accounts import tokens, users
from cli.common import operator
from cli.init_cmd import initialise
from node.runtime import open_node
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
AIM = 0.60  # the target: node creates/s at least 60 % of bare inserts/s
CREATE_BODY = json.dumps(
    {
        "procedure_code": "1.000894",
        "applicant": {
            "full_name": "Nguyễn Văn A",
            "id_number": "001099012345",
            "phone": "0912345678",
            "address": "Thôn 3, xã Hòa Phú",
        },
        "channel": "in_person",
        "components": ["Tờ khai"],
    }
).encode()


# --- the bare server -------------------------------------------------------------------


class Applicant(msgspec.Struct, frozen=True):
    full_name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""


class BareRequest(msgspec.Struct, frozen=True):
    procedure_code: str
    applicant: Applicant
    channel: str
    components: list[str]


class BareOut(msgspec.Struct, frozen=True):
    id: str


def bare_app(db_path: Path) -> Litestar:
    """One POST that decodes the same body the node gets and commits one row."""
    db = Database(db_path)
    with db.write() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, procedure_code TEXT NOT NULL, "
            "body BLOB NOT NULL)"
        )
    encoder = msgspec.json.Encoder()

    @post("/items", sync_to_thread=True)
    def insert(data: BareRequest) -> BareOut:
        item_id = str(uuid6.uuid7())
        with db.write() as conn:
            conn.execute(
                "INSERT INTO items (id, procedure_code, body) VALUES (?, ?, ?)",
                (item_id, data.procedure_code, encoder.encode(data)),
            )
        return BareOut(item_id)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[insert, healthz], on_shutdown=[db.close], debug=False)


def serve_bare(db_path: Path, port: int) -> None:
    # The same uvicorn.run settings as cli/serve_cmd.py: one process, no access log.
    uvicorn.run(bare_app(db_path), host="127.0.0.1", port=port, log_level="info", access_log=False)


# --- running a server process ----------------------------------------------------------


@dataclass
class Server:
    name: str
    url: str
    path: str  # the endpoint that creates
    process: subprocess.Popen[bytes]
    token: str = ""  # the node's API token: creates go through authentication like a script's

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the server process so far (Linux /proc; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(name: str, argv: list[str], port: int, path: str, log: Path, token: str = "") -> Server:
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(name, f"http://127.0.0.1:{port}", path, process, token)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # poll until it answers; start-up time varies
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: see {log}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"{name} did not answer within 60 s: see {log}")


# --- load ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    ok: int
    errors: int
    elapsed_s: float
    per_s: float
    p50_ms: float
    p99_ms: float
    client_cpu: float  # cores this (load generator) process used on average
    server_cpu: float | None  # cores the server used on average


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile; nan when nothing was measured."""
    if not sorted_ms:
        return float("nan")
    rank = max(1, math.ceil(q * len(sorted_ms)))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


@dataclass
class Tally:
    """Sums over the slices of one target, so alternating slices add up to one figure."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = 0.0

    def result(self) -> LoadResult:
        lat, t = sorted(self.latencies_ms), self.elapsed_s
        return LoadResult(
            ok=len(lat),
            errors=self.errors,
            elapsed_s=round(t, 3),
            per_s=round(len(lat) / t, 1) if t else 0.0,
            p50_ms=round(percentile(lat, 0.50), 2),
            p99_ms=round(percentile(lat, 0.99), 2),
            client_cpu=round(self.client_cpu_s / t, 2) if t else 0.0,
            server_cpu=None
            if self.server_cpu_s is None or not t
            else round(self.server_cpu_s / t, 2),
        )


class Connection:
    """One keep-alive HTTP/1.1 connection that speaks just enough for these POSTs.

    Not httpx: its client spends ~1.3 ms of CPU per request, as much as the bare server
    itself, so on two cores the load generator capped the bare rate and flattered the
    ratio. This one spends ~0.06 ms.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, request: bytes) -> int:
        """Send a whole request, read the whole answer, return its status."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ValueError(f"an answer without Content-Length: {head[:200]!r}")
        await self.reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Idle connections to one server; a new one opens whenever none is idle."""

    def __init__(self, server: Server) -> None:
        host, port = server.url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.request = (
            f"POST {server.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(CREATE_BODY)}\r\n"
            + (f"Authorization: Bearer {server.token}\r\n" if server.token else "")
            + "\r\n"
        ).encode() + CREATE_BODY
        self.idle: list[Connection] = []

    async def acquire(self) -> Connection:
        if self.idle:
            return self.idle.pop()
        return Connection(*await asyncio.open_connection(self.host, self.port))

    def close(self) -> None:
        for conn in self.idle:
            conn.close()


Load = Callable[[Pool, Tally], Awaitable[None]]


async def _slice(server: Server, tally: Tally, load: Load) -> None:
    pool = Pool(server)
    try:
        cpu0, server0, t0 = time.process_time(), server.cpu_seconds(), time.perf_counter()
        await load(pool, tally)
        tally.elapsed_s += time.perf_counter() - t0
        tally.client_cpu_s += time.process_time() - cpu0
        server1 = server.cpu_seconds()
    finally:
        pool.close()
    if tally.server_cpu_s is not None and server0 is not None and server1 is not None:
        tally.server_cpu_s += server1 - server0
    else:
        tally.server_cpu_s = None


async def _send(pool: Pool, tally: Tally) -> None:
    start = time.perf_counter()  # before acquire: a connection opened now is part of the wait
    conn = await pool.acquire()
    try:
        status = await conn.post(pool.request)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        conn.close()  # a broken connection is not reused
        tally.errors += 1
        return
    pool.idle.append(conn)
    if status == 201:
        tally.latencies_ms.append((time.perf_counter() - start) * 1000)
    else:
        tally.errors += 1


def closed_loop(concurrency: int, duration: float) -> Load:
    """``concurrency`` clients, each sending its next request when the last is answered."""

    async def load(pool: Pool, tally: Tally) -> None:
        deadline = time.perf_counter() + duration

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                await _send(pool, tally)

        await asyncio.gather(*(one_client() for _ in range(concurrency)))

    return load


def open_loop(rate: float, duration: float) -> Load:
    """Requests on a fixed schedule, whatever the answers do.

    Each request is its own task on an idle (or new) connection, so a slow answer never
    delays the next send (no coordinated omission). Latency counts from the actual send,
    not the scheduled one: the client's timer lag (~1 ms here) is not the server's.
    """

    async def load(pool: Pool, tally: Tally) -> None:
        begin = time.perf_counter() + 0.05

        async def at(due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await _send(pool, tally)

        await asyncio.gather(*(at(begin + i / rate) for i in range(int(rate * duration))))

    return load


def alternate(servers: list[Server], load: Load, rounds: int) -> dict[str, LoadResult]:
    """Run ``load`` on each server in turn, ``rounds`` times, in ABBA order.

    On a real disk both servers are bound mostly by fsync, whose time on a shared disk
    drifts by tens of per cent within a minute; alternating short slices (reversing the
    order every other round) lets the drift hit both alike, so the ratio stays meaningful.
    """
    tallies = {s.name: Tally() for s in servers}
    for r in range(rounds):
        for server in servers if r % 2 == 0 else servers[::-1]:
            asyncio.run(_slice(server, tallies[server.name], load))
    return {name: t.result() for name, t in tallies.items()}


def start(name: str, work: Path) -> Server:
    port = free_port()
    token = ""
    if name == "bare":
        code = "import sys; from pathlib import Path; from bench.bench_create import serve_bare; "
        code += "serve_bare(Path(sys.argv[1]), int(sys.argv[2]))"
        argv = [sys.executable, "-c", code, str(work / "bare.sqlite3"), str(port)]
        path = "/items"
    else:
        data_dir = work / "node"
        initialise(data_dir, "000.00.15.H42", "xa-bench", calendars=True, sample_catalog=True)
        token = bench_token(data_dir)
        argv = [sys.executable, "-m", "cli", "serve", "--data-dir", str(data_dir)]
        argv += ["--port", str(port)]
        path = "/api/v1/dossiers"
    return spawn(name, argv, port, path, work / f"{name}.log", token)


def bench_token(data_dir: Path) -> str:
    """An account of the reception role and its API token, as a province script would use."""
    rt = open_node(data_dir)
    try:
        users.add(rt.db, operator("bench"), "bench", ["reception"], "bench-password-1")
        return tokens.create(rt.db, operator("bench"), "bench", "bench")[1]
    finally:
        rt.close()


def measure(work: Path, args: argparse.Namespace) -> dict[str, dict[str, LoadResult]]:
    servers: list[Server] = []
    try:
        servers = [start("bare", work), start("node", work)]
        progress(f"warm-up {args.warmup} s each")
        alternate(servers, closed_loop(args.concurrency, args.warmup), 1)
        progress(f"closed loop: {args.concurrency} clients, {args.duration} s each")
        slice_s = args.duration / args.rounds
        max_rate = alternate(servers, closed_loop(args.concurrency, slice_s), args.rounds)
        progress(f"open loop: {args.rate:g} req/s, {args.steady_duration} s each")
        slice_s = args.steady_duration / args.rounds
        steady = alternate(servers, open_loop(args.rate, slice_s), args.rounds)
    finally:
        for server in servers:
            server.stop()
    return {"max_rate": max_rate, "steady": steady}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report(
    figures: dict[str, dict[str, LoadResult]], args: argparse.Namespace
) -> dict[str, object]:
    top, steady = figures["max_rate"], figures["steady"]
    bare, node = top["bare"].per_s, top["node"].per_s
    ratio = node / bare if bare else 0.0
    rows = [
        ("", "bare insert", "node create"),
        (f"max rate, {args.concurrency} clients (/s)", bare, node),
        ("  p50 / p99 at max rate (ms)", _pair(top["bare"]), _pair(top["node"])),
        ("  server / client CPU (cores)", _cpu(top["bare"]), _cpu(top["node"])),
        (f"p50 at {args.rate:g} req/s (ms)", steady["bare"].p50_ms, steady["node"].p50_ms),
        (f"p99 at {args.rate:g} req/s (ms)", steady["bare"].p99_ms, steady["node"].p99_ms),
        ("errors", _errs(figures, "bare"), _errs(figures, "node")),
    ]
    for label, a, b in rows:
        print(f"{label:<36}{a!s:>16}{b!s:>16}")
    met = "met" if ratio >= AIM else "NOT met"
    print(f"\nratio node/bare: {ratio:.1%}  (aim >= {AIM:.0%}: {met})")
    return {
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "max_rate": {k: asdict(v) for k, v in top.items()},
        "steady": {k: asdict(v) for k, v in steady.items()},
        "ratio": round(ratio, 4),
        "aim": AIM,
        "aim_met": ratio >= AIM,
    }


def _pair(r: LoadResult) -> str:
    return f"{r.p50_ms} / {r.p99_ms}"


def _cpu(r: LoadResult) -> str:
    return f"{r.server_cpu} / {r.client_cpu}"


def _errs(figures: dict[str, dict[str, LoadResult]], name: str) -> int:
    return sum(f[name].errors for f in figures.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="closed-loop seconds each")
    parser.add_argument("--concurrency", type=int, default=8, help="closed-loop clients")
    parser.add_argument("--rate", type=float, default=50.0, help="open-loop requests/s")
    parser.add_argument(
        "--steady-duration", type=float, default=20.0, help="open-loop seconds each"
    )
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds each, not measured")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the databases go, i.e. the disk being measured [default: system temp]",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.rounds < 1 or args.concurrency < 1 or args.rate <= 0:
        parser.error("--rounds and --concurrency must be >= 1, --rate > 0")
    with tempfile.TemporaryDirectory(prefix="bench-create-", dir=args.workdir) as tmp:
        figures = measure(Path(tmp), args)
    result = report(figures, args)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
