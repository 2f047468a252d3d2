"""What every node command shares: --data-dir, opening the node, operator-facing errors."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from cli.unusable_database import node_owned_by, unusable_message
from node.runtime import NodeRuntime, open_node
from rules.actor import STAFF_ROLES, Actor
from rules.clock_offset import ClockCheck
from settings import node as config_mod
from settings.loading import ConfigError
from settings.node import default_data_dir
from storage.db import DatabaseError

# Exit status for "the data or config needs an operator": systemd does not restart on it
# (RestartPreventExitStatus=3), so a damaged database never becomes a crash loop.
EXIT_NEEDS_OPERATOR = 3
# Exit status for "the database is damaged or missing at start": restore a backup (the
# message names the last good one). Distinct from 3 so a supervisor or a monitor can tell
# it from a bad config; the units list both in RestartPreventExitStatus=.
EXIT_DATABASE_UNUSABLE = 4

F = TypeVar("F", bound=Callable[..., Any])


def data_dir_option(func: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_data_dir,
        show_default="$MOTCUA_DATA_DIR, else ./data",
        help="The node's data directory (config, database, documents).",
    )(func)


def fail(message: str, code: int = EXIT_NEEDS_OPERATOR) -> None:
    click.echo(f"motcua: error: {message}", err=True)
    sys.exit(code)


def open_node_or_exit(data_dir: Path) -> NodeRuntime:
    """The node's runtime; a bad config exits 3, a damaged or missing database exits
    ``EXIT_DATABASE_UNUSABLE`` naming the last good backup."""
    try:
        return open_node(data_dir)
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits
    except DatabaseError as exc:
        node_id = config_mod.load(data_dir).node.node_id  # loaded fine a moment ago
        after = (
            "Then start the node and run 'motcua reconcile' if it replicated to the city "
            "after that backup (a new node that never had a database: 'motcua init')."
        )
        message = unusable_message(
            str(exc),
            data_dir,
            config_mod.DATABASE_NAME,
            node_owned_by(node_id),
            after_restore=after,
        )
        fail(message, EXIT_DATABASE_UNUSABLE)
        raise  # unreachable: fail exits


@contextmanager
def opened_node(data_dir: Path) -> Iterator[NodeRuntime]:
    runtime = open_node_or_exit(data_dir)
    try:
        yield runtime
    finally:
        runtime.close()


def operator(name: str) -> Actor:
    """The person at the command line, named by ``--actor``/``--user``: the machine's
    administrator, holding every role (whoever can run the command can open its database,
    so a role check here would protect nothing)."""
    return Actor(user_id=name, display_name=name, roles=STAFF_ROLES)


def clock_line(clock: ClockCheck) -> str:
    """This clock against the city's, in one line (``motcua sync status``, ``motcua check``)."""
    if clock.offset_seconds is None or clock.uncertainty_seconds is None:
        known = "never measured (no ack from the city yet)"
    else:
        known = (
            f"city minus this clock {clock.offset_seconds:+.1f} s "
            f"(±{clock.uncertainty_seconds:.1f} s, measured {clock.measured_at})"
        )
    return f"{known}; alarm past {clock.threshold_seconds:.0f} s"
