"""The status pages over HTTP, on a real seeded index: what an operator reads, and that
nothing from an article can run, mislead or change state."""

from __future__ import annotations

import base64
import re
import sqlite3
from html import unescape

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import ConfigError
from bot.web.app import CSP, check_bind, make_app
from tests.web_fixtures import write_hostile_jsonl


@pytest.fixture
def web_services(seeded_services, tmp_path):
    from bot.ingest.pipeline import run_ingest

    report = run_ingest([write_hostile_jsonl(tmp_path)], seeded_services.index, progress=False)
    assert report.stored == 2, report.as_json()
    return seeded_services


@pytest.fixture
async def client(web_services):
    async with TestClient(TestServer(make_app(web_services), host="127.0.0.1")) as c:
        yield c


def visible(page: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, space squeezed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def get(client: TestClient, path: str, **params: str) -> tuple[int, str]:
    resp = await client.get(path, params=params)
    return resp.status, await resp.text()


async def test_overview_counts_match_the_database(client, web_services):
    status, page = await get(client, "/")
    assert status == 200
    with sqlite3.connect(web_services.settings.db_path) as db:
        articles = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    shown = dict(re.findall(r'data-stat="([^"]+)">([\d,]+)<', page))
    assert int(shown["articles"]) == articles == 11
    assert int(shown["events"]) == events > 0
    text = visible(page)
    assert "Budapest summit" in text and "No channel has subscribed yet." in text


async def test_overview_lists_subscriptions_with_their_next_local_time(client, web_services):
    from bot.digests.manage import open_store, subscribe

    with open_store(web_services) as store:
        subscribe(store, "slack", "C42", time="08:00", tz="Europe/Kyiv",
                  settings=web_services.settings, now=web_services.clock())
    _, page = await get(client, "/")
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page) if "C42" in r)
    assert "08:00 Europe/Kyiv" in visible(row)
    assert re.search(r"\w{3} \d\d \w{3} 08:00 Europe/Kyiv", visible(row))


async def test_event_page_shows_aliases_chart_and_cited_answers(client):
    status, page = await get(client, "/topic", q="Budapest summit")
    assert status == 200
    text = visible(page)
    assert "Event: Budapest summit" in text and "also written" in text
    assert "Latest on Budapest summit" in text and "Timeline of Budapest summit" in text
    # every citation mark points at a listed source
    marks = set(re.findall(r'href="#src-(\d+)"', page))
    ids = set(re.findall(r'id="src-(\d+)"', page))
    assert marks and marks <= ids
    chart = re.search(r'<img class="chart" src="([^"]+)" alt="([^"]+)"', page)
    assert chart and "Articles about Budapest summit per day" in unescape(chart.group(2))
    resp = await client.get(unescape(chart.group(1)))
    assert resp.status == 200 and resp.content_type == "image/svg+xml"
    assert (await resp.read()).lstrip().startswith(b"<?xml")


async def test_png_chart_is_a_real_picture(client):
    resp = await client.get("/chart.png", params={"q": "Alaska summit"})
    body = await resp.read()
    assert resp.status == 200 and body.startswith(b"\x89PNG") and len(body) > 2000


async def test_search_answers_exactly_as_ask(client, web_services):
    question = "who is Steve Witkoff"
    reply = await web_services.registry.dispatch(
        web_services.registry.parse(question, platform="web"), web_services)
    _, page = await get(client, "/search", q=question)
    text = visible(page)
    for claim in (c for s in reply.sections for c in s.claims):
        assert " ".join(claim.text.split()) in text
    assert len(re.findall(r'<li id="src-\d+"', page)) == len(reply.sources) > 0


async def test_search_refuses_commands_that_change_state(client, web_services):
    _, page = await get(client, "/search", q="subscribe 08:00 Europe/Kyiv")
    assert "read-only" in visible(page)
    with sqlite3.connect(web_services.settings.db_path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if "subscriptions" in tables:
            assert db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 0


async def test_no_coverage_topic_says_so(client):
    _, page = await get(client, "/topic", q="World Cup 2026 in Atlantis")
    assert "No coverage" in visible(page)


async def test_hostile_titles_and_links_render_inert(client):
    _, page = await get(client, "/search", q="latest on Millbrook dam")
    assert "<script" not in page.lower() and "<img src=x" not in page.lower()
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert hrefs and not any(unescape(h).strip().lower().startswith("javascript:") for h in hrefs)
    text = visible(page)
    assert "<script>alert('title')</script> Dam council vote" in text  # shown as text
    # the URL-looking title is a citation's text, never the label of a link elsewhere
    for href, label in re.findall(r'<a href="(https?://[^"]+)"[^>]*>([^<]*)</a>', page):
        host = re.match(r"https?://(?:www\.)?([^/:]+)", unescape(href)).group(1)
        assert unescape(label) == host
    assert "evil.example" in text


async def test_every_response_forbids_scripts(client):
    for path in ("/", "/feeds", "/topic?q=Alaska+summit", "/search?q=help", "/nowhere"):
        resp = await client.get(path)
        assert resp.headers["Content-Security-Policy"] == CSP
        assert "script-src" not in CSP and "default-src 'none'" in CSP


async def test_only_get_is_served(client):
    resp = await client.post("/search", data={"q": "subscribe 08:00 UTC"})
    assert resp.status == 405


async def test_a_token_is_asked_for_on_every_request(web_services):
    from dataclasses import replace

    from bot.config import Secret

    web_services.settings = replace(web_services.settings, web_token=Secret("s3cret-token"))
    async with TestClient(TestServer(make_app(web_services), host="127.0.0.1")) as c:
        assert (await c.get("/")).status == 401
        assert (await c.get("/chart.png", params={"q": "Alaska summit"})).status == 401
        wrong = base64.b64encode(b"ops:nope").decode()
        assert (await c.get("/", headers={"Authorization": f"Basic {wrong}"})).status == 401
        good = base64.b64encode(b"ops:s3cret-token").decode()
        resp = await c.get("/", headers={"Authorization": f"Basic {good}"})
        assert resp.status == 200 and "s3cret-token" not in await resp.text()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.org"])
def test_listening_beyond_loopback_needs_a_token(host):
    with pytest.raises(ConfigError, match="BRIEFBOT_WEB_TOKEN"):
        check_bind(host, "")
    check_bind(host, "a-token")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.5"])
def test_loopback_needs_no_token(host):
    check_bind(host, "")


async def test_feeds_page_redacts_keys_as_chat_does(client, web_services):
    from datetime import UTC, datetime

    from bot.feeds.store import FeedStore

    with FeedStore.open(web_services.settings.db_path) as store:
        now = datetime.now(UTC)
        feed = store.add("https://news.example/rss?key=SECRETKEY", title="Example <b>News</b>",
                         site_url=None, added_by="test", now=now)
        store.record_failure(feed.id, now=now,
                             error="HTTP 500 from https://news.example/rss?key=SECRETKEY",
                             next_poll_at=None, pause=False)
    status, page = await get(client, "/feeds")
    assert status == 200 and "SECRETKEY" not in page
    text = visible(page)
    assert "Example <b>News</b>" in text and "failing" in text
    assert "HTTP 500 from https://news.example/rss?key=…" in text  # the error, key hidden
