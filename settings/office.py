"""The office as its printed forms name it (``[office]``): its name, the place written
before the date, and the city's public address for the citizen's lookup."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from settings.loading import ConfigError


class OfficeSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # The issuing office, printed at the top left of every form.
    name: str = "Trung tâm Phục vụ hành chính công"
    # The body above it (cơ quan chủ quản), e.g. "ỦY BAN NHÂN DÂN XÃ AN BÌNH"; optional.
    parent: str = ""
    # The place before the date ("An Bình, ngày 05 tháng 02 năm 2027"); optional.
    place: str = ""
    # The city's public site: form 01 prints CITY/lookup?code=...&pin=... for phones; "" = none.
    city_public_url: str = ""


def validate_office(office: OfficeSettings, source: str) -> None:
    """ConfigError unless the printed names fit a form and the URL is a plain http(s) address
    with a host (it is printed on every receipt)."""
    for key in ("name", "parent", "place"):
        value = getattr(office, key)
        if len(value) > 200 or not value.isprintable():
            raise ConfigError(f"{source}: office.{key} must be printable, at most 200 characters")
    url = office.city_public_url
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ConfigError(
                f"{source}: office.city_public_url {url!r} must be an http(s) address "
                "without a query, e.g. https://dichvucong.example.gov.vn"
            )
        if parts.username is not None or parts.password is not None or parts.fragment:
            # Form 01 prints this address for every citizen: a user name or password in it
            # would be handed out on paper.
            raise ConfigError(
                f"{source}: office.city_public_url must not hold a user name, a password or "
                "a #fragment: it is printed on every receipt"
            )
