"""End to end in a real headless browser (Debian's chromium and chromium-driver, through Selenium).

A citizen fills in the form with åäö and an attachment, sees the receipt, and the
acknowledgment reaches the SMTP listener after a pass of the service; the
registrar signs in, finds the case by search, moves it to another unit, records
an action, and the new unit's manager gets the forward. axe-core checks the form,
the case list and the case page for serious or critical WCAG 2.1 A/AA violations.
Screenshots of the pages go to $MAILFLOW_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailflow.testing.browser import Browser, WebServer, chromium_paths
from mailflow.web import users
from mailflow.web.app import create_app
from tests.conftest import World

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
REGISTRAR = "registrator.norrmalm@stockholm.example.se"
NEW_MANAGER = "enhetschef.sabbatsberg.norrmalm@stockholm.example.se"
TEXT = ("Hemtjänsten kom inte på tisdagen och min mamma Märta fick vänta hela dagen på hjälp med maten. "
        "Det är inte acceptabelt – åäö ÅÄÖ.")


@pytest.fixture
def browser() -> Iterator[Browser]:
    if os.environ.get("MAILFLOW_TEST_SKIP_BROWSER") == "1":
        pytest.skip("MAILFLOW_TEST_SKIP_BROWSER=1")
    if chromium_paths() is None:
        pytest.fail("Debian's chromium and chromium-driver are needed (scripts/test installs them)")
    b = Browser()
    yield b
    b.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("MAILFLOW_SCREENSHOTS") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def click_and_load(driver: Any, element: Any) -> None:
    """Click a submit button and wait until the next page has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 60).until(expected_conditions.staleness_of(page))
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def serious(violations: list[dict[str, Any]]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v.get('description', '')}" for v in violations
            if v.get("impact") in ("serious", "critical")]


def sent_to(world: World, address: str) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=email.policy.default)  # type: ignore[misc]
            for m in world.sent() if address in m.rcpt_tos]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_citizen_and_registrar_in_a_real_browser(world: World, browser: Browser, shots: Path,
                                                       tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    server = WebServer(create_app(world.config, world.store, world.service())).start()
    d = browser.driver
    try:
        # -- the citizen ------------------------------------------------------------------------
        d.get(f"{server.url}/norrmalm/")
        assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv"
        assert not serious(browser.axe()), serious(browser.axe())
        browser.screenshot(shots / "1-form.png")
        d.find_element(By.ID, "text").send_keys(TEXT)
        d.find_element(By.ID, "name").send_keys("Åsa Öberg")
        d.find_element(By.ID, "email").send_keys("asa.oberg@example.com")
        picture = tmp_path / "trappan åäö.png"
        picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        d.find_element(By.ID, "files").send_keys(str(picture))
        click_and_load(d, d.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        receipt = d.find_element(By.TAG_NAME, "main").text
        ref = re.search(r"NM-\d{4}-\d{4}", receipt)
        assert ref, receipt
        ref_ = ref.group(0)
        assert "asa.oberg" not in receipt and "Åsa" not in receipt and ref_ not in d.current_url
        browser.screenshot(shots / "2-receipt.png")

        await world.run_once()
        acks = [m for m in sent_to(world, "asa.oberg@example.com") if m["X-Mailflow-Purpose"] == "ack"]
        assert len(acks) == 1 and ref_ in str(acks[0]["Subject"])
        case = world.case(ref_)
        assert case["channel"] == "web" and "åäö ÅÄÖ" in case["messages"][0]["text"]

        # -- the registrar ---------------------------------------------------------------------------
        users.add(world.config, world.store, REGISTRAR, "registrar", "norrmalm", [], PASSWORD,
                  world.service().clock.now())
        d.get(f"{server.url}/staff/cases")
        d.find_element(By.ID, "email").send_keys(REGISTRAR)
        d.find_element(By.ID, "password").send_keys(PASSWORD)
        click_and_load(d, d.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
        d.find_element(By.ID, "q").send_keys("vänta")  # the de-identified text: "min mamma [namn] fick vänta"
        click_and_load(d, d.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
        links = d.find_elements(By.CSS_SELECTOR, "table.cases a")
        assert [a.text for a in links] == [ref_]
        assert not serious(browser.axe()), serious(browser.axe())
        browser.screenshot(shots / "3-case-list.png")
        click_and_load(d, links[0])
        assert ref_ in d.find_element(By.TAG_NAME, "h1").text
        page = d.find_element(By.TAG_NAME, "main").text
        assert "min mamma [namn] fick vänta" in page and "Märta" not in page  # a third party's name stays out
        assert not serious(browser.axe()), serious(browser.axe())
        browser.screenshot(shots / "4-case-page.png")

        Select(d.find_element(By.ID, "unit-arg")).select_by_value("sabbatsberg")
        click_and_load(d, d.find_element(By.ID, "unit-arg").find_element(By.XPATH, "./ancestor::form//button"))
        assert "sparad" in d.find_element(By.TAG_NAME, "main").text.lower() or "saved" in \
            d.find_element(By.TAG_NAME, "main").text.lower()
        d.find_element(By.ID, "action-text").send_keys("Vi har pratat med personalgruppen om tiderna.")
        click_and_load(d, d.find_element(By.ID, "action-text").find_element(By.XPATH, "./ancestor::form//button"))
        browser.screenshot(shots / "5-case-after-actions.png")
        case = world.case(ref_)
        assert case["unit"] == "sabbatsberg"
        assert any(e["kind"] == "action" and e["actor"] == REGISTRAR for e in case["events"])

        await world.run_once()
        forwards = [m for m in sent_to(world, NEW_MANAGER) if m["X-Mailflow-Purpose"] == "forward"]
        assert len(forwards) == 1 and ref_ in str(forwards[0]["Subject"])

        # on a phone, in Finnish: one column, nothing wider than the screen
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        d.get(f"{server.url}/norrmalm/?lang=fi")
        assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fi"
        assert d.execute_script("return document.documentElement.clientWidth") == 390
        assert d.execute_script("return document.documentElement.scrollWidth") <= 390
        assert not serious(browser.axe()), serious(browser.axe())
        browser.screenshot(shots / "6-form-phone-fi.png")
    finally:
        server.stop()
