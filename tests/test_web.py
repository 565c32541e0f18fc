"""The e-service over HTTP, in-process (httpx's ASGITransport), on SQLite and PostgreSQL.

The form: a submission is a case with channel web, committed before the receipt,
once per form instance; CSRF, honeypot, sizes and rate limits refuse with a page
of their own. The register: sign-in, lock-out, sessions, CSRF on every form,
and who sees what (a visitor only the form; a manager only its units' ordinary
cases, by list, search, URL and download alike).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from mailflow.adapters.tables import CaseEventRow, CaseRow, MessageRow, OutboxRow, WebAccessRow
from mailflow.web import users
from mailflow.web.app import create_app
from tests.conftest import World

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
PASSWORD = "correct horse battery"
HOME_CARE = "Hemtjänsten kom inte i tisdags och min mamma fick vänta hela dagen. Det är inte acceptabelt."
LEX_SARAH = ("Min pappa på Sabbatsbergs vård- och omsorgsboende har utsatts för vanvård: ingen gav honom mat "
             "på två dagar. Det är ett allvarligt missförhållande.")
REGISTRAR = "registrator.norrmalm@stockholm.example.se"
HOME_CARE_MANAGER = "enhetschef.hemtjanst.norrmalm@stockholm.example.se"


class Web:
    """A browser of the app: keeps its cookies, fills in forms."""

    def __init__(self, app: Any) -> None:
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    async def form(self, org: str = "norrmalm", lang: str = "sv") -> tuple[str, str]:
        r = await self.client.get(f"/{org}/?lang={lang}")
        assert r.status_code == 200
        return field(r.text, "csrf"), field(r.text, "key")

    async def send(self, org: str = "norrmalm", *, csrf_key: tuple[str, str] | None = None,
                   files: list[tuple[str, tuple[str, bytes, str]]] | None = None, **fields: str) -> httpx.Response:
        csrf, key = csrf_key or await self.form(org)
        data = {"csrf": csrf, "key": key, "lang": "sv", "text": HOME_CARE, **fields}
        return await self.client.post(f"/{org}/", data=data, files=files or [("files", ("", b"", "application/octet-stream"))])

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/staff/login")
        return await self.client.post("/staff/login", data={"csrf": field(page.text, "csrf"), "email": email,
                                                             "password": password, "next": ""})

    async def csrf(self) -> str:
        return field((await self.client.get("/staff/cases")).text, "csrf")

    async def close(self) -> None:
        await self.client.aclose()


def field(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no field {name}"
    return m.group(1)


def ref_in(html: str) -> str:
    m = re.search(r"NM-\d{4}-\d{4}", html)
    assert m, "no case number on the page"
    return m.group(0)


@pytest.fixture
def app(world: World) -> Any:
    return create_app(world.config, world.store, world.service(NOW))


@pytest.fixture
async def web(app: Any) -> AsyncIterator[Web]:
    w = Web(app)
    yield w
    await w.close()


def account(world: World, email: str, role: str, org: str | None = "norrmalm", units: tuple[str, ...] = ()) -> None:
    users.add(world.config, world.store, email, role, org if role != "admin" else None, list(units), PASSWORD, NOW)


def rows(world: World, query: Any) -> list[Any]:
    with world.store.transaction(readonly=True) as reg:
        return list(reg.session.execute(query).scalars())


# -- the citizens' form ------------------------------------------------------------------------


async def test_a_web_submission_is_a_case_on_channel_web_with_ack_and_forward(world: World, web: Web) -> None:
    r = await web.send(name="Åsa Öberg", email="asa.oberg@example.com", phone="070-123 45 67",
                       address="Sveavägen 12, 113 50 Stockholm",
                       files=[("files", ("bild på trappan.png", b"\x89PNG fake image", "image/png"))])
    assert r.status_code == 200
    ref = ref_in(r.text)
    # the receipt: the case number and the date to expect an answer, nothing personal, nothing in the URL
    assert "Åsa" not in r.text and "asa.oberg" not in r.text and "070-123" not in r.text
    assert "22 mars 2026" in r.text or "2026-03-20" in r.text or "mars 2026" in r.text
    assert str(r.url).endswith("/norrmalm/")
    case = world.case(ref)
    assert case["channel"] == "web" and case["unit"] == "hemtjanst" and case["kind"] == "complaint"
    text = case["messages"][0]["text"]
    assert "Hemtjänsten kom inte" in text and "Sveavägen" not in text
    purposes = sorted(m["purpose"] for m in case["messages"] if m["direction"] == "out")
    assert purposes == ["ack", "forward"]
    out = rows(world, select(OutboxRow))
    ack = next(o for o in out if o.purpose == "ack")
    forward = next(o for o in out if o.purpose == "forward")
    assert ack.recipients == ["asa.oberg@example.com"]
    assert forward.recipients == [HOME_CARE_MANAGER]
    assert b"bild" in forward.payload  # the original with its attachment travels to the manager


async def test_a_double_submit_makes_one_case(world: World, web: Web) -> None:
    token = await web.form()
    first = await web.send(csrf_key=token, email="asa.oberg@example.com")
    second = await web.send(csrf_key=token, email="asa.oberg@example.com")
    assert first.status_code == second.status_code == 200
    assert ref_in(first.text) == ref_in(second.text)
    assert len(rows(world, select(CaseRow))) == 1
    assert len([o for o in rows(world, select(OutboxRow)) if o.purpose == "ack"]) == 1


async def test_a_stale_or_foreign_form_is_refused(world: World, web: Web, app: Any) -> None:
    csrf, key = await web.form()
    r = await web.send(csrf_key=("1." + "0" * 40, key))
    assert r.status_code == 403
    other = Web(app)  # another browser (no form cookie) posting this browser's form
    try:
        r = await other.client.post("/norrmalm/", data={"csrf": csrf, "key": key, "lang": "sv", "text": HOME_CARE},
                                    files=[("files", ("", b"", "application/octet-stream"))])
        assert r.status_code == 403
    finally:
        await other.close()
    old = create_app(world.config, world.store, world.service(datetime(2026, 3, 4, 9, 0, tzinfo=TZ)))
    later = Web(old)
    try:
        later.client.cookies = web.client.cookies
        r = await later.client.post("/norrmalm/", data={"csrf": csrf, "key": key, "lang": "sv", "text": HOME_CARE},
                                    files=[("files", ("", b"", "application/octet-stream"))])
        assert r.status_code == 403  # two days later: the form has expired
    finally:
        await later.close()
    assert rows(world, select(CaseRow)) == []


async def test_refusals_have_pages_of_their_own(world: World, web: Web) -> None:
    r = await web.send(website="http://spam.example")
    assert r.status_code == 400
    r = await web.send(text="", email="not an address")
    assert r.status_code == 400
    assert 'href="#text"' in r.text and 'href="#email"' in r.text  # the error summary names each field
    assert 'aria-invalid="true"' in r.text
    files = [("files", (f"f{i}.pdf", b"%PDF-1.4", "application/pdf")) for i in range(4)]
    r = await web.send(files=files)
    assert r.status_code == 400
    r = await web.send(files=[("files", ("program.exe", b"MZ", "application/octet-stream"))])
    assert r.status_code == 400 and "program.exe" in r.text
    big = b"x" * (11 * 1024 * 1024)
    r = await web.send(files=[("files", ("big.pdf", big, "application/pdf"))])
    assert r.status_code == 413
    r = await web.send(text="<script>alert(1)</script>\r\nBcc: victim@example.com", name="<b>Eve</b>\r\nX: y")
    assert r.status_code == 200
    case = world.case(ref_in(r.text))
    assert "<script>" in case["messages"][0]["text"]  # kept as text …
    page = await web.client.get("/norrmalm/")
    assert "<b>Eve</b>" not in page.text  # … and never shown as markup
    raw = rows(world, select(MessageRow).where(MessageRow.direction == "in"))
    assert all("victim" not in (m.subject or "") for m in raw)
    assert len(rows(world, select(CaseRow))) == 1  # only the last one was registered


async def test_rate_limits_hold_across_processes(make_world: Any) -> None:
    world = make_world({}, service={})
    w = world.config.web
    apps = [create_app(world.config, world.store, world.service(NOW)) for _ in range(2)]  # two web processes
    browsers = [Web(a) for a in apps]
    try:
        codes = []
        for i in range(w.submissions_per_ip_per_hour + 2):
            r = await browsers[i % 2].send(text=f"{HOME_CARE} Nummer {i}.")
            codes.append(r.status_code)
        assert codes[: w.submissions_per_ip_per_hour] == [200] * w.submissions_per_ip_per_hour
        assert codes[w.submissions_per_ip_per_hour:] == [429, 429]
    finally:
        for b in browsers:
            await b.close()
    assert len(rows(world, select(CaseRow))) == w.submissions_per_ip_per_hour


async def test_per_address_limit(make_world: Any) -> None:
    world = make_world({}, service={})
    app = create_app(world.config, world.store, world.service(NOW))
    web = Web(app)
    limit = world.config.web.submissions_per_address_per_day
    try:
        codes = [(await web.send(text=f"{HOME_CARE} {i}", email="asa@example.com")).status_code for i in range(limit + 1)]
    finally:
        await web.close()
    assert codes == [200] * limit + [429]


async def test_the_form_speaks_english_and_the_case_too(world: World, web: Web) -> None:
    page = await web.client.get("/nacka/?lang=en")
    assert page.status_code == 200 and 'lang="en"' in page.text
    csrf, key = field(page.text, "csrf"), field(page.text, "key")
    r = await web.client.post("/nacka/", data={"csrf": csrf, "key": key, "lang": "en", "email": "jo@example.com",
                                               "text": "The home care staff did not come on Tuesday."},
                              files=[("files", ("", b"", "application/octet-stream"))])
    assert r.status_code == 200
    ref = re.search(r"NK-\d{4}-\d{4}", r.text)
    assert ref
    assert world.case(ref.group(0))["language"] == "en"


# -- the register: who gets in, and what they see ---------------------------------------------------------


async def test_a_visitor_sees_only_the_form(world: World, web: Web) -> None:
    r = await web.send()
    ref = ref_in(r.text)
    for path in ("/staff", "/staff/cases", f"/staff/cases/{ref}", "/staff/cases.csv", "/staff/statistics",
                 "/staff/statistics/report.csv?org=norrmalm&period=2026", "/staff/access-log"):
        got = await web.client.get(path, follow_redirects=True)
        assert "/staff/login" in str(got.url), path
        assert "Hemtjänsten kom inte" not in got.text and "hemtjanst" not in got.text
    posted = await web.client.post(f"/staff/cases/{ref}/command", data={"do": "close", "csrf": "x"})
    assert posted.status_code == 403
    assert world.case(ref)["status"] == "open"


async def test_sign_in_lock_out_and_sign_out(world: World, web: Web) -> None:
    account(world, REGISTRAR, "registrar")
    attempts = world.config.web.login_attempts
    for _ in range(attempts):
        assert (await web.login(REGISTRAR, "wrong password!")).status_code == 401
    locked = await web.login(REGISTRAR)  # the right password, but locked for a while
    assert locked.status_code == 401
    users.add(world.config, world.store, REGISTRAR, "registrar", "norrmalm", [], PASSWORD, NOW)  # unlocks
    ok = await web.login(REGISTRAR)
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/cases"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csrf = await web.csrf()
    await web.client.post("/staff/logout", data={"csrf": csrf})
    after = await web.client.get("/staff/cases")
    assert after.status_code == 303
    users.disable(world.store, REGISTRAR)
    assert (await web.login(REGISTRAR)).status_code == 401


async def test_a_stale_csrf_token_is_refused(world: World, web: Web) -> None:
    ref = ref_in((await web.send()).text)
    account(world, REGISTRAR, "registrar")
    await web.login(REGISTRAR)
    old = await web.csrf()
    await web.client.post("/staff/logout", data={"csrf": old})
    await web.login(REGISTRAR)
    r = await web.client.post(f"/staff/cases/{ref}/command", data={"do": "close", "csrf": old})
    assert r.status_code == 403
    assert world.case(ref)["status"] == "open"


async def test_a_manager_sees_only_its_units_ordinary_cases(world: World, web: Web, app: Any) -> None:
    home = ref_in((await web.send(text=HOME_CARE)).text)
    sarah = ref_in((await web.send(text=LEX_SARAH)).text)
    preschool = ref_in((await web.send(text="Förskolan Vasastan stängde tidigt utan att säga till.",
                                       unit="forskola-vasastan")).text)
    assert "lex_sarah" in world.case(sarah)["flags"]
    account(world, HOME_CARE_MANAGER, "manager", units=("hemtjanst", "sabbatsberg"))
    manager = Web(app)
    try:
        assert (await manager.login(HOME_CARE_MANAGER)).status_code == 303
        listing = (await manager.client.get("/staff/cases")).text
        assert home in listing and sarah not in listing and preschool not in listing
        for q in ("vanvård", sarah, "Förskolan", preschool):
            found = (await manager.client.get("/staff/cases", params={"q": q})).text
            assert f"/staff/cases/{sarah}" not in found and f"/staff/cases/{preschool}" not in found, q
        found = (await manager.client.get("/staff/cases", params={"q": "hemtjänsten"})).text
        assert f"/staff/cases/{home}" in found  # the search works, within what the manager may see
        flagged = (await manager.client.get("/staff/cases", params={"flag": "lex_sarah"})).text
        assert sarah not in flagged
        for ref in (sarah, preschool):
            page = await manager.client.get(f"/staff/cases/{ref}")
            assert page.status_code == 404 and "vanvård" not in page.text
        csv = (await manager.client.get("/staff/cases.csv")).content.decode("utf-8-sig")
        assert home in csv and sarah not in csv and preschool not in csv
        csrf = await manager.csrf()
        for path in (f"/staff/cases/{sarah}/command", f"/staff/cases/{sarah}/identity"):
            r = await manager.client.post(path, data={"csrf": csrf, "do": "close"})
            assert r.status_code == 404
        report = await manager.client.get("/staff/statistics/report.csv?org=norrmalm&period=2026")
        assert report.status_code == 200
        nacka = await manager.client.get("/staff/statistics/report.csv?org=nacka&period=2026")
        assert nacka.status_code == 404
        page = await manager.client.get(f"/staff/cases/{home}")
        assert page.status_code == 200 and "Hemtjänsten kom inte" in page.text
    finally:
        await manager.close()
    assert world.case(sarah)["status"] == "open"
    # the registrar and the Lex Sarah officer see the Lex Sarah case; the officer sees nothing else
    account(world, REGISTRAR, "registrar")
    account(world, "lexsarah.norrmalm@stockholm.example.se", "lex_sarah")
    await web.login(REGISTRAR)
    assert sarah in (await web.client.get("/staff/cases")).text
    officer = Web(app)
    try:
        await officer.login("lexsarah.norrmalm@stockholm.example.se")
        listing = (await officer.client.get("/staff/cases")).text
        assert sarah in listing and home not in listing
    finally:
        await officer.close()


async def test_every_case_view_and_identity_is_logged_and_the_admin_sees_no_identity(world: World, web: Web,
                                                                                      app: Any) -> None:
    ref = ref_in((await web.send(name="Åsa Öberg", email="asa.oberg@example.com")).text)
    account(world, REGISTRAR, "registrar")
    await web.login(REGISTRAR)
    page = await web.client.get(f"/staff/cases/{ref}")
    assert "asa.oberg@example.com" not in page.text  # not without the logged click
    shown = await web.client.post(f"/staff/cases/{ref}/identity", data={"csrf": field(page.text, "csrf")})
    assert shown.status_code == 200 and "asa.oberg@example.com" in shown.text and "Åsa Öberg" in shown.text
    log = rows(world, select(WebAccessRow).where(WebAccessRow.case_ref == ref))
    assert [(r.user_email, r.action) for r in log] == [(REGISTRAR, "view"), (REGISTRAR, "identity")]
    account(world, "it@stockholm.example.se", "admin")
    admin = Web(app)
    try:
        await admin.login("it@stockholm.example.se")
        page = await admin.client.get(f"/staff/cases/{ref}")
        assert page.status_code == 200 and "asa.oberg" not in page.text
        denied = await admin.client.post(f"/staff/cases/{ref}/identity", data={"csrf": field(page.text, "csrf")})
        assert denied.status_code == 403 and "asa.oberg" not in denied.text
        audit = await admin.client.get("/staff/access-log")
        assert audit.status_code == 200 and REGISTRAR in audit.text and "identity" in audit.text
    finally:
        await admin.close()


async def test_registrar_moves_a_case_records_an_action_answers_and_closes(world: World, web: Web) -> None:
    ref = ref_in((await web.send(name="Åsa Öberg", email="asa.oberg@example.com")).text)
    account(world, REGISTRAR, "registrar")
    await web.login(REGISTRAR)
    csrf = await web.csrf()
    moved = await web.client.post(f"/staff/cases/{ref}/command", data={"csrf": csrf, "do": "unit", "arg": "sabbatsberg"})
    assert moved.status_code == 303
    case = world.case(ref)
    assert case["unit"] == "sabbatsberg"
    forwards = [o for o in rows(world, select(OutboxRow)) if o.purpose == "forward"]
    assert [f.recipients for f in forwards][-1] == ["enhetschef.sabbatsberg.norrmalm@stockholm.example.se"]
    done = await web.client.post(f"/staff/cases/{ref}/command",
                                 data={"csrf": csrf, "do": "action", "arg": "Samtal med Åsa Öberg, 070-123 45 67."})
    assert done.status_code == 303
    events = rows(world, select(CaseEventRow).where(CaseEventRow.kind == "action"))
    assert len(events) == 1 and events[0].actor == REGISTRAR
    assert "070-123" not in events[0].detail["text"]  # the register keeps de-identified text
    bad = await web.client.post(f"/staff/cases/{ref}/command", data={"csrf": csrf, "do": "action", "arg": ""})
    assert bad.status_code == 400
    answered = await web.client.post(f"/staff/cases/{ref}/answer",
                                     data={"csrf": csrf, "text": "Hej Åsa! Vi har pratat med personalen."})
    assert answered.status_code == 303
    feedback = [o for o in rows(world, select(OutboxRow)) if o.purpose == "feedback"]
    assert len(feedback) == 1 and feedback[0].recipients == ["asa.oberg@example.com", REGISTRAR]
    assert b"kvalitet.norrmalm@stockholm.example.se" in feedback[0].payload  # whom to turn to if not satisfied
    case = world.case(ref)
    assert case["status"] == "answered" and case["feedback_at"]
    closed = await web.client.post(f"/staff/cases/{ref}/command", data={"csrf": csrf, "do": "close"})
    assert closed.status_code == 303 and world.case(ref)["status"] == "closed"
    report = await web.client.get("/staff/statistics/report.html?org=norrmalm&period=2026")
    assert report.status_code == 200 and "Ärenden med registrerad åtgärd" in report.text
    assert (await web.client.get("/staff/statistics/report.csv?org=norrmalm&period=2026")).status_code == 200


async def test_the_start_page_the_stylesheet_and_the_staffs_other_pages(world: World, web: Web) -> None:
    start = await web.client.get("/")
    assert start.status_code == 200 and "/norrmalm/" in start.text and "/nacka/" in start.text
    css = await web.client.get("/static/web.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await web.client.get("/no-such-org/")).status_code == 404
    assert "Content-Security-Policy" in start.headers and start.headers["X-Frame-Options"] == "DENY"
    ref = ref_in((await web.send(name="Åsa Öberg", phone="070-123 45 67")).text)  # no e-mail address
    account(world, REGISTRAR, "registrar")
    await web.login(REGISTRAR)
    page = await web.client.get(f"/staff/cases/{ref}")
    assert "no e-mail address to answer" in page.text or "ingen e-postadress" in page.text
    csrf = field(page.text, "csrf")
    refused = await web.client.post(f"/staff/cases/{ref}/answer", data={"csrf": csrf, "text": "Hej!"})
    assert refused.status_code == 400 and not [o for o in rows(world, select(OutboxRow)) if o.purpose == "feedback"]
    given = await web.client.post(f"/staff/cases/{ref}/feedback", data={"csrf": csrf, "how": "phone"})
    assert given.status_code == 303 and world.case(ref)["status"] == "answered"
    stats = await web.client.get("/staff/statistics", params={"org": "norrmalm", "period": "2026"})
    assert stats.status_code == 200 and "report.csv?org=norrmalm&amp;period=2026" in stats.text
    assert (await web.client.get("/staff/statistics", params={"org": "norrmalm", "period": "26"})).status_code == 400
    assert (await web.client.get("/staff/statistics/report.pdf?org=norrmalm&period=2026")).status_code == 404
    filtered = await web.client.get("/staff/cases", params={"due": "overdue", "status": "open", "kind": "complaint"})
    assert filtered.status_code == 200 and f"/staff/cases/{ref}" not in filtered.text


async def test_the_log_carries_no_personal_data(world: World, web: Web, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    r = await web.send(name="Åsa Öberg", email="asa.oberg@example.com", phone="070-123 45 67")
    ref = ref_in(r.text)
    account(world, REGISTRAR, "registrar")
    await web.login(REGISTRAR, "wrong password!")
    await web.login(REGISTRAR)
    page = await web.client.get(f"/staff/cases/{ref}")
    await web.client.post(f"/staff/cases/{ref}/identity", data={"csrf": field(page.text, "csrf")})
    for secret in ("asa.oberg", "Öberg", "070-123", "Hemtjänsten kom inte", REGISTRAR, "127.0.0.1", PASSWORD):
        assert secret not in caplog.text, secret
    assert "event=web_submission" in caplog.text and "event=staff_login" in caplog.text


def test_user_commands(world: World) -> None:
    import os

    os.environ["MF_TEST_PASSWORD"] = PASSWORD
    try:
        rc, out, err = world.cli("user", "add", HOME_CARE_MANAGER, "--role", "manager", "--org", "norrmalm",
                                 "--unit", "hemtjanst", "--unit", "sabbatsberg", "--password-env", "MF_TEST_PASSWORD")
        assert rc == 0, err
        rc, out, err = world.cli("user", "add", "x@stockholm.example.se", "--role", "manager", "--org", "norrmalm",
                                 "--unit", "finns-inte", "--password-env", "MF_TEST_PASSWORD")
        assert rc == 1 and "no unit 'finns-inte'" in err
        rc, out, err = world.cli("user", "add", "it@stockholm.example.se", "--role", "admin",
                                 "--password-env", "MF_TEST_PASSWORD")
        assert rc == 0, err
        rc, out, _ = world.cli("user", "list")
        assert HOME_CARE_MANAGER in out and "hemtjanst,sabbatsberg" in out and "(all)" in out
        assert "$argon2" not in out and PASSWORD not in out
        rc, out, _ = world.cli("user", "disable", HOME_CARE_MANAGER)
        assert rc == 0
        rc, out, _ = world.cli("user", "list")
        assert "disabled" in out
        rc, _, err = world.cli("user", "disable", "nobody@example.com")
        assert rc == 1 and "no account" in err
    finally:
        del os.environ["MF_TEST_PASSWORD"]
