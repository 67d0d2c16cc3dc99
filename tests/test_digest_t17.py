"""Novelty on real news: three consecutive days of Timeline17 articles (BP oil spill, Michael
Jackson), one digest a day. Read from ../shared/eval at run time; skipped when absent."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime

import pytest
from digest_fakes import ManualClock, RecordingPoster, make_services

from bot.digests.manage import subscribe
from bot.digests.runner import DigestRunner
from bot.digests.store import DigestStore
from bot.ingest.model import Article
from summarizer.filters import junk_reason
from summarizer.lexical import dangles
from summarizer.sentences import split_sentences

T17 = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "eval" / "t17" / \
    "t17_articles.jsonl"
DAYS = ("2010-06-14", "2010-06-15", "2010-06-16")
PER_DAY = 4
SENTENCES = 10

_PTB = [(" -LRB- ", " ("), (" -RRB-", ")"), ("`` ", '"'), (" ''", '"'), (" 's", "'s"),
        (" n't", "n't"), (" ,", ","), (" .", "."), (" ;", ";"), (" :", ":"), (" ?", "?"),
        ("\\/", "/"), ("$ ", "$")]


def detokenize(text: str) -> str:
    for a, b in _PTB:
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text).strip()


def load_days() -> list[list[Article]]:
    if not T17.is_file():
        pytest.skip(f"{T17} not present")
    rows = [json.loads(line) for line in T17.open(encoding="utf-8")]
    days = []
    for day in DAYS:
        picked, publishers = [], set()
        for r in rows:  # one article per publisher a day, the first in file order
            source = r["topic"].split("_")[-1]
            if r["date"][:10] != day or not r["topic"].startswith(("bpoil", "MJ")):
                continue
            if source in publishers or len(picked) >= PER_DAY:
                continue
            sentences = split_sentences(detokenize(r["article"]))[:SENTENCES]
            if len(sentences) < 4:
                continue
            publishers.add(source)
            picked.append(Article(
                title=" ".join(sentences[0].split()[:14]), text="\n".join(sentences[1:]),
                publisher=source.upper(), origin=f"t17/{r['id']}", date_source="metadata",
                published=datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)))
        days.append(picked)
    return days


@pytest.fixture(scope="module")
def digests(tmp_path_factory, encoder):
    days = load_days()
    path = tmp_path_factory.mktemp("t17") / "bot.db"
    clock = ManualClock(datetime(2010, 6, 13, 12, tzinfo=UTC))
    services = make_services(path, encoder, clock)
    store = DigestStore(path)
    subscribe(store, "slack", "C1", "23:00", "UTC", None, False, settings=services.settings,
              now=clock())
    runner = DigestRunner(services, store, {"slack": RecordingPoster()})
    out = []
    for day, batch in zip(DAYS, days):
        services.index.add_many(batch)
        told_before = store.told("slack", "C1").article_ids
        clock.set(datetime.fromisoformat(day).replace(hour=23, minute=1, tzinfo=UTC))
        outcome = asyncio.run(runner.run_due("slack", "C1"))
        assert outcome.status == "sent"
        out.append((outcome.reply, told_before))
    yield out
    services.index.close()


def quoted(section) -> list[str]:
    """The cited sentences of a card, as a reader sees them."""
    return [c.text for p in section.paragraphs for c in p if c.refs]


def test_later_days_never_repeat_a_sentence_already_shown(digests):
    shown: set[str] = set()
    for reply, _ in digests:
        assert reply.kind != "empty" or shown, "day 1 has news"
        for section in reply.sections:
            for sentence in quoted(section):
                assert sentence not in shown, sentence
        shown |= {s for section in reply.sections for s in quoted(section)}


def test_a_story_the_channel_was_told_comes_back_only_as_an_update(digests):
    updates = 0
    for reply, told_before in digests[1:]:
        cited = {src.n: src.article_id for src in reply.sources}
        for section in reply.sections:
            for n in re.findall(r"\[(\d+)\]", section.body):
                assert cited[int(n)] not in told_before  # new sentences come from new articles
            listed = {cited[int(n)] for n in re.findall(r"\[(\d+)\]", section.body)}
            if listed & told_before:
                assert section.heading.startswith("Update: "), section.heading
            updates += section.heading.startswith("Update: ")
    assert updates >= 1  # the oil spill is a running story: it moved on


def test_each_new_story_is_a_card_of_whole_sentences_and_its_outlets(digests):
    cards = 0
    for reply, _ in digests:
        by_n = {src.n: src for src in reply.sources}
        for section in reply.sections:
            claims, (note,) = section.paragraphs[0], section.paragraphs[-1]
            assert all(c.refs for c in claims) and not note.refs
            for claim in claims:  # never a subheading, a dangling "He said..." or a quote piece
                assert junk_reason(claim.text) is None and not dangles(claim.text), claim.text
            m = re.fullmatch(r"Carried by (\d+) outlets?: (.+?)(?: and (\d+) more)?\.", note.text)
            assert m, note.text
            count, named = int(m.group(1)), m.group(2).split(", ")
            assert count == len(set(named)) + int(m.group(3) or 0)
            cited_outlets = {by_n[n].publisher for c in claims for n in c.refs}
            assert cited_outlets <= set(named) or count > len(named), (cited_outlets, named)
            if not section.heading.startswith("Update: "):
                assert 2 <= len(claims) <= 3, section.body
                cards += 1
            else:
                assert 1 <= len(claims) <= 3, section.body
    assert cards >= 2
