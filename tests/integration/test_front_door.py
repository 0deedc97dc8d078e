"""A visitor's first steps: `/` is the storefront (its files served by WhiteNoise with
cache headers), `/admin` leads to the admin, whose "view site" leads back to `/`."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_at_the_root_gets_the_storefront() -> None:
    page = Client().get("/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert 'src="/static/storefront/app.js"' in html and 'type="module"' in html
    assert 'data-currency="PLN"' in html and '<html lang="en"' in html
    assert "csrftoken" in page.cookies  # a guest's first add needs the token
    # Nothing comes from another host.
    assert not re.search(r"""(src|href)=["']https?://""", html)


def test_the_storefront_page_tells_the_shops_currency_and_language(settings: object) -> None:
    settings.SHOP = {**settings.SHOP, "currency": "EUR", "language": "pl"}  # type: ignore[attr-defined]
    html = Client().get("/", HTTP_ACCEPT=BROWSER_ACCEPT).content.decode()

    assert 'data-currency="EUR"' in html and '<html lang="pl"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/static/storefront/app.js",
        "/static/storefront/shop.css",
        "/static/storefront/views/orders.js",
    ],
)
def test_the_storefronts_files_are_served_with_cache_headers(path: str) -> None:
    answer = Client().get(path)

    assert answer.status_code == 200
    assert "max-age=3600" in answer["Cache-Control"] and "public" in answer["Cache-Control"]
    assert answer["Last-Modified"] and answer.get("ETag")
    expected = "text/javascript" if path.endswith(".js") else "text/css"
    assert answer["Content-Type"].startswith(expected)
    again = Client().get(path, HTTP_IF_NONE_MATCH=answer["ETag"])
    assert again.status_code == 304


def test_a_static_file_is_served_by_whitenoise() -> None:
    answer = Client().get("/static/admin/css/base.css")

    assert answer.status_code == 200 and "max-age" in answer["Cache-Control"]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_an_api_client_at_the_root_gets_the_links_as_json(accept: str | None) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    answer = Client().get("/", **headers)

    assert answer.status_code == 200
    assert answer.json()["docs"] == "/api/docs"
    assert answer.json()["storefront"] == "/"


def test_only_reading_the_root_is_allowed() -> None:
    answer = Client().post("/", {})

    assert answer.status_code == 405 and answer.json()["code"] == 1006


def test_admin_without_the_slash_leads_to_the_admin() -> None:
    answer = Client().get("/admin")

    assert answer.status_code == 301 and answer["Location"] == "/admin/"
    assert Client().get("/admin", follow=True).redirect_chain[-1][0].startswith("/admin/login/")


def test_the_admins_view_site_link_leads_to_the_storefront(admin_client: Client) -> None:
    page = admin_client.get("/admin/").content.decode()

    assert re.search(r'<a href="/">View site</a>', page)
