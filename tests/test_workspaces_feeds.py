"""Feeds, `/ingest` and the CLI across two workspaces (issue 12): each workspace adds, lists,
removes and is answered from its own feeds; the operator sees them all.

Real feeds on a loopback server, polled by the real poller into a real SQLite file, asked
through the real commands as two Discord servers' channels (A: guild 111, B: guild 222).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from bot.index.store import Index
from bot.ingest.model import Article
from conftest import _services_for
from test_feeds_support import (STORIES, Page, article_page, connect_guard, rss,  # noqa: F401
                                server)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
A, B = "111", "222"


def items(*keys: str) -> list[dict]:
    return [{"title": STORIES[k][0], "text": STORIES[k][1], "guid": k,
             "link": f"http://news.test/{k}", "date": NOW - timedelta(hours=n + 1)}
            for n, k in enumerate(keys)]


def _svc(path, fast_encoder, blank_nlp):
    from summarizer.embeddings import EncoderBackend

    svc = _services_for(path, fast_encoder, blank_nlp, encoder=EncoderBackend.HASHING)
    svc.clock = lambda: NOW
    svc.settings = replace(svc.settings, fetch_allow_networks=("127.0.0.1/32",))
    return svc


@pytest.fixture
def make(tmp_path, fast_encoder, blank_nlp, connect_guard):
    made = []

    def one(name: str):
        svc = _svc(tmp_path / f"{name}.db", fast_encoder, blank_nlp)
        made.append(svc)
        return svc
    yield one
    for svc in made:
        svc.close()


async def ask(svc, text: str, guild: str | None, *, manage: bool = True, direct: bool = False):
    req = svc.registry.parse(text, platform="discord", user_id="u1", channel_id=f"c{guild}",
                             can_manage=manage, is_direct=direct,
                             extra={"guild_id": guild} if guild else {})
    return await svc.registry.dispatch(req, svc)


def serve_feeds(server) -> tuple[str, str]:
    # "piers" is in both feeds, under the same GUID and link
    server.pages["/a.rss"] = Page(rss("A Daily", items("bridge", "piers", "museum")),
                                  "application/rss+xml")
    server.pages["/b.rss"] = Page(rss("B Weekly", items("drought", "piers", "robots")),
                                  "application/rss+xml")
    return server.url("/a.rss", host="127.0.0.1"), server.url("/b.rss", host="127.0.0.1")


async def test_each_workspace_sees_and_changes_only_its_own_feeds(make, server):
    svc = make("feeds")
    a_url, b_url = serve_feeds(server)
    added = await ask(svc, f"feeds add {a_url}", A)
    assert added.title == "Feed added", added.text
    assert (await ask(svc, f"feeds add {b_url}", B)).title == "Feed added"

    listed = await ask(svc, "feeds list", A, manage=False)
    assert listed.title == "Feeds (1)" and "A Daily" in listed.text and "B Weekly" not in listed.text
    # B cannot touch A's feed (number 1)
    removed = await ask(svc, "feeds remove 1", B)
    assert removed.kind == "error" and removed.text.startswith("No feed '1'.")
    assert (await ask(svc, "feeds list", A)).title == "Feeds (1)"  # still there
    # a Discord DM belongs to no server: it may not add to everybody's corpus
    dm = await ask(svc, f"feeds add {server.url('/c.rss', host='127.0.0.1')}", None, direct=True)
    assert dm.kind == "error" and "server or workspace" in dm.text
    assert server.hits.get("/c.rss", 0) == 0

    # the piers story is in both feeds: each workspace has it, with its own feed as source
    a_sources = await ask(svc, "sources storm piers Saltmarsh Bay", A)
    b_sources = await ask(svc, "sources storm piers Saltmarsh Bay", B)
    assert [s.publisher for s in a_sources.sources] == ["A Daily"]
    assert [s.publisher for s in b_sources.sources] == ["B Weekly"]
    assert "Harbor Street bridge" not in (await ask(svc, "latest Harbor bridge Marlow", B)).text

    # the operator's list: every feed, with whose it is
    code, out, _ = await asyncio.to_thread(_cli, svc.settings.db_path, "feeds", "list")
    assert code == 0
    assert "belongs to workspace discord:111" in out and "belongs to workspace discord:222" in out

    # B may follow the address A follows, for itself: A's feed, list and answers stay A's
    a_before = (await ask(svc, "sources storm piers Saltmarsh Bay", A)).text
    again = await ask(svc, f"feeds add {a_url}", B)
    assert again.title == "Feed added", again.text
    assert (await ask(svc, "feeds list", B, manage=False)).title == "Feeds (2)"
    assert (await ask(svc, "feeds list", A, manage=False)).title == "Feeds (1)"
    assert (await ask(svc, "sources storm piers Saltmarsh Bay", A)).text == a_before
    assert "Harbor Street bridge" in (await ask(svc, "latest Harbor bridge Marlow", B)).text
    # the same address twice in one workspace is refused, naming its own feed
    twice = await ask(svc, f"feeds add {a_url}", B)
    assert twice.kind == "error" and twice.text.startswith("Already following that feed as 3")
    # the operator, naming that address, is asked which of the two feeds
    code, _, err = await asyncio.to_thread(_cli, svc.settings.db_path, "feeds", "remove", a_url)
    assert code == 1 and "2 feeds follow that address (numbers 1, 3)" in err


async def test_a_is_answered_the_same_whether_or_not_b_follows_a_feed(make, server):
    a_url, b_url = serve_feeds(server)
    both, alone = make("both"), make("alone")
    assert (await ask(both, f"feeds add {b_url}", B)).title == "Feed added"  # B's first
    for svc in (both, alone):
        assert (await ask(svc, f"feeds add {a_url}", A)).title == "Feed added"
    for question in ("latest storm piers", "sources Saltmarsh Bay piers", "who Lena Kovacs",
                     "timeline Harbor bridge", "latest drought", "who Tomas Varga",
                     "latest Westbrook robotics", "digest", "entities"):
        seen = [(await ask(svc, question, A)).cleaned().as_json() for svc in (both, alone)]
        for reply in seen:
            for source in reply["sources"]:
                source.pop("article_id")
        assert seen[0] == seen[1], question
    assert (await ask(both, "latest drought", A)).kind == "no_coverage"
    assert (await ask(both, "latest drought", B)).kind != "no_coverage"


async def test_an_ingest_from_chat_belongs_to_its_workspace(make, server):
    svc = make("ingest")
    title, text = STORIES["mill"]
    server.pages["/mill"] = Page(article_page(title, text, publisher="Ashby Courier"))
    done = await ask(svc, f"ingest {server.url('/mill', host='127.0.0.1')}", A)
    assert done.title == "Article ingested", done.text
    assert (await ask(svc, "latest textile mill", A)).kind == "answer"
    assert (await ask(svc, "latest textile mill", B)).kind == "no_coverage"
    assert (await ask(svc, "latest textile mill", None)).kind == "no_coverage"


def _cli(db, *args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--db", str(db), "--env-file", "/nonexistent/.env", *args])
    return code, out.getvalue(), err.getvalue()


def test_the_cli_answers_as_a_workspace_sees_it(tmp_path, fast_env, fast_encoder, blank_nlp):
    db = tmp_path / "cli.db"
    index = Index(db, encoder=fast_encoder, nlp=blank_nlp)
    title, text = STORIES["bridge"]
    index.add(Article(title=title, text=text, publisher="Marlow Herald", origin="bridge",
                      published=NOW, workspace="discord:111"))
    index.close()
    code, out, _ = _cli(db, "latest", "Harbor bridge", "--workspace", "discord:111",
                        "--json")
    assert code == 0 and json.loads(out)["kind"] == "answer"
    assert json.loads(out)["sources"][0]["publisher"] == "Marlow Herald"
    _, out, _ = _cli(db, "latest", "Harbor bridge", "--json")  # the base corpus
    assert json.loads(out)["kind"] == "no_coverage"
    _, out, _ = _cli(db, "entities", "--workspace", "discord:111", "--json")
    assert "Elena Fischer" in {e["name"] for e in json.loads(out)}
    _, out, _ = _cli(db, "entities", "--json")
    assert "Elena Fischer" not in {e["name"] for e in json.loads(out)}
    code, _, err = _cli(db, "ask", "latest Harbor bridge", "--workspace", "discord:abc")
    assert code == 1
    assert err.strip() == ("briefbot: error: --workspace: 'discord:abc' is not a server id such "
                           "as discord:123456789012345678")


def test_subscriptions_from_before_owners_name_their_workspace_as_an_owner(tmp_path):
    """Digest subscriptions stored a bare server or team id; they now hold the owner string
    that their digests' scope and the index's rows use."""
    from bot.digests.store import STEPS, DigestStore

    db = tmp_path / "subs.db"
    store = DigestStore(db)
    conn = store.db.conn
    with conn:
        for platform, channel, workspace in (("discord", "c1", "111"), ("slack", "C2", "T0ABC"),
                                             ("discord", "d1", ""), ("slack", "C3", "slack:T9")):
            conn.execute("INSERT INTO digest_subscriptions(platform, channel_id, workspace, time, "
                         "tz, active_since, updated_at) VALUES (?, ?, ?, '08:00', 'UTC', ?, ?)",
                         [platform, channel, workspace, NOW.isoformat(), NOW.isoformat()])
        conn.execute("UPDATE schema_versions SET version = ? WHERE component = 'digests'",
                     [len(STEPS) - 1])
    store.close()
    store = DigestStore(db)
    try:
        assert {(s.channel_id, s.workspace) for s in store.subscriptions()} == {
            ("c1", "discord:111"), ("C2", "slack:T0ABC"), ("d1", ""), ("C3", "slack:T9")}
    finally:
        store.close()


def test_feeds_from_before_owners_keep_their_items_and_become_the_operators(tmp_path):
    """Step 5 rebuilds the three feed tables (a URL becomes unique per owner): nothing
    followed or seen before is lost, and the old feed is the operator's."""
    from datetime import UTC, datetime

    from bot.feeds import store as feeds
    from bot.index.db import connect, migrate

    path = tmp_path / "old.db"
    db = connect(path)
    migrate(db, "feeds", feeds.STEPS[:4])
    db.conn.execute("INSERT INTO feeds(url, added_at) VALUES ('http://news.test/rss', '2026-01-01')")
    db.conn.execute("INSERT INTO feed_items(feed_id, guid, outcome, seen_at) "
                    "VALUES (1, 'g1', 'stored', '2026-01-01')")
    db.conn.execute("INSERT INTO feed_item_keys(key, item_id) VALUES ('guid:g1', 1)")
    db.close()

    with feeds.FeedStore.open(path) as store:
        [old] = store.all()
        assert (old.url, old.workspace, old.item_count) == ("http://news.test/rss", "", 1)
        assert store.seen(["guid:g1"], "") and not store.seen(["guid:g1"], "discord:9")
        mine = store.add("http://news.test/rss", title="", site_url=None, added_by="u",
                         now=datetime(2026, 2, 1, tzinfo=UTC), workspace="discord:9")
        assert mine.id != old.id and [f.id for f in store.by_url(old.url)] == [old.id, mine.id]
        fk = store.db.conn.execute("PRAGMA foreign_key_check").fetchall()
        assert fk == []
