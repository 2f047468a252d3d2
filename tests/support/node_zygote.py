"""A warm start for ``motcua`` processes a test kills over and over: one process imports the
code once, then forks a fresh child per start.

A power cut must take every byte of a process's state, not its code: the child starts from
the zygote's imported modules (no thread, no connection, no open file of the node's: the
zygote opens nothing) and runs ``motcua ARGS...`` from its first line, so it opens the
database, the drop folders and the link exactly as a cold start would. It saves the
interpreter's start-up and the imports (seconds on a loaded two-core machine) per start.

Each child runs in a session of its own (``killpg`` takes it and its PDF workers, as a
power cut would); the zygote ignores SIGCHLD so the kernel reaps its children, and it exits
when its standard input closes (the test ended).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from tests.support.wait import wait_until


class Zygote:
    """The test's side: ``spawn`` returns the pid of a new ``motcua`` process."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.node_zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def spawn(self, args: list[str], log: Path) -> int:
        assert self._process.stdin is not None and self._process.stdout is not None
        request = json.dumps({"args": args, "log": str(log)}) + "\n"
        self._process.stdin.write(request.encode())
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the zygote exited with {self._process.wait()}")
        return int(line)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads, and wait until its leader is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), timeout=30, interval=0.01, what=f"process {pid} to die")


def _child(args: list[str], log: str) -> None:
    """In the forked child: a session of its own, output to ``log``, then the command."""
    code: int | str | None = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        sys.argv = ["motcua", *args]
        from cli import main

        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:  # the child's last word goes to its log, then it ends
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def _serve_requests() -> None:
    # Everything a node process imports, imported once here (no thread is started by it).
    import uvicorn  # noqa: F401

    import cli  # noqa: F401
    import web.json_api.serve  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(list(request["args"]), str(request["log"]))
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve_requests()
