"""The dashboard in headless Chromium (Debian chromium + chromedriver, through Selenium).

Against the real broker, worker and ``fusionhub serve``: the page loads, indicators arrive
live without a reload, a chart shows the collection's counts, an analyst looks values up,
and an operator replays a rejected record from the page. Screenshots go to
test-artifacts/browser/.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from hub.kafka_io import read_topics
from hub.store.collections import analysts_collection
from tests.integration.broker_fixture import KafkaBroker
from tests.integration.delivery_stack import Sent, delivery_stack, held, send, wait_held
from tests.integration.hub_process import REPO, HubProcess
from tests.integration.taxii_server import TaxiiServer

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ARTIFACTS = REPO / "test-artifacts" / "browser"
FIRST = [
    Sent("av-sentinel", "[ipv4-addr:value = '45.155.206.10']", "c2", 80),
    Sent("isp-northnet", "[domain-name:value = 'phish-b.browser.test']", "phishing", 50),
    Sent("isp-northnet", "[domain-name:value = 'phish-c.browser.test']", "phishing", 55),
]
LATER = Sent("bank-meridian", "[domain-name:value = 'phish-d.browser.test']", "phishing", 90)


@pytest.fixture(scope="module")
async def stack(
    kafka_broker: KafkaBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[HubProcess, TaxiiServer]]:
    if shutil.which("chromedriver") is None or shutil.which("chromium") is None:
        pytest.skip("Debian chromium and chromedriver are not installed")
    workdir = tmp_path_factory.mktemp("browser")
    async with delivery_stack(kafka_broker.bootstrap, workdir) as (hub, server):
        await send(hub, FIRST, garbage=("this is not STIX {",))
        await wait_held(server.store_url, analysts_collection(), {s.curated_id for s in FIRST})
        yield hub, server


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=1400,1800",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


def open_dashboard(driver: WebDriver, server: TaxiiServer, who: tuple[str, str]) -> None:
    log_in(driver, who)
    driver.get(f"{server.url.removesuffix('/taxii2/')}/ui/")


def log_in(driver: WebDriver, who: tuple[str, str]) -> None:
    """Every request of the page (fetch, EventSource) carries the principal's credentials."""
    token = base64.b64encode(f"{who[0]}:{who[1]}".encode()).decode()
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}}
    )


async def until(
    driver: WebDriver, check: Callable[[], Any], why: str, timeout_s: float = 60
) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except StaleElementReferenceException:
            value = None  # the live page re-rendered while it was read: look again
        if value:
            return value
        await asyncio.sleep(0.3)
    shot(driver, "failed")
    raise AssertionError(f"{why}: not within {timeout_s} s")


def shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def chart(driver: WebDriver, chart_id: str) -> dict[str, int]:
    bars = driver.find_elements(By.CSS_SELECTOR, f"#{chart_id} g.bar")
    return {
        b.get_attribute("data-key") or "": int(b.get_attribute("data-count") or 0) for b in bars
    }


def chart_if(driver: WebDriver, chart_id: str, wanted: dict[str, int]) -> dict[str, int] | None:
    """The chart's bars once they are ``wanted`` (read in one go, so never half re-drawn)."""
    bars = chart(driver, chart_id)
    return bars if bars == wanted else None


def _feed_row(driver: WebDriver, partner: str) -> list[str]:
    for tr in driver.find_elements(By.CSS_SELECTOR, "#feeds tbody tr"):
        cells = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        if cells and cells[0] == partner:
            return cells
    return []


def feed_ids(driver: WebDriver) -> set[str]:
    items = driver.find_elements(By.CSS_SELECTOR, "#feed li.indicator")
    return {i.get_attribute("data-id") or "" for i in items}


async def test_analyst_sees_live_feed_and_counts(
    stack: tuple[HubProcess, TaxiiServer], browser: WebDriver
) -> None:
    hub, server = stack
    open_dashboard(browser, server, ("ana", "ana-demo"))
    assert "Fusion Hub" in browser.title
    first = {s.curated_id for s in FIRST}
    await until(browser, lambda: first <= feed_ids(browser), "the first indicators in the feed")
    shot(browser, "dashboard-loaded")

    await send(hub, [LATER])  # arrives while the page is open: no reload
    await until(browser, lambda: LATER.curated_id in feed_ids(browser), "a new indicator, live")

    stored = await wait_held(server.store_url, analysts_collection(), {LATER.curated_id})
    expected = Counter(str(o["x_fusion_crime_code"]) for o in stored.values())
    shown = await until(
        browser,
        lambda: chart_if(browser, "chart-crime-code", dict(expected)),
        f"the crime-code chart showing {dict(expected)}",
    )
    assert shown["fraud/phishing"] == 3
    assert browser.find_element(By.ID, "total").text == str(len(stored))
    # Feed health counts each ingest record once: NorthNet sent two indicators and one wreck.
    await until(
        browser,
        lambda: _feed_row(browser, "isp-northnet")[2:4] == ["3", "1"],
        "isp-northnet's feed health: 3 records, 1 rejected",
    )
    shot(browser, "dashboard-live")


async def test_operator_replays_a_rejected_record(
    stack: tuple[HubProcess, TaxiiServer], browser: WebDriver
) -> None:
    hub, server = stack
    open_dashboard(browser, server, ("ops", "ops-demo"))
    button = await until(
        browser,
        lambda: browser.find_elements(By.CSS_SELECTOR, "#rejected button.replay"),
        "a rejected record with a replay button",
    )
    rejection_id = button[0].get_attribute("data-id")
    row = browser.find_element(By.CSS_SELECTOR, f'#rejected tr[data-id="{rejection_id}"]')
    assert "isp-northnet" in row.text
    shot(browser, "rejected-before-replay")
    button[0].click()
    await until(
        browser,
        lambda: (
            "replayed"
            in browser.find_element(By.CSS_SELECTOR, f'#rejected tr[data-id="{rejection_id}"]').text
        ),
        "the row marked replayed",
    )
    shot(browser, "rejected-replayed")
    markers = [
        orjson.loads(m.value)
        async for m in read_topics(hub.bootstrap, topics=[hub.topics.replayed], idle_timeout_s=2)
    ]
    assert [m["rejection_id"] for m in markers] == [rejection_id]
    # The replayed record went back through admission (and was rejected again: still garbage).
    ingested = [
        orjson.loads(m.value)
        async for m in read_topics(hub.bootstrap, topics=[hub.topics.ingest], idle_timeout_s=2)
    ]
    assert any(r.get("replay_of") == rejection_id for r in ingested)
    assert await held(server.store_url, analysts_collection())


def lookup_rows(driver: WebDriver) -> dict[str, tuple[str, list[str]]]:
    """Each answer of the lookup table by the value asked: its class and its cells."""
    return {
        tr.get_attribute("data-query") or "": (
            tr.get_attribute("class") or "",
            [td.text for td in tr.find_elements(By.TAG_NAME, "td")],
        )
        for tr in driver.find_elements(By.CSS_SELECTOR, "#lookup-results tbody tr")
    }


async def test_analyst_looks_up_values_from_a_case(
    stack: tuple[HubProcess, TaxiiServer], browser: WebDriver
) -> None:
    _, server = stack
    open_dashboard(browser, server, ("ana", "ana-demo"))
    asked = ["45.155.206[.]10", "Phish-B.Browser.Test.", "198.51.100.99", "not an ioc"]
    box = await until(
        browser, lambda: browser.find_elements(By.ID, "lookup-values"), "the lookup form"
    )
    box[0].send_keys("\n".join(asked))
    browser.find_element(By.ID, "lookup-go").click()
    rows = await until(
        browser,
        lambda: (found := lookup_rows(browser)) and len(found) == len(asked) and found,
        "an answer for each value",
    )
    shot(browser, "lookup")
    c2_class, c2 = rows["45.155.206[.]10"]
    assert c2_class == "curated"
    assert c2[1] == "ipv4-addr 45.155.206.10"
    assert c2[2].startswith("valid, version 1 of ")
    assert (c2[3], c2[4]) == ("80", "malicious-code/c2-server")
    assert c2[6] == "av-sentinel (80)"
    phish_class, phish = rows["Phish-B.Browser.Test."]
    assert phish_class == "curated" and phish[1] == "domain-name phish-b.browser.test"
    assert phish[6] == "isp-northnet (50)"
    assert rows["198.51.100.99"][0] == "unknown"
    assert rows["198.51.100.99"][1][2] == "not reported to the hub"
    bad_class, bad = rows["not an ioc"]
    assert bad_class == "unreadable" and bad[2].startswith("cannot read it: 'not an ioc' is not")
    status = browser.find_element(By.ID, "lookup-status").text
    assert status == "4 value(s), 2 curated"


async def test_operators_get_no_lookup(
    stack: tuple[HubProcess, TaxiiServer], browser: WebDriver
) -> None:
    _, server = stack
    open_dashboard(browser, server, ("ops", "ops-demo"))
    await until(
        browser, lambda: browser.find_element(By.ID, "who").text == "admin:ops", "logged in"
    )
    await until(
        browser,
        lambda: not browser.find_element(By.ID, "lookup-section").is_displayed(),
        "the lookup hidden from an operator",
    )
