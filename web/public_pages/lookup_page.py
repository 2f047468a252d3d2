"""The citizen's progress lookup (tra cứu hồ sơ), ``GET /lookup?code=CODE&pin=PIN``, public
at the node and at the city.

A GET form, so the slip's QR can carry it as a URL; no session and no CSRF cookie. An
unknown code and a wrong PIN get one answer (404, the same page with the same words), after
the same work (rules.public_progress.matching_dossier); each counts as a failure against the
client's address. The answer shows only what ``public_progress`` puts in it.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.response import Template

from rules.public_progress import matching_dossier, public_progress
from web.page_kit.rendering import page
from web.public_pages.client_address import client_address
from web.public_pages.lookup_form import LookupInput, read_lookup_input
from web.public_pages.progress_source import ProgressSource
from web.public_pages.rate_limit import ClientLimiter

Source = NamedDependency[ProgressSource]
Limiter = NamedDependency[ClientLimiter]

#: The one answer for an unknown code and a wrong PIN: it must not say which it was.
NOT_FOUND_VI = (
    "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này. Xin kiểm tra lại hai mã in trên "
    "giấy tiếp nhận hồ sơ."
)
# A phone's lookup must never be kept by a shared cache or the browser's history cache: the
# URL and the page name a dossier.
NO_STORE = CacheControlHeader(no_store=True)


def too_many_requests(request: Request[Any, Any, Any], wait: int, action: str) -> Template:
    """The 429 page: how long to wait, in minutes, and ``Retry-After`` for a program."""
    response = page(
        request,
        "public_too_many.html",
        actor=None,
        status_code=429,
        minutes=max(1, -(-wait // 60)),
        action=action,
    )
    response.headers["Retry-After"] = str(wait)
    return response


def lookup_answer(
    request: Request[Any, Any, Any],
    source: ProgressSource,
    limiter: ClientLimiter,
    form: LookupInput,
) -> Template:
    address = client_address(request)
    wait = limiter.retry_after(address)
    if wait is not None:
        return too_many_requests(request, wait, "/lookup")
    if form.blank:
        return page(request, "public_lookup.html", actor=None, form=form, progress=None)
    if form.errors:
        limiter.record(address, failed=False)
        return page(
            request, "public_lookup.html", actor=None, status_code=400, form=form, progress=None
        )
    found = matching_dossier(source.states_by_code(form.code), form.pin)
    limiter.record(address, failed=found is None)
    if found is None:
        refused = LookupInput(form.code, form.pin, {"pin": NOT_FOUND_VI})
        return page(
            request, "public_lookup.html", actor=None, status_code=404, form=refused, progress=None
        )
    progress = public_progress(found, source.events_of(found.id))
    return page(request, "public_lookup.html", actor=None, form=form, progress=progress)


class LookupPage(Controller):
    include_in_schema = False

    @get(
        "/lookup",
        name="public:lookup",
        opt={"public": True},
        sync_to_thread=True,
        cache_control=NO_STORE,
    )
    def lookup(
        self, request: Request[Any, Any, Any], progress_source: Source, public_limiter: Limiter
    ) -> Template:
        # Read by hand, not as typed parameters: a fault is said on the form, in words.
        query = request.query_params
        form = read_lookup_input(query.get("code"), query.get("pin"))
        return lookup_answer(request, progress_source, public_limiter, form)
