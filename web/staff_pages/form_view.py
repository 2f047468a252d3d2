"""What a printed form shows, worked out before the template: the dates written out the
way the forms write them, the QR codes as inline SVG, the office's names.

Forms are printed in Vietnamese whatever the user's language: they are the citizen's
copy of an administrative document (Circular 01/2018/TT-VPCP, now 03/2025/TT-VPCP), not a
page of the tool.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import msgspec
import segno
from markupsafe import Markup

from rules.clock import OFFICE_TZ, from_utc_iso
from rules.due_dates import TimeUnit
from rules.printed_forms import PrintedForm
from scanner_ingest.slip import slip_payload, slip_qr
from settings.office import OfficeSettings

# A module a little over the slip PNG's 0.6 mm: about 23 mm for today's codes, readable in a
# 150 dpi scan of a photocopy as well as by a phone.
MODULE_MM = 0.7
PHONE_MODULE_MM = 0.5
QUIET_ZONE = 4  # modules: the standard quiet zone

_UNITS = {
    TimeUnit.WORKING_DAYS: "ngày làm việc",
    TimeUnit.CALENDAR_DAYS: "ngày",
    TimeUnit.WORKING_HOURS: "giờ làm việc",
}
CHANNELS = {"in_person": "Trực tiếp", "online": "Trực tuyến", "post": "Qua bưu chính"}

# A place name: an administrative unit's word ("thị xã" before "xã") and the words after it,
# up to a comma, a bracket or the next unit ("xã An Bình", "tỉnh Đồng Nai").
_UNIT = r"(?:thị trấn|thị xã|thành phố|đặc khu|phường|quận|huyện|tỉnh|xã)"
_PLACE = re.compile(rf"(?<!\w){_UNIT}(?: (?!{_UNIT}(?!\w))[^\s,;()]+)+", re.IGNORECASE)
# The longest place held on one line: 18 capitals of bold 11.5 pt DejaVu Serif (the widest
# font forms.css names) fit the issuing office's column beside the motto (about 62 mm; 21
# did not). A longer place wraps at its spaces, as any text does.
MAX_KEPT = 18
NO_BREAK = "\u00a0"


def keep_together(text: str) -> str:
    """``text``'s blanks as no-break spaces, if it is short enough to fit a line."""
    return text.replace(" ", NO_BREAK) if len(text) <= MAX_KEPT else text


def keep_places(text: str) -> str:
    """``text`` with each short place name in it held on one line ("ỦY BAN NHÂN DÂN / XÃ AN
    BÌNH", never "... XÃ AN / BÌNH"). A word longer than its line still wraps at any letter
    (forms.css's overflow-wrap), so nothing is pushed past the margin."""
    return _PLACE.sub(lambda found: keep_together(found[0]), text)


class QrImage(msgspec.Struct, frozen=True):
    svg: Markup  # segno's output: path data made of digits and h/v/m, nothing of the user's
    width_mm: float
    text: str  # what it encodes, printed beside it for a reader without a camera


class FormView(msgspec.Struct, frozen=True):
    form: PrintedForm
    office: OfficeSettings
    place_date: str  # "An Bình, ngày 05 tháng 02 năm 2027"
    slip: QrImage | None = None  # 01: HS1:{code}:{crc}, the scanner's cover sheet
    # 01: the lookup page for phones: the city's when its address is set, else the node's.
    lookup: QrImage | None = None


def _qr(qr: segno.QRCode, text: str, module_mm: float = MODULE_MM) -> QrImage:
    svg = qr.svg_inline(scale=1, border=QUIET_ZONE, omitsize=True, svgclass="qr")
    width = round(qr.symbol_size(border=QUIET_ZONE)[0] * module_mm, 1)
    # The printed size rides on the image itself: the pages' CSP allows no style attribute.
    sized = svg.replace("<svg ", f'<svg width="{width}mm" height="{width}mm" ', 1)
    return QrImage(Markup(sized), width, text)


def long_date(value: str | None) -> str:
    """'ngày 05 tháng 02 năm 2027' in the office's time zone; dots where there is none."""
    if not value:
        return "ngày ..... tháng ..... năm ......."
    day = from_utc_iso(value).astimezone(OFFICE_TZ)
    return f"ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def long_moment(value: str | None) -> str:
    """'09 giờ 30 phút, ngày 05 tháng 02 năm 2027' (office time zone)."""
    if not value:
        return long_date(None)
    moment = from_utc_iso(value).astimezone(OFFICE_TZ)
    return f"{moment:%H} giờ {moment:%M} phút, {long_date(value)}"


def time_limit(limit: int, unit: str, cutoff: str) -> str:
    if unit == TimeUnit.SAME_DAY:
        return f"Trong ngày (nhận sau {cutoff} trả vào ngày làm việc tiếp theo)"
    return f"{limit} {_UNITS.get(TimeUnit(unit), unit)}"


def lookup_url(city_public_url: str, code: str, pin: str) -> str:
    query = urlencode({"code": code, "pin": pin})
    return f"{city_public_url.rstrip('/')}/lookup?{query}"


def form_view(form: PrintedForm, office: OfficeSettings, own_address: str = "") -> FormView:
    """``own_address``: the node's own address (the page's base URL), where the slip's
    lookup QR points when no ``office.city_public_url`` is set: the node's own lookup."""
    place = keep_together(office.place.strip())
    when = long_date(form.at)
    place_date = f"{place}, {when}" if place else when[0].upper() + when[1:]
    if form.number != "01":
        return FormView(form, office, place_date)
    code = form.state.code
    slip = _qr(slip_qr(code), slip_payload(code))
    lookup = None
    public_site = office.city_public_url or own_address
    if public_site and form.lookup_pin:
        url = lookup_url(public_site, code, form.lookup_pin)
        # Read by a phone from the sheet, never from a scan: smaller modules do.
        lookup = _qr(segno.make(url, error="m", micro=False), url, PHONE_MODULE_MM)
    return FormView(form, office, place_date, slip, lookup)
