"""Writing a digest: the period's stories as one Section each, every sentence cited.

Two kinds:
- `channel_digest`: what a subscribed channel has not been told since its last
  digest (novelty applied, followed topics first); what it tells is recorded by
  the runner once it is posted.
- `period_digest`: the plain `digest` command (CLI and chat): the period's top
  stories, no memory of earlier digests.

Each story is a card (summarizer/cards.py): its headline, two or three cited
sentences that read on their own (what happened, where and when, what it means),
and how many outlets carried it. An "Update:" to a story a channel was told shows
only its new sentences.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.citations import Citations
from bot.core import Claim, Reply, ReplyKind, Section
from bot.digests.novelty import Item, plan_items
from bot.digests.stories import entity_weights, group_stories, rank_stories
from bot.digests.store import DigestStore, Subscription
from bot.digests.timing import zone
from summarizer.cards import story_card

#: The first digest of a channel (and the plain `digest`) covers this much.
PERIOD = timedelta(hours=24)
#: A channel silent for long gets at most this much news at once.
LOOKBACK = timedelta(days=7)
#: Told stories are remembered this long when deciding what is an update.
MEMORY = timedelta(days=14)
#: Outlets named on a card's "Carried by" line; the rest are counted.
MAX_SOURCES = 4
#: Stories in the plain `digest`.
PERIOD_STORIES = 10


@dataclass(frozen=True, slots=True)
class Draft:
    """A composed channel digest and what it would tell the channel if posted."""

    reply: Reply
    empty: bool
    period: tuple[datetime, datetime]
    told_articles: frozenset[int]
    shown_sentences: tuple[tuple[int, int], ...]  # (sentence id, article id)


def _by_article(sentences: Sequence) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for s in sentences:
        out[s.article_id].append(s)
    return out


def _local(dt: datetime, tz: str) -> str:
    return dt.astimezone(zone(tz)).strftime("%d %b %H:%M")


def channel_bounds(now: datetime, last) -> tuple[datetime, datetime]:
    """(start of the period by article date, start by ingest wall time) for a channel whose
    last digest is `last`."""
    wall_now = datetime.now(UTC)
    if last is not None and last.period_end is not None:
        return max(last.period_end, now - LOOKBACK), last.wall_sent_at or wall_now
    return now - PERIOD, wall_now - PERIOD


def channel_window(rows: Sequence, now: datetime, start: datetime,
                   since_wall: datetime) -> list:
    """The articles in a channel's period (its `channel_bounds`).

    Dated articles count by their date; an article ingested after the last digest
    counts too (late news, undated news), unless its date is older than LOOKBACK.
    """
    chosen = []
    for r in rows:
        t = r.published
        if t is not None and t > now:
            continue  # not yet, on this clock
        if (t is not None and t > start) or (
                r.added_at > since_wall and (t is None or t > now - LOOKBACK)):
            chosen.append(r)
    return chosen


def channel_digest(services, store: DigestStore, sub: Subscription, now: datetime) -> Draft:
    """What this channel should be told now (not recorded: the runner does that once posted),
    drawn only from what the channel's workspace sees (bot.scopes)."""
    from bot.scopes import scope_of_subscription

    index = services.index.scoped(scope_of_subscription(sub, services))
    last = store.last_delivered(sub.platform, sub.channel_id)
    start, since_wall = channel_bounds(now, last)
    # only the period's articles are read, never the whole archive
    candidates = index.articles_in_window(published_after=min(start, now - LOOKBACK),
                                          published_until=now, added_after=since_wall)
    window = channel_window(candidates, now, start, since_wall)
    told = store.told(sub.platform, sub.channel_id, since=now - MEMORY)
    new = [r for r in window if r.id not in told.article_ids]
    context = index.articles(sorted(told.article_ids))
    title = (f"Digest · {now.astimezone(zone(sub.tz)):%a %d %b %Y} · new since "
             f"{_local(start, sub.tz)} ({sub.tz})")
    items: list[Item] = []
    by_article: dict[int, list] = {}
    if new:
        rows = new + context
        by_article = _by_article(index.sentences([r.id for r in rows]))
        stories = group_stories(index, rows, by_article)
        new_ids = {r.id for r in new}
        _mark_followed(index, stories, sub.topics, new_ids)
        ranked = rank_stories(stories, now, entity_weights(index, {r.id for r in rows}))
        known = [s for r in context for s in by_article.get(r.id, [])]
        items = plan_items(ranked, new_ids=new_ids, told_ids=set(told.article_ids),
                           sentences_by_article=by_article, known=known,
                           summarizer=services.summarizer)
    if not items:
        since = f"your last digest ({_local(start, sub.tz)})" if last else f"{_local(start, sub.tz)}"
        reply = Reply.plain(f"Nothing new since {since}.", title=title, kind=ReplyKind.EMPTY)
        return Draft(reply, True, (start, now), frozenset(), ())
    reply = _render(index, items, title)
    told_now = frozenset(a for it in items for a in it.story.article_ids)
    shown = tuple((s.id, s.article_id) for it in items for s in it.sentences)
    return Draft(reply, False, (start, now), told_now, shown)


def _mark_followed(index, stories, topics: Sequence[str], new_ids: set[int]) -> None:
    for topic in topics:
        ids = set(index.resolve_topic(topic).article_ids) & new_ids
        for story in stories:
            if story.followed is None and ids & set(story.article_ids):
                story.followed = topic


def _render(index, items: Sequence[Item], title: str) -> Reply:
    """One story card per item: the headline, one paragraph of cited sentences, and an
    uncited line saying how many outlets carried the story."""
    cites = Citations(index)
    sections = []
    for item in items:
        heading = ("Update: " if item.update else "") + item.headline
        if item.followed:
            heading += f" (following: {item.followed})"
        carried = Claim(carried_by(item.story.publishers, len(item.story.articles)))
        sections.append(Section((cites.claims(item.sentences), (carried,)), heading=heading))
    return Reply(sections=tuple(sections), title=title, sources=cites.sources())


def carried_by(names: Sequence[str], articles: int) -> str:
    """The note under a card: "Carried by 3 outlets: Reuters, BBC, AP." (the first few named,
    the rest counted)."""
    if not names:
        return f"From {articles} {'article' if articles == 1 else 'articles'}; no outlet named."
    listed = ", ".join(names[:MAX_SOURCES])
    rest = len(names) - MAX_SOURCES
    more = f" and {rest} more" if rest > 0 else ""
    return f"Carried by {len(names)} {'outlet' if len(names) == 1 else 'outlets'}: {listed}{more}."


def period_window(index, now: datetime) -> tuple[datetime, datetime, list, bool]:
    """(start, end, articles, latest): the last 24 h, else the 24 h up to the newest article."""
    start, end = now - PERIOD, now
    wall_since = datetime.now(UTC) - PERIOD
    rows = index.articles_in_window(published_after=start, published_until=now,
                                    added_after=wall_since)
    chosen = [r for r in rows if (r.published is not None and start < r.published <= now)
              or (r.published is None and r.added_at > wall_since)]
    newest = None if chosen else index.newest_published(now)
    if newest is None:
        return start, end, chosen, True
    end, start = newest, newest - PERIOD
    rows = index.articles_in_window(published_after=start, published_until=end, added_after=None)
    return start, end, [r for r in rows if r.published is not None], False


def _period_title(start: datetime, end: datetime, latest: bool) -> str:
    if latest:
        return f"Top stories of the last 24 hours ({start:%d %b %H:%M} – {end:%d %b %Y %H:%M} UTC)"
    if (end.hour, end.minute, end.second) == (0, 0, 0):  # a date without a time of day
        return (f"Top stories of {end:%d %b %Y}, the newest day in the index "
                "(nothing in the last 24 hours)")
    return (f"Top stories of the 24 hours up to the newest article ({start:%d %b %H:%M} – "
            f"{end:%d %b %Y %H:%M} UTC; nothing in the last 24 hours)")


def period_digest(services, now: datetime) -> Reply:
    """The plain `digest`: the period's top stories, one card each."""
    index = services.index
    start, end, rows, latest = period_window(index, now)
    if not rows and index.is_empty():
        return Reply.plain("No articles yet: run `briefbot ingest PATH` first.",
                           title="Digest", kind=ReplyKind.EMPTY)
    title = _period_title(start, end, latest)
    if not rows:
        return Reply.plain("No articles in this period.", title=title, kind=ReplyKind.EMPTY)
    by_article = _by_article(index.sentences([r.id for r in rows]))
    ranked = rank_stories(group_stories(index, rows, by_article), end,
                          entity_weights(index, {r.id for r in rows}))
    items = []
    for story in ranked[:PERIOD_STORIES]:
        rep = story.representative()
        others = [a for a in story.articles if a.id != rep.id]
        card = story_card(by_article.get(a.id, []) for a in [rep, *others])
        if card:
            items.append(Item(story=story, headline=rep.title or "Untitled", sentences=tuple(card)))
    if not items:
        return Reply.plain(f"The {len(rows)} {'article' if len(rows) == 1 else 'articles'} of this "
                           "period hold only headlines or fragments, no sentence that reads on "
                           "its own.", title=title, kind=ReplyKind.EMPTY)
    return _render(index, items, title)
