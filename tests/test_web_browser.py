"""The status pages in a real browser: Debian's Chromium driven by Playwright, on loopback.

Skipped when no Chromium is installed, unless BRIEFBOT_REQUIRE_BROWSER=1 (set by
.ci/run), which turns the skip into a failure so CI always runs them.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from aiohttp.test_utils import TestServer

from bot.web.app import make_app
from tests.web_fixtures import write_hostile_jsonl

CHROMIUM = os.environ.get("BRIEFBOT_CHROMIUM") or shutil.which("chromium") \
    or shutil.which("chromium-browser")


def _need_browser() -> None:
    missing = None
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed"
    if CHROMIUM is None:
        missing = missing or "no chromium executable (apt-get install chromium)"
    if missing:
        if os.environ.get("BRIEFBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but {missing}")
        pytest.skip(missing)


@pytest.fixture
async def site(seeded_services, tmp_path):
    from bot.ingest.pipeline import run_ingest

    _need_browser()
    run_ingest([write_hostile_jsonl(tmp_path)], seeded_services.index, progress=False)
    server = TestServer(make_app(seeded_services), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}", seeded_services
    await server.close()


@pytest.fixture
async def browser():
    _need_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        yield b
        await b.close()


async def open_page(browser, url: str):
    """A page that records console errors and any dialog (an alert would mean script ran)."""
    page = await browser.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))

    async def on_dialog(dialog):
        page.problems.append(f"dialog: {dialog.message}")
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    return page


async def test_overview_shows_the_index_in_numbers(site, browser):
    base, services = site
    page = await open_page(browser, base + "/")
    articles = await page.locator('[data-stat="articles"]').inner_text()
    assert int(articles.replace(",", "")) == services.index.stats().articles == 11
    assert await page.get_by_role("link", name="Budapest summit").count() == 1
    assert page.problems == []


async def test_event_page_in_the_browser(site, browser):
    base, _ = site
    page = await open_page(browser, base + "/")
    await page.get_by_role("link", name="Alaska summit").click()
    await page.wait_for_load_state("networkidle")
    assert await page.locator("h1").inner_text() == "Alaska summit"
    body = await page.locator("main").inner_text()
    assert "Latest on Alaska summit" in body and "Timeline of Alaska summit" in body
    assert re.search(r"Alaska[^\n]*\[\d+\]", body)  # a cited sentence naming it
    chart = page.locator("img.chart")
    width = await chart.evaluate("img => img.naturalWidth")
    height = await chart.evaluate("img => img.naturalHeight")
    assert width > 100 and height > 50
    assert "Articles about Alaska summit" in (await chart.get_attribute("alt"))
    assert page.problems == []


async def test_search_box_answers_like_ask(site, browser):
    base, _ = site
    page = await open_page(browser, base + "/")
    await page.get_by_role("searchbox", name="Ask").fill("who is Steve Witkoff")
    await page.get_by_role("button", name="Ask").click()
    await page.wait_for_load_state("networkidle")
    body = await page.locator("main").inner_text()
    assert "Who is Steve Witkoff" in body and "special envoy" in body
    assert await page.locator("ol.sources li").count() >= 1
    assert page.problems == []


async def test_hostile_titles_render_inert(site, browser):
    base, _ = site
    page = await open_page(browser, base + "/search?q=latest+on+Millbrook+dam")
    body = await page.locator("main").inner_text()
    assert "<script>alert('title')</script> Dam council vote" in body
    assert await page.locator("main script").count() == 0
    hrefs = await page.locator("a").evaluate_all("as => as.map(a => a.href)")
    assert not [h for h in hrefs if h.lower().startswith("javascript:")]
    # the one outbound link is labelled with its real host, not with the BBC address
    outbound = page.locator('ol.sources a[href^="http"]')
    labels = await outbound.all_inner_texts()
    assert labels == ["evil.example"]
    assert page.problems == []  # no alert fired, nothing blocked noisily


async def test_feeds_page_loads_without_errors(site, browser):
    base, _ = site
    page = await open_page(browser, base + "/feeds")
    assert "No feeds" in await page.locator("main").inner_text()
    assert page.problems == []
