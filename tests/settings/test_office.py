"""``[office]``: what the printed forms name, written by ``motcua init`` and checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import node as config_mod
from settings.loading import ConfigError


def _with_office(node_dir: Path, line: str) -> None:
    config = node_dir / config_mod.CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('city_public_url = ""', line), encoding="utf-8")


def test_init_writes_the_office_section_with_its_defaults(node_dir: Path) -> None:
    office = config_mod.load(node_dir).office
    assert office.name == "Trung tâm Phục vụ hành chính công"
    assert (office.parent, office.place, office.city_public_url) == ("", "", "")


def test_a_city_address_is_taken(node_dir: Path) -> None:
    _with_office(node_dir, 'city_public_url = "https://dichvucong.example.gov.vn/"')
    assert config_mod.load(node_dir).office.city_public_url.startswith("https://dichvucong")


@pytest.mark.parametrize(
    "url",
    [
        "dichvucong.example.gov.vn",
        "javascript:alert(1)",
        "https://",
        "https://x/?a=1",
        "https://so-tu-phap:matkhau@dichvucong.example.gov.vn",
        "https://token@dichvucong.example.gov.vn",
        "https://dichvucong.example.gov.vn/#tra-cuu",
        "https://:443",
    ],
)
def test_a_bad_city_address_is_refused_naming_the_key(node_dir: Path, url: str) -> None:
    _with_office(node_dir, f'city_public_url = "{url}"')
    with pytest.raises(ConfigError, match=r"office\.city_public_url"):
        config_mod.load(node_dir)


def test_an_unprintable_office_name_is_refused(node_dir: Path) -> None:
    _with_office(node_dir, 'city_public_url = ""\nname = "Xã\\u0007"')
    config = node_dir / config_mod.CONFIG_NAME
    text = config.read_text(encoding="utf-8").replace(
        'name = "Trung tâm Phục vụ hành chính công"\n', ""
    )
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"office\.name"):
        config_mod.load(node_dir)
