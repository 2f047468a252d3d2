"""Why a scanned file was not taken: a closed set of reason codes and their messages.

Every refusal in scanner ingest names one of these codes. The code is what is stored
(in ``<name>.reason.json`` and, later, in events); the messages are for staff.
``retry`` says whether the same file, unchanged, might still become acceptable (it may be
half-written), so the watcher keeps trying it until ``give_up_seconds``; a reason with
``retry=False`` is final and the file is quarantined as soon as it is stable.
"""

from __future__ import annotations

import errno

import msgspec

EMPTY = "empty"
TRUNCATED = "truncated"
UNPARSEABLE = "unparseable"
ENCRYPTED_PDF = "encrypted_pdf"
UNKNOWN_TYPE = "unknown_type"
TOO_LARGE = "too_large"
UNREADABLE = "unreadable"


class Reason(msgspec.Struct, frozen=True):
    """One reason code with its human messages."""

    code: str
    message_vi: str
    message_en: str
    retry: bool  # True: may be a file still being written; retry until give-up


REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason(EMPTY, "Tệp rỗng (không có dữ liệu).", "The file is empty.", retry=True),
        Reason(
            TRUNCATED,
            "Tệp bị cắt cụt (chưa ghi xong hoặc bị hỏng khi sao chép).",
            "The file is truncated (not fully written, or cut off while copying).",
            retry=True,
        ),
        Reason(
            UNPARSEABLE,
            "Tệp bị hỏng, không đọc được nội dung.",
            "The file is damaged; its content cannot be read.",
            retry=True,
        ),
        Reason(
            ENCRYPTED_PDF,
            "Tệp PDF được đặt mật khẩu, không mở được.",
            "The PDF is password-protected and cannot be opened.",
            retry=False,
        ),
        Reason(
            UNKNOWN_TYPE,
            "Loại tệp không được hỗ trợ (chỉ nhận PDF, TIFF, JPEG, PNG).",
            "Unsupported file type (only PDF, TIFF, JPEG and PNG are taken).",
            retry=False,
        ),
        Reason(
            TOO_LARGE,
            "Tệp quá lớn, vượt giới hạn cho phép.",
            "The file is larger than the allowed limit.",
            retry=False,
        ),
        Reason(
            UNREADABLE,
            "Không mở được tệp (đang bị khoá hoặc không có quyền đọc).",
            "The file cannot be opened (locked, or no permission to read it).",
            retry=True,
        ),
    )
}


def reason(code: str) -> Reason:
    """The Reason for ``code``; ValueError for a code outside the closed set."""
    try:
        return REASONS[code]
    except KeyError:
        raise ValueError(f"unknown quarantine reason {code!r}") from None


#: Errors of the node or of the share, not of the file: out of file descriptors, memory or
#: space, an I/O error or a dropped connection on a network share. The same file may read
#: fine a moment later, so they are never turned into a reason.
TRANSIENT_ERRNOS = frozenset(
    {
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EIO,
        errno.ENOMEM,
        errno.ENOBUFS,
        errno.EAGAIN,
        errno.EINTR,
        errno.ESTALE,
        errno.ETIMEDOUT,
        errno.ENOTCONN,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.ENETUNREACH,
    }
)


def is_transient(exc: BaseException) -> bool:
    """True for an ``OSError`` that says "try again later" rather than "this file is bad"."""
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def raise_if_transient(exc: OSError) -> None:
    """Re-raise ``exc`` if it is transient: where an ``OSError`` would become a reason
    (``unreadable``), the caller's loop must retry instead (it does not count towards
    give-up)."""
    if is_transient(exc):
        raise exc
