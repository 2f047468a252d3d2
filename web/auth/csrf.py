"""Finding the CSRF token a cookie-authenticated request that changes something carries.

htmx and scripts send the header ``X-CSRF-Token``; plain forms post the field
``_csrf_token``. A urlencoded form is read whole (small, bounded) and replayed to the
handler; a multipart form (an upload) must carry ``_csrf_token`` as its FIRST part (the
hidden input at the top of the form: browsers send fields in document order), so only that
prefix is read and the file still streams to the handler.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import multipart
from litestar.types import Receive, ReceiveMessage, Scope

HEADER_NAME = "X-CSRF-Token"  # as htmx sends it and the API document names it
HEADER = HEADER_NAME.lower().encode()  # as ASGI gives header names
FIELD = "_csrf_token"
MAX_FORM_BYTES = 1 << 20  # a urlencoded form of ours is far smaller
MAX_PREFIX_BYTES = 64 << 10  # the multipart prefix read to find the token


class Replay:
    """A ``receive`` that first gives back the messages already read, then the rest."""

    def __init__(self, messages: list[ReceiveMessage], receive: Receive) -> None:
        self._messages = messages
        self._receive = receive

    async def __call__(self) -> ReceiveMessage:
        if self._messages:
            return self._messages.pop(0)
        return await self._receive()


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def same_origin(scope: Scope) -> bool:
    """Whether a browser's request comes from a page of this node: its ``Origin`` (every
    browser sends one with a POST) names the host the request went to. A request with no
    ``Origin`` is not a browser's cross-site form; ``Origin: null`` (a sandboxed or
    privacy-stripped page) is not ours."""
    origin = _header(scope, b"origin")
    if not origin:
        return True
    host = _header(scope, b"host").lower()
    return origin != "null" and bool(host) and urlsplit(origin).netloc.lower() == host


async def find_token(scope: Scope, receive: Receive) -> tuple[str, Receive]:
    """(the token the request carries or "", the receive to hand on)."""
    if header := _header(scope, HEADER):
        return header, receive
    ctype, options = multipart.parse_options_header(_header(scope, b"content-type"))
    if ctype == "application/x-www-form-urlencoded":
        return await _from_urlencoded(receive)
    if ctype == "multipart/form-data" and options.get("boundary"):
        return await _from_multipart_prefix(receive, str(options["boundary"]))
    return "", receive


async def _from_urlencoded(receive: Receive) -> tuple[str, Receive]:
    messages: list[ReceiveMessage] = []
    body = bytearray()
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")  # type: ignore[operator]
        if len(body) > MAX_FORM_BYTES:
            return "", Replay(messages, receive)
        if not message.get("more_body", False):
            break
    try:
        values = parse_qs(body.decode("utf-8"), max_num_fields=200).get(FIELD, [""])
    except (UnicodeDecodeError, ValueError):
        values = [""]
    return values[0], Replay(messages, receive)


async def _from_multipart_prefix(receive: Receive, boundary: str) -> tuple[str, Receive]:
    messages: list[ReceiveMessage] = []
    parser = multipart.PushMultipartParser(boundary, max_segment_count=64)
    seen = 0
    token = bytearray()
    current: str | None = None
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return "", Replay(messages, receive)
        chunk = message.get("body", b"")
        seen += len(chunk)
        try:
            for item in parser.parse(chunk):
                if isinstance(item, multipart.MultipartSegment):
                    if item.name != FIELD:  # the token must come first
                        return "", Replay(messages, receive)
                    current = item.name
                elif item is None:
                    if current == FIELD:
                        return token.decode("utf-8", "replace"), Replay(messages, receive)
                elif current == FIELD:
                    token += item
                    if len(token) > 200:
                        return "", Replay(messages, receive)
        except multipart.MultipartError:
            return "", Replay(messages, receive)
        if seen > MAX_PREFIX_BYTES or not message.get("more_body", False):
            return "", Replay(messages, receive)
