"""The sync status's alarms in plain words: what each means and what to do.

The page renders whatever alarms the status structure carries (``uplink.status.SyncStatus``:
``alarm`` and the ``alarms`` list of every alarm raised), so an alarm added elsewhere shows
without a page change: a known code gets its Vietnamese text here, an unknown one a general
text naming the code, so nothing is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from web.page_kit.i18n import vi


class AlarmText(msgspec.Struct, frozen=True):
    code: str
    title: str  # Vietnamese; translated when shown
    meaning: str
    action: str
    known: bool = True


ALARM_TEXTS: Mapping[str, AlarmText] = {
    a.code: a
    for a in (
        AlarmText(
            "connected_not_draining",
            vi("Có kết nối nhưng dữ liệu không gửi đi được"),
            vi(
                "Máy đang nối với trung tâm của thành phố nhưng hồ sơ và tệp chờ gửi không "
                "giảm trong một thời gian dài."
            ),
            vi(
                "Công việc tại bộ phận một cửa vẫn làm bình thường, dữ liệu được giữ an toàn "
                "trên máy này. Báo cho bộ phận kỹ thuật của thành phố, kèm ảnh chụp trang này."
            ),
        ),
        AlarmText(
            "log_diverged",
            vi("Sổ sự kiện của máy này khác với bản ở thành phố"),
            vi(
                "Trung tâm của thành phố giữ những sự kiện khác với máy này tại cùng số thứ "
                "tự: máy được khôi phục từ bản sao lưu cũ, hoặc mã máy này đang được một máy "
                "khác dùng. Việc đồng bộ đã dừng để không ghi đè dữ liệu bên nào."
            ),
            vi(
                "Không xóa, không cài lại máy và không khôi phục bản sao lưu. Gọi ngay bộ "
                "phận kỹ thuật của thành phố; họ cần nội dung ở mục “Chi tiết”."
            ),
        ),
        AlarmText(
            "local_file_damaged",
            vi("Có tệp trên máy này bị thiếu hoặc hỏng"),
            vi(
                "Một số tệp lưu trên đĩa của máy không còn đọc được đúng nội dung; chúng đã "
                "được để riêng ra, các tệp khác vẫn được gửi lên."
            ),
            vi(
                "Báo bộ phận kỹ thuật để chạy lệnh “motcua check” và lấy lại tệp từ bản "
                "sao lưu hoặc bản quét gốc."
            ),
        ),
        AlarmText(
            "clock_off",
            vi("Đồng hồ của máy sai giờ"),
            vi(
                "Giờ của máy này lệch so với giờ của thành phố quá mức cho phép. Để không ghi "
                "sai ngày nhận và ngày hẹn trả, máy tạm không cho tiếp nhận và chuyển bước hồ sơ."
            ),
            vi(
                "Chỉnh lại giờ của máy (bật đồng bộ giờ tự động) rồi thử lại; nếu không "
                "được, báo bộ phận kỹ thuật kèm nội dung ở mục “Chi tiết”."
            ),
        ),
        AlarmText(
            "clock_behind_log",
            vi("Đồng hồ của máy bị lùi về trước"),
            vi(
                "Giờ của máy này sớm hơn những hồ sơ máy đã ghi. Máy tạm không cho tiếp nhận "
                "và chuyển bước hồ sơ cho tới khi giờ đúng trở lại."
            ),
            vi(
                "Chỉnh lại giờ của máy; nếu giờ đã đúng, nối mạng với thành phố để thành phố "
                "xác nhận giờ."
            ),
        ),
        AlarmText(
            "event_too_large_for_broker",
            vi("Có dữ liệu quá lớn, máy chủ trung gian không nhận"),
            vi(
                "Một sự kiện lớn hơn mức máy chủ trung gian (broker) của thành phố cho phép, "
                "nên các dữ liệu sau nó đang chờ."
            ),
            vi("Báo bộ phận kỹ thuật của thành phố nâng giới hạn gói tin của broker."),
        ),
        # The node's own storage (web.health.node_health adds them to the sync alarms).
        AlarmText(
            "disk_full",
            vi("Ổ đĩa của máy đã đầy"),
            vi(
                "Máy không còn chỗ để lưu: tiếp nhận hồ sơ, đính kèm tệp và nhận bản quét "
                "đang bị từ chối; bản quét được giữ nguyên trong thư mục quét. Những gì đã "
                "lưu trước đó vẫn an toàn."
            ),
            vi(
                "Báo ngay bộ phận kỹ thuật để giải phóng dung lượng (bản sao lưu cũ, tệp "
                "nhật ký). Khi có chỗ trống, máy tự làm việc lại, không cần khởi động lại."
            ),
        ),
        AlarmText(
            "disk_low",
            vi("Ổ đĩa của máy sắp đầy"),
            vi("Dung lượng còn trống trên ổ đĩa của máy còn rất ít."),
            vi("Báo bộ phận kỹ thuật giải phóng dung lượng trước khi ổ đĩa đầy."),
        ),
        AlarmText(
            "database_damaged",
            vi("Cơ sở dữ liệu của máy bị hỏng"),
            vi("Máy đọc thấy tệp cơ sở dữ liệu bị hỏng; việc ghi có thể bị lỗi."),
            vi(
                "Không tắt máy đột ngột, không xóa tệp. Gọi ngay bộ phận kỹ thuật để kiểm "
                "tra (motcua check) và khôi phục từ bản sao lưu gần nhất."
            ),
        ),
    )
}


def alarm_text(code: str) -> AlarmText:
    """The known text, or a general one that still names the code (never hidden)."""
    known = ALARM_TEXTS.get(code)
    if known is not None:
        return known
    return AlarmText(
        code,
        vi("Cảnh báo đồng bộ"),
        vi("Hệ thống đồng bộ báo một tình trạng bất thường chưa có mô tả trên trang này."),
        vi("Báo bộ phận kỹ thuật, kèm mã cảnh báo và nội dung ở mục “Chi tiết”."),
        known=False,
    )


def alarm_codes(status: msgspec.Struct) -> list[str]:
    """Every alarm ``status`` carries: its ``alarm`` and the entries of an ``alarms`` list
    (texts, or structures with a ``code``), in order, each once."""
    fields = msgspec.structs.asdict(status)
    found: list[object] = [fields.get("alarm")]
    listed = fields.get("alarms")
    if isinstance(listed, list | tuple):
        found.extend(listed)
    codes: list[str] = []
    for item in found:
        if isinstance(item, msgspec.Struct):
            item = msgspec.structs.asdict(item).get("code")
        elif isinstance(item, dict):
            item = item.get("code")
        if isinstance(item, str) and item and item not in codes:
            codes.append(item)
    return codes
