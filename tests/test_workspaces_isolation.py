"""Workspaces kept apart (issue 12): what workspace A sees never depends on workspace B.

The criterion: A's outputs are exactly the same whether or not B's stories were ingested,
for latest, sources, timeline, who, says, entities, digests and no-coverage suggestions,
hostile topics included. Each build is a real SQLite file written by the real ingest
(the fast encoder and the tokenizer-only spaCy pipeline: rule-found people, rule-found
events), read through the real commands as a Discord server's channel asks them.
Article ids are numbered in the order stories arrive, so B's stories shift A's ids:
answers are compared with `article_id` left out of the sources, and everything else kept.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from bot.digests.compose import channel_digest
from bot.digests.store import DigestStore, Subscription
from bot.index.backend import DatabaseUrl
from bot.index.store import Index
from bot.ingest.model import Article
from bot.registry import load_commands
from bot.services import Services
from bot.workspaces import Scope
from conftest import make_settings
from summarizer import make_summarizer

A, B = "discord:111", "discord:222"
GUILD = {A: "111", B: "222"}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

#: (owner, key) -> (title, text, hours before NOW). Names and events overlap on purpose:
#: B's stories name the base corpus's people and events, A's people, and repeat stories
#: that the base corpus and A also carry, so any leak would change what A is told.
STORIES: dict[tuple[str, str], tuple[str, str, int]] = {
    ("", "summit"): ("Leaders meet at Budapest summit",
                     "President Jane Roe met Prime Minister Karl Brandt at the Budapest summit on "
                     "Monday. Roe said the talks on grain exports were useful and would continue "
                     "in spring.\nThe summit in Budapest ended with a joint statement on trade "
                     "routes through the Danube ports.", 30),
    ("", "drought"): ("Drought forces water limits in valley towns",
                      "Five towns in the Keller Valley will limit garden watering to two evenings "
                      "a week, as reservoir levels fell to their lowest point in three decades.\n"
                      "Hydrologist Tomas Varga said an ordinary winter would refill the "
                      "reservoirs only halfway.", 28),
    ("", "shared"): ("Storm damages coastal piers along the bay",
                     "A storm with winds of one hundred and twenty kilometres an hour damaged "
                     "three piers along Saltmarsh Bay overnight, the coast guard said. No one "
                     "was hurt, but two fishing boats sank at their moorings.\nHarbour master "
                     "Lena Kovacs said the main pier would stay closed for at least a month.", 26),
    (A, "port"): ("Roe visits the port of Marlow",
                  "President Jane Roe visited the port of Marlow on Tuesday and promised new "
                  "cranes for the container terminal.\nMayor Elena Fischer welcomed the visit "
                  "and said the harbour would hire two hundred workers.", 20),
    (A, "summit2"): ("Budapest summit leaves grain deal open",
                     "Officials said the Budapest summit left the grain deal open, and Prime "
                     "Minister Karl Brandt will call President Jane Roe next week.\nFarmers "
                     "along the Danube waited for news of the export quotas.", 18),
    (A, "shared"): ("", "", 0),  # set below: the base corpus's storm story, in A's feed too
    (A, "buses"): ("Council approves eleven new bus routes",
                   "The Dunmore city council voted to create eleven new bus routes serving the "
                   "eastern districts.\nCouncillor Ravi Menon, who proposed the routes, said "
                   "buses will run every twelve minutes at peak hours.", 16),
    (A, "pair"): ("Museum acquires a rare collection of sea charts",
                  "The Port Alder maritime museum has bought two hundred hand drawn sea charts "
                  "from the eighteenth century.\nDirector Samuel Okafor said the museum raised "
                  "the price through a public appeal that drew four thousand donors.", 14),
    (B, "alaska"): ("Brandt praises the Alaska summit",
                    "Prime Minister Karl Brandt said the Alaska summit was a turning point for "
                    "Arctic shipping.\nSenator Paul Lind said the summit in Alaska achieved "
                    "little and that Governor Jane Roe of the northern province disagreed.", 12),
    (B, "budapest"): ("Budapest summit protesters clash with police",
                      "Protesters clashed with police outside the Budapest talks on Monday "
                      "night.\nActivist Mara Quist said the meeting in Budapest ignored river "
                      "pollution, and Minister Jane Roe declined to comment on the Budapest "
                      "meeting.", 10),
    (B, "shared"): ("", "", 0),  # set below: the same storm story again
    (B, "menon"): ("Menon resigns from the transit board",
                   "Councillor Ravi Menon resigned from the transit board on Friday after a "
                   "dispute over depot repairs.\nBoard chair Hanna Berg said Menon had served "
                   "for six years.", 8),
    (B, "pair"): ("", "", 0),  # set below: A's museum story, in B's feed too
}
for owner in (A, B):
    STORIES[(owner, "shared")] = STORIES[("", "shared")]
STORIES[(B, "pair")] = STORIES[(A, "pair")]

OPS = list(STORIES)
B_ONLY = ["Paul Lind", "Mara Quist", "Hanna Berg", "Alaska summit", "Arctic", "protesters",
          "Menon resigns", "B Gazette"]

#: What A's channel asks: every topic command, on shared, own and B-only topics, hostile ones
#: (FTS5 syntax, mass mentions, empty, oversize) and misspellings that ask for suggestions.
QUESTIONS = [
    "latest Budapest summit", "sources Budapest summit", "timeline Budapest summit",
    "who Jane Roe", "who Karl Brandt", "says Roe", "latest Ravi Menon", "who Ravi Menon",
    "sources storm piers", "latest Saltmarsh Bay", "timeline Jane Roe",
    "latest Alaska summit", "who Paul Lind", "latest Budapst sumit", "latest Menn",
    'latest "Budapest" NEAR(summit, 2) OR roe*', "latest @everyone", "latest <!channel>",
    "latest <@U123> <#C1|general>", "sources ", "latest " + "Roe " * 70, "digest",
]


def _article(owner: str, key: str) -> Article:
    title, text, hours = STORIES[(owner, key)]
    who = {"": "Base", A: "A", B: "B"}[owner]
    return Article(title=title, text=text, publisher=f"{who} Gazette",
                   published=NOW - timedelta(hours=hours), url=f"http://news.test/{who}/{key}",
                   origin=f"{who}/{key}", keys=[f"guid:{key}"], workspace=owner,
                   date_source="metadata")


def _services(path: Path | DatabaseUrl, fast_encoder, blank_nlp) -> Services:
    """Services on a SQLite file, or on PostgreSQL for a DatabaseUrl."""
    from summarizer.embeddings import EncoderBackend

    if isinstance(path, DatabaseUrl):
        settings = make_settings(Path(os.devnull), encoder=EncoderBackend.HASHING,
                                 database_url=path)
    else:
        settings = make_settings(path, encoder=EncoderBackend.HASHING)
    index = Index(settings.database, settings, encoder=fast_encoder, nlp=blank_nlp)
    svc = Services(settings=settings, index=index, summarizer=make_summarizer(settings, fast_encoder),
                   registry=load_commands())
    svc.clock = lambda: NOW
    return svc


def build(path: Path | DatabaseUrl, ops: list[tuple[str, str]], fast_encoder, blank_nlp) -> Services:
    """A fresh database with these stories ingested one by one, in this order."""
    svc = _services(path, fast_encoder, blank_nlp)
    for owner, key in ops:
        svc.index.add(_article(owner, key))
    return svc


async def _ask(svc: Services, text: str, owner: str, *, user: str = "u1",
               direct: bool = False) -> dict:
    extra = {} if direct or not owner else {"guild_id": GUILD[owner]}
    req = svc.registry.parse(text, platform="discord", user_id=user, channel_id="c1",
                             is_direct=direct, extra=extra)
    reply = await svc.registry.dispatch(req, svc)
    return reply.cleaned().as_json()


def seen_by(svc: Services, owner: str) -> dict:
    """Everything A (or the base corpus) is shown, as a user reads it; article ids left out."""
    async def answers() -> dict:
        return {q: await _ask(svc, q, owner) for q in QUESTIONS}

    out = asyncio.run(answers())
    for reply in out.values():
        for source in reply["sources"]:
            source.pop("article_id")
    scope = Scope.of(owner)
    out["entities"] = [(e.name, e.type, e.aliases, len(e.article_ids), e.mentions)
                       for e in svc.index.entities(scope=scope)]
    out["events"] = [(e.name, e.aliases, len(e.article_ids)) for e in svc.index.events(scope=scope)]
    store = DigestStore(svc.settings.database)
    try:
        sub = Subscription(platform="discord", channel_id="c1", time="08:00", tz="UTC",
                           workspace=owner)
        draft = channel_digest(svc, store, sub, NOW)
    finally:
        store.close()
    digest = draft.reply.cleaned().as_json()
    for source in digest["sources"]:
        source.pop("article_id")
    out["channel digest"] = digest
    return out


def shown_from_index(seen: dict) -> str:
    """What the index told: sources, quoted sentences, entities, events and suggested names
    (not the user's own question echoed back in "No coverage of …")."""
    parts = [json.dumps([seen["entities"], seen["events"]])]
    for reply in seen.values():
        if not isinstance(reply, dict):
            continue
        parts.append(json.dumps(reply["sources"], ensure_ascii=False))
        for section in reply["sections"]:
            for paragraph in section["paragraphs"]:
                for claim in paragraph:
                    text = claim["text"]
                    if reply["kind"] == "no_coverage":
                        parts.append(text.partition(" in the articles I have.")[2])
                    elif claim["refs"]:
                        parts.append(text)
    return "\n".join(parts)


def without(ops: list[tuple[str, str]], *owners: str) -> list[tuple[str, str]]:
    return [op for op in ops if op[0] not in owners]


def _close(*services: Services) -> None:
    for svc in services:
        svc.close()


def test_a_sees_the_same_with_or_without_b_in_story_order(databases, fast_encoder, blank_nlp):
    """The fixed order first: every B story arrives before A's and the base corpus's.
    On both backends (SQLite, PostgreSQL)."""
    ops = without(OPS, A, "") + without(OPS, B)
    full = build(databases("full"), ops, fast_encoder, blank_nlp)
    alone = build(databases("alone"), without(ops, B), fast_encoder, blank_nlp)
    try:
        with_b, without_b = seen_by(full, A), seen_by(alone, A)
        assert with_b == without_b
        text = shown_from_index(with_b)
        for leak in B_ONLY:
            assert leak not in text, leak
        # not vacuous: A is answered from its own and the base corpus's stories...
        assert with_b["latest Budapest summit"]["kind"] == "answer"
        listed = with_b["sources Budapest summit"]
        assert {s["publisher"] for s in listed["sources"]} == {"Base Gazette", "A Gazette"}
        assert "Elena Fischer" in json.dumps(with_b["entities"])
        assert with_b["latest Alaska summit"]["kind"] == "no_coverage"
        # ...and B, asking the same, is told about its own
        b_sees = json.dumps(seen_by(full, B), ensure_ascii=False)
        assert "Paul Lind" in b_sees and "B Gazette" in b_sees and "Elena Fischer" not in b_sees
    finally:
        _close(full, alone)


def test_the_base_corpus_sees_no_workspace(databases, fast_encoder, blank_nlp):
    full = build(databases("full"), OPS, fast_encoder, blank_nlp)
    base = build(databases("base"), without(OPS, A, B), fast_encoder, blank_nlp)
    try:
        assert seen_by(full, "") == seen_by(base, "")
    finally:
        _close(full, base)


@hsettings(max_examples=12, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(order=st.permutations(OPS))
def test_any_interleaving_of_b_changes_nothing_for_a(tmp_path_factory, fast_encoder, blank_nlp,
                                                      order):
    """Whatever order base, A and B stories arrive in, dropping B's leaves A's view as it is."""
    where = tmp_path_factory.mktemp("order")
    full = build(where / "full.db", list(order), fast_encoder, blank_nlp)
    alone = build(where / "alone.db", without(list(order), B), fast_encoder, blank_nlp)
    try:
        assert seen_by(full, A) == seen_by(alone, A)
    finally:
        _close(full, alone)


def test_a_direct_message_sees_the_workspaces_its_user_used(databases, fast_encoder, blank_nlp):
    svc = build(databases("dm"), OPS, fast_encoder, blank_nlp)
    try:
        async def run() -> tuple[dict, dict, dict]:
            before = await _ask(svc, "who Elena Fischer", "", user="u7", direct=True)
            await _ask(svc, "help", A, user="u7")  # u7 uses the bot in A's server once
            after = await _ask(svc, "who Elena Fischer", "", user="u7", direct=True)
            stranger = await _ask(svc, "who Elena Fischer", "", user="u8", direct=True)
            return before, after, stranger
        before, after, stranger = asyncio.run(run())
        assert before["kind"] == "no_coverage" and stranger["kind"] == "no_coverage"
        assert after["kind"] == "answer" and "Elena Fischer" in after["text"]
        assert "B Gazette" not in json.dumps(after)  # never B's: u7 has not used B's server
        assert svc.members.workspaces("discord", "u7") == [A]
    finally:
        svc.close()


@pytest.mark.parametrize("hostile", ["", " ", "'", '"', "NEAR(", "*", "@everyone",
                                     "<!channel>", "x" * 5000, "Roe AND", "\x00"])
def test_hostile_topics_read_within_scope(databases, fast_encoder, blank_nlp, hostile):
    svc = build(databases("h"), OPS, fast_encoder, blank_nlp)
    try:
        scope = Scope.of(A)
        found = svc.index.search(hostile, scope=scope) + svc.index.resolve_topic(
            hostile, scope=scope).article_ids
        owners = {svc.index.conn.execute("SELECT ws FROM articles WHERE id = ?", [i]).fetchone()[0]
                  for i in found}
        assert owners <= {"", A}
        assert not set(svc.index.suggest(hostile, 5, scope=scope)) & set(B_ONLY)
        assert not set(svc.index.most_covered(5, scope=scope)) & set(B_ONLY)
    finally:
        svc.close()


def test_an_index_from_before_owners_is_upgraded_with_every_row_base(seeded_db, tmp_path):
    """An existing database gains owners with everything the base corpus's, and answers
    the base corpus's questions exactly as before."""
    import shutil

    from bot.index.schema import STEPS, _v9_owners
    from schema_history import undo_owners

    path = tmp_path / "old.db"
    shutil.copy(seeded_db, path)
    index = Index(path)

    def view(ix: Index) -> tuple:
        return ([(e.name, e.type, e.aliases, e.article_ids, e.mentions) for e in ix.entities()],
                [(e.name, e.aliases, e.article_ids) for e in ix.events()],
                ix.resolve_topic("Budapest summit").about_ids, ix.suggest("Witkof"))
    before = view(index)
    undo_owners(index.conn)
    index.conn.execute("UPDATE schema_versions SET version = ? WHERE component = 'index'",
                       [STEPS.index(_v9_owners)])
    index.close()
    reopened = Index(path)
    try:
        assert view(reopened) == before and before[0] and before[2]
        for table in ("articles", "article_sources", "entities", "events", "entity_aliases"):
            assert reopened.conn.execute(f"SELECT DISTINCT ws FROM {table}").fetchall() == [("",)]
    finally:
        reopened.close()


@given(guild=st.one_of(st.none(), st.text(max_size=30), st.integers(-5, 10**20)),
       platform=st.sampled_from(["discord", "slack", "console", "test", "web"]),
       direct=st.booleans())
def test_a_request_scope_always_holds_the_base_corpus_and_at_most_its_own_workspace(
        guild, platform, direct):
    """Whatever an adapter puts in a request, its scope is the base corpus plus at most the
    one workspace it names (no DMs recorded here: the member store is empty)."""
    from bot.core import Request
    from bot.scopes import scope_for, workspace_of

    class NoMembers:
        def record(self, *args) -> None:
            pass

        def workspaces(self, *args) -> list[str]:
            return []

    class Fake:
        members = NoMembers()

        @staticmethod
        def clock() -> datetime:
            return NOW

    key = "team_id" if platform == "slack" else "guild_id"
    req = Request(command="latest", text="x", platform=platform, user_id="u", is_direct=direct,
                  extra={key: guild})
    scope = scope_for(req, Fake())  # type: ignore[arg-type]
    owner = workspace_of(req)
    assert "" in scope and scope.owners[0] == ""
    assert scope.workspaces <= {owner}
    assert scope.sql("ws") == (f"ws IN ({','.join('?' * len(scope.owners))})", list(scope.owners))
    assert owner == "" or owner.startswith(f"{platform}:")
