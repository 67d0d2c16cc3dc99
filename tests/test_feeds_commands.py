"""`/feeds` and `/ingest` as a chat user sends them, and `briefbot feeds ...` on the CLI."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.feeds.service import add_feed, list_feeds, list_text
from test_feeds_support import (STORIES, Page, article_page, connect_guard, make_fetcher,  # noqa: F401
                                resolver, rss, server)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def services(fast_services, fast_env):
    """The fast pair: feed commands are about fetching, storing and replies, not entities
    (`fast_env`: the CLI these tests also run opens the index with the same pair)."""
    return fast_services


@pytest.fixture
def svc(services, connect_guard):
    services.clock = lambda: NOW
    # The explicit allow-list: the test server on loopback, nothing else.
    services.settings = replace(services.settings, fetch_allow_networks=("127.0.0.1/32",))
    yield services
    services.feed_worker.close()


def feed_items():
    return [{"title": STORIES[k][0], "text": STORIES[k][1], "guid": k,
             "link": f"http://news.test/{k}", "date": NOW} for k in ("bridge", "buses")]


async def ask(services, text: str, *, manage: bool = True):
    req = services.registry.parse(text, platform="test", user_id="u1", channel_id="c1",
                                  can_manage=manage)
    return await services.registry.dispatch(req, services)


async def test_changing_feeds_needs_manage_channels(svc, server):
    server.pages["/rss"] = Page(rss("Marlow Daily", feed_items()), "application/rss+xml")
    url = server.url("/rss", host="127.0.0.1")
    for text in (f"feeds add {url}", "feeds remove 1", "feeds resume 1"):
        reply = await ask(svc, text, manage=False)
        assert reply.kind == "forbidden" and "Manage Channels" in reply.text
    reply = await ask(svc, f"ingest {url}", manage=False)
    assert reply.kind == "forbidden"
    assert server.total_hits == 0
    assert (await ask(svc, "feeds list", manage=False)).text.startswith("No feeds yet.")


async def test_add_list_remove_in_chat(svc, server):
    server.pages["/rss"] = Page(rss("Marlow Daily", feed_items()), "application/rss+xml")
    url = server.url("/rss", host="127.0.0.1")
    added = await ask(svc, f"/feeds add <{url}|Marlow Daily>")  # as Slack wraps links
    assert added.kind == "answer", added.text
    assert added.text.split("\n")[:2] == ["Added feed 1: “Marlow Daily” (2 items in the feed).",
                                          "Ingested 2 new stories from the last 3 days."]
    listed = await ask(svc, "feeds", manage=False)
    assert listed.title == "Feeds (1)"
    assert listed.sections[0].heading == "1. Marlow Daily — active, every 30 min"
    assert "2 items seen, 2 stored · last success 2026-11-23 12:00 UTC" in listed.text
    removed = await ask(svc, "feeds remove 1")
    assert removed.text == "Removed feed 1 (“Marlow Daily”). Its 2 stored stories stay in the index."
    assert (await ask(svc, "feeds list")).kind == "empty"


async def test_refusals_reach_the_user_who_asked(svc, server):
    reply = await ask(svc, "feeds add http://10.0.0.5/rss")
    assert (reply.kind, reply.text) == ("error", "refused: 10.0.0.5 is a private address")
    reply = await ask(svc, "ingest http://169.254.169.254/latest/meta-data/")
    assert reply.text == "refused: 169.254.169.254 is the cloud metadata address"
    reply = await ask(svc, "feeds add file:///etc/passwd")
    assert reply.text == "refused: file: URLs are not fetched; only http and https"
    reply = await ask(svc, "feeds frobnicate")
    assert reply.text.startswith("Unknown feeds action “frobnicate”")
    reply = await ask(svc, "feeds add")
    assert reply.text == "`feeds add` needs a feed URL."


async def test_ingest_in_chat(svc, server):
    title, text = STORIES["museum"]
    server.pages["/story"] = Page(article_page(title, text, publisher="Port Alder Post"))
    reply = await ask(svc, f"ingest {server.url('/story', host='127.0.0.1')}")
    assert reply.title == "Article ingested"
    assert reply.text.startswith(f"Ingested “{title}” — Port Alder Post, 2026-11-22 as article ")


async def run_cli(capsys, db, *args: str) -> tuple[int, str, str]:
    """The real CLI entry point, in a thread (it runs its own event loop) while the server serves."""
    argv = ["--db", str(db), "--env-file", "/nonexistent/.env", "feeds", *args]
    code = await asyncio.to_thread(main, argv)
    out = capsys.readouterr()
    return code, out.out, out.err


async def test_cli_list_json_and_remove(services, server, resolver, connect_guard, capsys):
    services.clock = lambda: NOW
    server.pages["/rss"] = Page(rss("Marlow Daily", feed_items()), "application/rss+xml")
    await add_feed(services, server.url("/rss"), fetcher=make_fetcher(resolver))
    db = services.settings.db_path
    code, out, _ = await run_cli(capsys, db, "list", "--json")
    [feed] = json.loads(out)
    assert code == 0
    assert {k: feed[k] for k in ("id", "url", "title", "status", "items", "stored", "last_error")} \
        == {"id": 1, "url": server.url("/rss"), "title": "Marlow Daily", "status": "active",
            "items": 2, "stored": 2, "last_error": None}
    assert feed["last_success"] == NOW.isoformat()
    code, out, _ = await run_cli(capsys, db, "list")
    assert out.startswith("1. Marlow Daily — active, every 30 min\n")
    code, _, err = await run_cli(capsys, db, "remove", "9")
    assert code == 1 and err.startswith("briefbot: error: No feed '9'.")
    code, out, _ = await run_cli(capsys, db, "remove", server.url("/rss"))
    assert code == 0 and out.startswith("Removed feed 1 (“Marlow Daily”).")
    code, _, err = await run_cli(capsys, db, "add", "ftp://news.test/rss")
    assert code == 1 and err.strip() == ("briefbot: error: refused: ftp: URLs are not fetched; "
                                         "only http and https")


async def test_cli_poll_uses_the_default_policy_which_refuses_loopback(services, server, resolver,
                                                                       connect_guard, capsys):
    """A feed added through a test fetcher is polled by the real CLI: loopback is not allowed."""
    services.clock = lambda: NOW
    server.pages["/rss"] = Page(rss("Marlow Daily", []), "application/rss+xml")
    await add_feed(services, server.url("/rss", host="127.0.0.1"), fetcher=make_fetcher(resolver))
    hits = server.total_hits
    code, out, _ = await run_cli(capsys, services.settings.db_path, "poll", "--json")
    [outcome] = json.loads(out)
    assert code == 1
    assert (outcome["status"], outcome["error"]) == ("failed",
                                                     "refused: 127.0.0.1 is a loopback address")
    assert server.total_hits == hits


async def test_cli_ingest_url_refusal_is_a_rejected_line(services, server, connect_guard, capsys):
    url = server.url("/story", host="127.0.0.1")
    argv = ["--db", str(services.settings.db_path), "--env-file", "/nonexistent/.env",
            "ingest", url, "http://10.1.1.1/story", "--json"]
    code = await asyncio.to_thread(main, argv)
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report == {"pages": 0, "stored": 0, "duplicates": 0, "rejected": [
        {"path": url, "reason": "refused: 127.0.0.1 is a loopback address"},
        {"path": "http://10.1.1.1/story", "reason": "refused: 10.1.1.1 is a private address"}]}
    assert server.total_hits == 0 and connect_guard.connects == []


async def test_chat_list_hides_a_private_feeds_key_and_names_where_problems_go(svc, server):
    server.pages["/rss"] = Page(rss("Members Feed", feed_items()), "application/rss+xml")
    url = server.url("/rss", host="127.0.0.1") + "?key=s3cret-member-key"
    assert (await ask(svc, f"feeds add {url}")).kind == "answer"
    listed = await ask(svc, "feeds list", manage=False)
    assert "s3cret-member-key" not in listed.text
    assert "/rss?key=…" in listed.text
    assert "problems are reported in test channel c1" in listed.text
    terminal = list_text(await list_feeds(svc.settings), 30)
    assert "s3cret-member-key" in terminal  # the operator's own terminal shows the real URL
