"""``motcua demo``: a node with sample data, serving on 127.0.0.1, for a first look."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from cli.common import fail
from cli.demo_accounts import create_demo_accounts, describe, describe_city
from cli.demo_stack import DemoError, start_broker, start_central, stop_all
from cli.init_cmd import initialise
from cli.serve_cmd import serve_node
from node.dossier_service import PersonIn, ReceiveRequest, receive, transition
from node.runtime import NodeRuntime, open_node
from rules.clock import utc_now
from rules.lifecycle import Action
from rules.permissions import seeding_machine
from rules.transitions import TransitionRequest
from settings import node as config_mod
from settings.loading import ConfigError
from storage.db import DatabaseError

DEMO_AGENCY = "000.00.15.H42"
DEMO_NODE = "demo-xa-1"

# A step the office took on a sample dossier: the action, how many hours after reception
# (the seed dates each step then, as a step entered after the fact), the officer's note.
Step = tuple[str, int, str]
# (name, identity number, procedure, channel, received how many days ago, steps since)
SAMPLE_DOSSIERS: list[tuple[str, str, str, str, int, list[Step]]] = [
    (
        "Nguyễn Văn Đức", "001099012345", "1.000894", "in_person", 9,
        [
            ("start", 2, "Chuyển công chức tư pháp - hộ tịch kiểm tra hồ sơ."),
            ("resolve", 50, "Hai bên đủ điều kiện kết hôn; đã trình ký Giấy chứng nhận kết hôn."),
        ],
    ),
    ("Trần Thị Mai", "001199023456", "1.001193", "in_person", 0, []),
    (
        "Lê Hoàng Nam", "079203001234", "2.000815", "in_person", 1,
        [("start", 1, "Chuyển bộ phận chứng thực đối chiếu bản chính.")],
    ),
    ("Phạm Thị Hường", "036185004321", "1.004873", "online", 0, []),
    (
        "Đặng Quốc Bảo", "001087009876", "1.000656", "post", 12,
        [("start", 3, "Chuyển công chức tư pháp - hộ tịch; cần xác minh Giấy báo tử.")],
    ),
    (
        "Võ Thị Lan", "045190003333", "1.004837", "in_person", 3,
        [
            ("start", 1, "Chuyển công chức tư pháp - hộ tịch kiểm tra hồ sơ."),
            (
                "request_supplement", 26,
                "1. Bản sao giấy khai sinh của người được giám hộ có chứng thực.\n"
                "2. Văn bản cử người giám hộ có chữ ký của người cử và người được cử.",
            ),
        ],
    ),
]  # fmt: skip
ADDRESS = "Thôn Bình Minh, xã An Bình"


def seed(rt: NodeRuntime) -> int:
    """The sample dossiers, each received the days ago it says with the components its
    procedure lists, then its steps, each dated when it was taken (never after now)."""
    now = utc_now()
    machine = seeding_machine("demo")
    for name, id_number, code, channel, days_ago, steps in SAMPLE_DOSSIERS:
        procedure = rt.reference.procedure(rt.db.read(), code)
        received_at = now - timedelta(days=days_ago)
        req = ReceiveRequest(
            procedure_code=code,
            applicant=PersonIn(
                full_name=name, id_number=id_number, phone="0912345678", address=ADDRESS
            ),
            channel=channel,  # type: ignore[arg-type]
            components=[] if procedure is None else list(procedure.components),
            received_at=received_at,
        )
        state = receive(rt, req, machine)
        for action, hours, note in steps:
            at = min(now, received_at + timedelta(hours=hours))
            transition(rt, state.id, TransitionRequest(Action(action), note=note), machine, at=at)
    return len(SAMPLE_DOSSIERS)


@click.command("demo")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-data"),
    show_default=True,
    help="Where the demo lives.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8080, show_default=True, help="Port of the node's API.")
@click.option(
    "--central-port",
    type=int,
    default=8090,
    show_default=True,
    help="Port of the city data centre's API.",
)
@click.option(
    "--broker-port",
    type=int,
    default=18830,
    show_default=True,
    help="Port of the demo's own Mosquitto broker.",
)
def demo_cmd(data_dir: Path, host: str, port: int, central_port: int, broker_port: int) -> None:
    """Run a demo: a broker, a city data centre, and a commune node with sample data
    (sample catalog, this and next year's holidays, sample dossiers) replicating to it."""
    broker_url = f"mqtt://127.0.0.1:{broker_port}"
    node_dir = data_dir / "node"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        start_broker(data_dir, broker_port)
        start_central(data_dir, broker_url, central_port)
        if not (node_dir / config_mod.CONFIG_NAME).exists():
            for line in initialise(
                node_dir, DEMO_AGENCY, DEMO_NODE, sample_catalog=True, broker=broker_url
            ):
                click.echo(line)
            rt = open_node(node_dir)
            click.echo(f"seeded {seed(rt)} sample dossiers")
            create_demo_accounts(rt, data_dir)
        else:
            rt = open_node(node_dir)
    except (ConfigError, DatabaseError, DemoError) as exc:
        fail(str(exc))
        return
    click.echo(
        f"commune node {DEMO_NODE}: staff pages http://{host}:{port}/login, API "
        f"http://{host}:{port}/api/v1/dossiers (OpenAPI http://{host}:{port}/schema)"
    )
    for line in describe(data_dir):
        click.echo(line)
    click.echo(
        f"city data centre: pages http://127.0.0.1:{central_port}/login, API "
        f"http://127.0.0.1:{central_port}/api/v1/nodes "
        f"(OpenAPI http://127.0.0.1:{central_port}/schema)"
    )
    for line in describe_city(data_dir):
        click.echo(line)
    click.echo("Ctrl+C stops all three")
    serve_node(rt, host, port, log_level="warning", on_shutdown=[stop_all])
