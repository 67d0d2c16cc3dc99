"""What each page shows, gathered from the index and the stores, built with bot.web.html.

The plain functions are blocking (SQLite) and the app calls them from a worker thread;
the async ones answer through the command registry, which does its own offloading.
None of them writes anything.
"""

from __future__ import annotations

import asyncio
from bot.charts import ChartFormat, alt_text, coverage, draw
from bot.core import Reply, ReplyKind, Request
from bot.digests.manage import next_digest, open_store, status_line
from bot.feeds.store import FeedStore
from bot.index.rows import Topic
from bot.redact import redact_urls
from bot.services import Services
from bot.web import html

#: The busiest people and events linked from the overview.
TOP_TOPICS = 12
#: Digests listed as delivered on the overview.
RECENT_DIGESTS = 10


def overview(services: Services) -> str:
    index = services.index
    stats = index.stats()
    now = services.clock()
    with FeedStore.open(services.settings.database) as feeds_store:
        feeds = feeds_store.all()
    paused = sum(1 for f in feeds if f.paused)
    failing = sum(1 for f in feeds if not f.paused and f.failures)
    numbers = [("articles", stats.articles), ("sources", stats.publishers),
               ("people, places, organisations", stats.entities), ("events", stats.events),
               ("feeds healthy", len(feeds) - paused - failing), ("feeds paused", paused)]
    parts = [html.card("The index", '<div class="stats">' + "".join(
        f'<div><div class="num" data-stat="{html.line(label)}">{n:,}</div>{html.line(label)}</div>'
        for label, n in numbers) + "</div>"
        + (f"<p>Newest article: {html.when(stats.newest, '%d %b %Y')}</p>" if stats.newest else ""))]
    topics = index.most_covered(TOP_TOPICS)
    if topics:
        parts.append(html.card("Most covered", "<p>" + " · ".join(
            html.internal("/topic", name, q=name) for name in topics) + "</p>"))
    with open_store(services) as store:
        subs = store.subscriptions()
        rows = []
        for sub in subs:
            due = next_digest(sub, now)
            rows.append([html.line(sub.platform), html.line(sub.channel_id),
                         html.line(f"{sub.time} {sub.tz}"),
                         html.line(f"{due:%a %d %b %H:%M} {sub.tz}"),
                         html.line(", ".join(sub.topics) or "all news"),
                         html.line(status_line(store, sub))])
        delivered = store.recent_deliveries(RECENT_DIGESTS)
    parts.append(html.card(
        f"Daily digests ({len(subs)})",
        html.table(["platform", "channel", "at", "next digest (local)", "topics", "last result"],
                   rows) if rows else "<p>No channel has subscribed yet.</p>"))
    parts.append(html.card(
        "Last digests delivered",
        html.table(["sent (UTC)", "platform", "channel", "digest of"],
                   [[html.when(d.sent_at), html.line(d.platform), html.line(d.channel_id),
                     html.line(d.local_date)] for d in delivered])
        if delivered else "<p>None yet.</p>"))
    return html.page("Overview", "".join(parts))


def feeds_page(services: Services) -> str:
    with FeedStore.open(services.settings.database) as store:
        feeds = store.all()
        per_day = {f.id: store.stored_per_day(f.id) for f in feeds}
    if not feeds:
        return html.page("Feeds", html.card("No feeds", "<p>Add one with "
                                            "<code>briefbot feeds add URL</code>.</p>"))
    rows = []
    for feed in feeds:
        state = ('<span class="bad">paused</span>' if feed.paused else
                 '<span class="bad">failing</span>' if feed.failures else
                 '<span class="ok">healthy</span>')
        days = ", ".join(f"{d[5:]}: {n}" for d, n in per_day[feed.id]) or "no items yet"
        rows.append([str(feed.id), html.line(feed.title or "untitled"), state,
                     html.when(feed.last_success_at),
                     # redacted as chat shows it: fetch errors quote the feed's URL and key
                     (f"{html.when(feed.last_error_at)}: {html.line(redact_urls(feed.last_error))}"
                      if feed.last_error else ""),
                     html.line(days)])
    return html.page(f"Feeds ({len(feeds)})", html.card(
        "Feeds", html.table(["#", "title", "status", "last success (UTC)", "last error",
                             "articles per day"], rows)))


async def topic_page(services: Services, question: str) -> str:
    """A person's or an event's page: aliases, coverage over time, `latest` and `timeline`."""
    topic = await asyncio.to_thread(services.index.resolve_topic, question)
    if topic.kind == "none" or not topic.article_ids:
        reply = await _run(services, "latest", question)  # no coverage: it names what is near
        return html.page(question or "Topic", html.card(reply.title or "No coverage",
                                                        html.reply(reply)), query=question)
    facts = [f"{len(topic.article_ids):,} articles"]
    aliases = _aliases(topic)
    if aliases:
        facts.append("also written " + ", ".join(aliases))
    chart = ""
    if services.settings.charts:
        dates = await asyncio.to_thread(services.index.publication_dates, topic.article_ids)
        alt = alt_text(topic.name, coverage(list(dates.values())))
        chart = (f'<img class="chart" src="{html.text(_chart_href(topic.name))}" '
                 f'alt="{html.text(alt)}" width="720" height="260">')
    parts = [html.card(f"{_kind_label(topic)}: {topic.name}",
                       "<p>" + html.line("; ".join(facts)) + "</p>" + chart)]
    for command in ("latest", "timeline"):
        reply = await _run(services, command, topic.name)
        parts.append(html.card(reply.title or command.title(), html.reply(reply)))
    return html.page(topic.name, "".join(parts), query=topic.name)


def _chart_href(name: str) -> str:
    from urllib.parse import urlencode

    return "/chart.svg?" + urlencode({"q": name})


def _aliases(topic: Topic) -> list[str]:
    row = topic.entity or topic.event
    return [a for a in (row.aliases if row else []) if a != topic.name][:8]


def _kind_label(topic: Topic) -> str:
    if topic.event is not None:
        return "Event"
    if topic.entity is not None:
        return {"PERSON": "Person", "ORG": "Organisation", "GPE": "Place", "LOC": "Place",
                "NORP": "Group"}.get(topic.entity.type, "Entity")
    return "Topic"


def draw_chart(services: Services, topic: Topic, fmt: ChartFormat):
    dates = services.index.publication_dates(topic.article_ids)
    return draw(topic.name, list(dates.values()), fmt)


def chart_for(services: Services, question: str, fmt: ChartFormat):
    topic = services.index.resolve_topic(question)
    if topic.kind == "none" or not topic.article_ids:
        return None
    return draw_chart(services, topic, fmt)


async def search_page(services: Services, question: str) -> str:
    """The answer `ask` would give, with its sources; state-changing commands are refused."""
    if not question.strip():
        return html.page("Ask", html.card("Ask", "<p>Type a question above, for example "
                                          "<em>latest on Budapest summit</em>.</p>"))
    request = services.registry.parse(question, platform="web")
    spec = services.registry.get(request.command)
    if spec is not None and spec.writes:
        reply = Reply.plain(f"`{spec.name}` changes settings; these pages are read-only. "
                            "Use chat or the command line for it.", kind=ReplyKind.FORBIDDEN)
    else:
        reply = await services.registry.dispatch(request, services)
    return html.page(reply.title or "Answer",
                     html.card(reply.title or "Answer", html.reply(reply)), query=question)


async def _run(services: Services, command: str, topic: str) -> Reply:
    return await services.registry.dispatch(Request(command=command, text=topic, platform="web"),
                                            services)
