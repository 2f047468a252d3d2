"""``central.toml``: written by ``motcua central init``, every mistake named with its key."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from central.runtime import open_central
from cli import cli
from cli.central_cmd import initialise
from settings import city as config_mod
from settings.loading import ConfigError
from tests.support.pki_bundle import PkiBundle


def init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["central", "init", *args])
    return result.exit_code, result.output


def test_init_writes_a_config_that_loads_and_creates_the_sqlite_store(tmp_path: Path) -> None:
    city = tmp_path / "city"
    code, output = init("--data-dir", str(city), "--broker", "mqtt://broker.lan", "--name", "hn-1")
    assert code == 0, output
    assert "created" in output and (city / "central.sqlite3").exists()
    cfg = config_mod.load(city)
    assert (cfg.broker.url, cfg.central.name, cfg.store.url) == ("mqtt://broker.lan", "hn-1", "")
    assert cfg.receiver.shared_group == "motcua-central" and cfg.api.port == 8090
    address = config_mod.broker_address(cfg, city, "x")
    assert (address.host, address.port, address.tls) == ("broker.lan", 1883, False)
    runtime = open_central(city)
    try:
        assert runtime.store.schema_version() == "005_board"
    finally:
        runtime.close()
    again, message = init("--data-dir", str(city), "--broker", "mqtt://broker.lan")
    assert again == 2 and "already exists" in message


def test_init_with_tls_files_and_a_postgresql_store(
    tmp_path: Path, test_pki: PkiBundle, pg_url: str
) -> None:
    tls = test_pki.central()
    city = tmp_path / "city"
    assert tls.cert is not None and tls.key is not None
    code, output = init(
        "--data-dir", str(city), "--broker", "mqtts://127.0.0.1:8883", "--store-url", pg_url,
        "--ca", str(tls.ca), "--cert", str(tls.cert), "--key", str(tls.key),
    )  # fmt: skip
    assert code == 0, output
    assert not (city / "central.sqlite3").exists()
    cfg = config_mod.load(city)
    address = config_mod.broker_address(cfg, city, "x")
    assert address.tls and address.cert == tls.cert.resolve()
    with psycopg.connect(pg_url) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
    assert {"events", "dossiers", "nodes", "blobs", "rejections", "_migrations"} <= tables


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--broker", "mqtts://broker:8883"), "broker.ca is required"),
        (("--broker", "http://broker"), "broker.url"),
        (("--broker", "mqtt://user@broker"), "no user"),
        (("--broker", "mqtt://broker", "--store-url", "mysql://x"), "store.url"),
        (("--broker", "mqtt://broker", "--name", "Trung Tâm"), "central.name"),
        (("--broker", "mqtt://broker", "--ca", "/no/such/ca.crt"), "no such file"),
    ],
)
def test_init_refuses_bad_input_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, output = init("--data-dir", str(tmp_path / "city"), *args)
    assert code == 2 and message in output
    assert not (tmp_path / "city").exists()


def test_an_unreachable_postgresql_is_an_operator_error_and_writes_nothing(
    tmp_path: Path,
) -> None:
    url = "postgresql://postgres@127.0.0.1:1/none"
    code, output = init(
        "--data-dir", str(tmp_path / "city"), "--broker", "mqtt://b", "--store-url", url
    )
    assert code == 3 and "cannot connect" in output
    assert not (tmp_path / "city").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[broker]\nurl = "mqtt://b"\nuser = "x"\n', "unknown field `user`"),
        ('[broker]\nurl = "mqtt://b"\n[receiver]\nmax_file_byte = 1\n', "max_file_byte"),
        ('[broker]\nurl = "mqtt://b"\n[receiver]\nresend_seconds = 0\n', "receiver.resend_seconds"),
        ('[broker]\nurl = "mqtt://b"\n[receiver]\nshared_group = "a/b"\n', "shared_group"),
        ('[broker]\nurl = "mqtt://b"\n[api]\nport = 70000\n', "api.port"),
        (
            '[broker]\nurl = "mqtt://b"\n[office_hours]\nperiods = [["13:00", "08:00"]]\n',
            "office_hours",
        ),
        ("[central]\nname = 'x'\n", "broker"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_a_mistake_in_the_file_names_the_key_and_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "central.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        config_mod.load(tmp_path)
    assert message in str(caught.value) and "central.toml" in str(caught.value)


def test_relative_tls_paths_are_relative_to_the_data_directory(tmp_path: Path) -> None:
    (tmp_path / "central.toml").write_text(
        '[broker]\nurl = "mqtts://b"\nca = "pki/ca.crt"\ncert = "pki/c.crt"\nkey = "pki/c.key"\n'
    )
    address = config_mod.broker_address(config_mod.load(tmp_path), tmp_path, "x")
    assert address.ca == tmp_path / "pki" / "ca.crt" and address.port == 8883


def test_a_missing_config_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="motcua central init"):
        config_mod.load(tmp_path)


def test_the_rendered_file_round_trips(tmp_path: Path) -> None:
    initialise(tmp_path, "mqtt://127.0.0.1:1883")
    text = (tmp_path / "central.toml").read_text()
    assert "[receiver]" in text and "shared_group" in text and "# " in text
    assert config_mod.load(tmp_path) == config_mod.CentralConfig(
        broker=config_mod.BrokerSettings(url="mqtt://127.0.0.1:1883")
    )
