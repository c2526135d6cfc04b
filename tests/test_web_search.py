"""Search on the web page: reference, phone number in any notation, first name, village."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from flows.config import load_config
from helpline.testing import FakeUser
from helpline.web.search import Query, read_query
from storage.db import Database
from storage.models import AuditEntry, Request, Role
from tests.web_helpers import csrf_of, mia_asks, web_app

SANNE = FakeUser(id=5401, first_name="Sanne")
KIM = FakeUser(id=5402, first_name="Kim")
VERA = FakeUser(id=5403, first_name="Vera")
COBY = FakeUser(id=5404, first_name="Coby")
CONFIG = load_config()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hh-2026-42", Query(reference="HH-2026-00042")),
        ("HH-2026-00042", Query(reference="HH-2026-00042")),
        ("06-12345678", Query(phone="+31612345678")),
        ("+31 6 1234 5678", Query(phone="+31612345678")),
        ("0031612345678", Query(phone="+31612345678")),
        ("0612", Query(name="0612")),  # too short for a number: a name part finds nothing
        ("12345678901234", Query(phone=None)),
        ("drunen", Query(village="drunen")),
        ("Mi", Query(name="Mi")),
        ("x", Query()),
    ],
)
def test_read_query(typed: str, expected: Query) -> None:
    assert read_query(typed, CONFIG) == expected


async def _search(browser, typed: str) -> str:  # type: ignore[no-untyped-def]
    answer = await browser.post(
        "/web/search", data={"csrf": await csrf_of(browser, "/web/search"), "q": typed}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.text)


async def test_search_by_reference_phone_name_and_village(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        async with db.session() as session:
            request = await session.get(Request, rid)
        assert request is not None
        reference = request.reference
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        short = reference.lower().replace("-0000", "-")
        for typed in (short, "06 1234 5678", "+31612345678", "mia", "Drunen"):
            page = await _search(browser, typed)
            assert reference in page and "Mia" in page, typed
        assert reference not in await _search(browser, "0687654321")
        assert "Niets gevonden" in await _search(browser, "Vlijmen")
        async with db.session() as session:
            rows = list(await session.scalars(select(AuditEntry)))
        assert sum(1 for r in rows if r.detail == "via=web_search") == 5


async def test_search_shows_only_what_the_searcher_may_open(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        await mia_asks(web)
        kim = await web.login(await web.staff(KIM, "wijkteam_heusden"))
        assert "Mia" not in await _search(kim, "0612345678")
        coby = await web.login(await web.staff(COBY, "coordinatie", role=Role.coordinator))
        assert "Mia" in await _search(coby, "0612345678")
        vera = await web.login(await web.staff(VERA, "wijkteam_drunen", role=Role.volunteer))
        assert (await vera.get("/web/search")).status_code == 403
        token = await csrf_of(vera)
        refused = await vera.post("/web/search", data={"csrf": token, "q": "0612345678"})
        assert refused.status_code == 403 and "Mia" not in refused.text


async def test_search_is_a_post_with_the_form_token(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        await mia_asks(web)
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        page = (await browser.get("/web/search")).text
        assert 'method="post"' in page and 'action="/web/search"' in page
        refused = await browser.post("/web/search", data={"q": "0612345678"})
        assert refused.status_code == 403 and "Mia" not in refused.text
