"""A visitor's first steps: `/` points to the API docs, `/admin` leads to the admin."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_at_the_root_gets_a_page_pointing_to_the_docs() -> None:
    page = Client().get("/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert b'href="/api/docs"' in page.content
    assert Client().get("/api/docs", HTTP_ACCEPT=BROWSER_ACCEPT).status_code == 200


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_an_api_client_at_the_root_gets_the_links_as_json(accept: str | None) -> None:
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    answer = Client().get("/", **headers)

    assert answer.status_code == 200
    assert answer.json()["docs"] == "/api/docs"


def test_only_reading_the_root_is_allowed() -> None:
    answer = Client().post("/", {})

    assert answer.status_code == 405 and answer.json()["code"] == 1006


def test_admin_without_the_slash_leads_to_the_admin() -> None:
    answer = Client().get("/admin")

    assert answer.status_code == 301 and answer["Location"] == "/admin/"
    assert Client().get("/admin", follow=True).redirect_chain[-1][0].startswith("/admin/login/")
