"""``/``: the shop's own storefront, a page of static HTML, CSS and JavaScript modules
that talks to the shop only through the public JSON API (the contract's reference
client). API clients asking ``/`` for JSON still get the service links."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from adapters.django_web.errors import not_allowed

SAFE = ("GET", "HEAD")
LINKS = {"docs": "/api/docs", "schema": "/api/schema", "admin": "/admin/", "storefront": "/"}


@ensure_csrf_cookie  # the page's first unsafe request (a guest's add) needs the token
def storefront(request: HttpRequest) -> HttpResponse:
    """The storefront's one page (its views are client-side routes after ``#``). The
    shop's currency and language come with it: prices are formatted for them, and no
    API answer about products names the currency."""
    if request.method not in SAFE:
        return not_allowed(SAFE)
    # A browser asks for HTML first; curl's */* and API clients get the links as JSON.
    if request.get_preferred_type(["application/json", "text/html"]) != "text/html":
        answer: HttpResponse = JsonResponse(LINKS)
    else:
        shop = settings.SHOP
        answer = render(
            request,
            "storefront/index.html",
            {"currency": shop["currency"], "language": shop["language"]},
        )
        # The page is the same for everybody but must not outlive a deploy in a cache.
        answer["Cache-Control"] = "no-cache"
    answer["Vary"] = "Accept, Cookie"
    return answer
