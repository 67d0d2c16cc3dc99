"""`latest <topic>`: a short cited briefing on what is newest about a topic."""

from __future__ import annotations

import asyncio

from bot.citations import Citations
from bot.commands._common import (MAX_PASSING, answer_or_decline, naming_claims,
                                  naming_sentence_ids, no_coverage, resolve, tidy_topic)
from bot.core import Reply, Request, Section
from bot.index.rows import Topic
from bot.registry import registry
from bot.services import Services
from summarizer.facets import says_when
from summarizer.filters import is_junk
from summarizer.lexical import content_words, query_overlap
from summarizer.types import Sentence

#: About six or seven news sentences: enough to brief, short enough for chat.
BUDGET_WORDS = 170
#: An event is defined by the articles about it; their headlines say what the story is.
TITLES_IN_QUERY = 5
#: Only the newest articles of a topic feed "latest"; older coverage is for `timeline`.
MAX_ARTICLES = 12
#: Added to an on-topic sentence that says when an event happens (or that no date is set):
#: about a third of the spread between an average and the best on-topic sentence.
WHEN_BONUS = 0.15
#: A free-text topic answers from the sentences using its words when at least this many do.
MIN_NAMED = 3
#: Added to a sentence with every distinctive word of a longer free-text topic: as much
#: as an event's timing sentence gets, so the topic's own sentences lead.
NAMED_BONUS = WHEN_BONUS


@registry.command("latest", "What's new on a topic, person or event, with sources",
                  arg="topic", arg_description="A topic, person or event, e.g. Budapest summit",
                  arg_required=True, usage="latest Budapest summit", windowed=True)
async def latest(req: Request, services: Services) -> Reply:
    topic = await resolve(services, req.text, req.window)
    declined = await asyncio.to_thread(answer_or_decline, services, topic, req.text, req.window)
    if declined is not None:
        return declined
    return await asyncio.to_thread(_brief, services, topic, tidy_topic(req.text))


def story_articles(topic: Topic) -> list[int]:
    """The articles a briefing reads: the most about the topic, newest first within
    each tier of aboutness (see bot/index/aboutness.py), never a passing mention."""
    return topic.about_ids[:MAX_ARTICLES]


def _brief(services: Services, topic: Topic, asked: str) -> Reply:
    index = services.index
    rows = index.articles(story_articles(topic))
    rows.sort(key=lambda r: (r.published is not None, r.published or r.added_at), reverse=True)
    ids = [r.id for r in rows]
    sentences = index.sentences(ids)
    sentences, bonus = _focus(index, topic, sentences, ids, asked)
    query = topic.name if topic.kind in {"event", "entity"} else asked
    if topic.kind == "event":
        # "Budapest summit" alone pulls towards every sentence naming Budapest; the
        # headlines of the event's newest articles widen it to what happened.
        query = ". ".join([query, *(r.title for r in rows[:TITLES_IN_QUERY] if r.title)])
    summary = services.summarizer.summarize(sentences, query=query, budget_words=BUDGET_WORDS,
                                            prefer_recent=True, bonus=bonus)
    cites = Citations(index)
    claims = tuple(cites.claim(s, also=summary.also.get(s.id, ())) for s in summary.sentences)
    if not claims:  # nothing scored as on topic ("WHO" embeds as a question word): where it is named
        claims = tuple(naming_claims(index, cites, topic, ids[:MAX_PASSING]))
    if not claims:  # named only in the headlines: the leads of those articles tell it
        firsts = {s.article_id: s for s in reversed(sentences) if not is_junk(s.text)}
        claims = tuple(cites.claim(firsts[a]) for a in ids[:MAX_PASSING] if a in firsts)
    if not claims:
        return no_coverage(services, asked)
    sources = cites.sources()
    dated = [s.published for s in sources if s.published]
    note = f"From {len(sources)} source{'s' if len(sources) != 1 else ''}"
    if dated:
        note += f", newest {max(dated):%d %b %Y}"
    return Reply(title=f"Latest on {topic.name}", sections=(Section.cited(claims, heading=note + "."),),
                 sources=sources)


def _focus(index, topic, sentences: list[Sentence], ids: list[int],
           asked: str) -> tuple[list[Sentence], dict[int, float]]:
    """What a briefing on this kind of topic is about: (candidate sentences, bonus per id)."""
    if topic.kind == "entity":
        # "Latest on Zelensky" is what he did and said: the sentences that name him, not
        # the lead of every story he appears in.
        named = naming_sentence_ids(index, topic, ids)
        return [s for s in sentences if s.id in named] or sentences, {}
    if topic.kind == "text" and len(content_words(asked)) == 1:
        # "any news on Tomahawk": the sentences that say "Tomahawk", when there are enough.
        # A longer topic ("the Russian drone that crashed in Poland") is told by sentences
        # that need not repeat its words ("it had a Chinese engine").
        overlap = query_overlap(asked, [s.text for s in sentences])
        using = [s for s, o in zip(sentences, overlap, strict=True) if o >= 0.5]
        return (using if len(using) >= MIN_NAMED else sentences), {}
    if topic.kind == "text":
        # "updates on Tomahawk missiles": the sentences with the topic's distinctive words
        # ("Tomahawk") come first, but others may still tell the story.
        named = naming_sentence_ids(index, topic, ids)
        return sentences, {s.id: NAMED_BONUS for s in sentences if s.id in named}
    if topic.kind == "event":
        return sentences, {s.id: WHEN_BONUS for s in sentences if says_when(s.text)}
    return sentences, {}
