"""Ingest jobs: feed items and chat URLs go through the jobs table, and their outcomes back.

The slow part of ingesting (the models behind Index.add_many, a page's extraction)
runs in whichever process takes the job; the poller or chat command that queued it
waits for the outcome and reports it exactly as before: stored, duplicate (merged into
a story already held), or rejected with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core import UserError
from bot.index.rows import AddResult, AddStatus
from bot.ingest.model import Article
from bot.jobs.store import Job, JobKind, JobStatus

if TYPE_CHECKING:  # pragma: no cover
    from bot.feeds.service import IngestedUrl
    from bot.services import Services

REJECTED = "rejected"
Result = dict[str, Any] | Exception
Handler = Callable[["Services", list[Job]], Awaitable[list[Result]]]


def article_json(article: Article) -> dict[str, Any]:
    data = asdict(article)
    data["published"] = article.published.isoformat() if article.published else None
    return data


def article_from_json(data: dict[str, Any]) -> Article:
    published = datetime.fromisoformat(data["published"]) if data.get("published") else None
    return Article(**{**data, "published": published})


# --- handlers (run by whichever process took the job) -----------------------------------------

async def add_articles(services: Services, jobs: list[Job]) -> list[Result]:
    """Index the jobs' articles in one batch; if the batch fails, one by one, so a bad article
    costs only its own job (which is retried, then failed with its error)."""
    from bot.feeds.poll import INDEX_WRITES

    articles = [article_from_json(j.payload["article"]) for j in jobs]

    def add() -> list[Result]:
        try:
            with INDEX_WRITES:
                return [_added(r) for r in services.index.add_many(articles)]
        except Exception:  # noqa: BLE001 - retried singly below
            pass
        out: list[Result] = []
        for article in articles:
            try:
                with INDEX_WRITES:
                    out.append(_added(services.index.add(article)))
            except Exception as exc:  # noqa: BLE001
                out.append(exc)
        return out

    return await asyncio.to_thread(add)


def _added(res: AddResult) -> dict[str, Any]:
    return {"outcome": res.status.value, "article_id": res.article_id}


async def fetch_url(services: Services, jobs: list[Job]) -> list[Result]:
    """Fetch, extract and add each URL; a refusal (private address, not a page...) is a
    rejection with the message the user sees, not a failure to retry."""
    from bot.feeds.fetch import FetchError
    from bot.feeds.service import ingest_url

    out: list[Result] = []
    for job in jobs:
        options = {k: v for k, v in job.payload.items() if k != "url"}
        try:
            done = await ingest_url(services, job.payload["url"], **options)
        except (UserError, FetchError) as exc:
            out.append({"outcome": REJECTED, "reason": str(exc)})
        except Exception as exc:  # noqa: BLE001 - retried with backoff
            out.append(exc)
        else:
            data = asdict(done)
            data["published"] = done.published.isoformat() if done.published else None
            out.append({"outcome": done.status.value, "ingested": data})
    return out


HANDLERS: dict[JobKind, Handler] = {JobKind.ARTICLE: add_articles, JobKind.URL: fetch_url}


# --- queueing and reporting (in the process that needs the outcome) --------------------------

async def add_via_jobs(services: Services, articles: list[Article]) -> list[AddResult | str]:
    """Feed items: one job per article, waited for; each becomes an AddResult, or the reason
    it was not stored (what FeedPoller records as a rejected item)."""
    if not articles:
        return []
    runner = services.jobs
    ids = await runner.enqueue(JobKind.ARTICLE, [{"article": article_json(a)} for a in articles])
    out: list[AddResult | str] = []
    for job in await runner.wait(ids):
        result = job.result or {}
        if job.status is JobStatus.DONE and result.get("outcome") != REJECTED:
            out.append(AddResult(AddStatus(result["outcome"]), int(result["article_id"])))
        else:
            out.append(result.get("reason") or f"could not store: {job.error}"[:200])
    return out


async def ingest_url_job(services: Services, url: str, **options: str) -> IngestedUrl:
    """Chat /ingest: checks the address at once, then the fetch and indexing run as a job
    (here, or in another ingesting process) and the answer waits for its outcome.

    `options` are ingest_url's keyword arguments (JSON text), carried in the job."""
    from bot.feeds.fetch import check_url
    from bot.feeds.service import IngestedUrl, unwrap_url

    url = str(check_url(unwrap_url(url)))
    runner = services.jobs
    [job] = await runner.wait(await runner.enqueue(JobKind.URL, [{**options, "url": url}]))
    result = job.result or {}
    if job.status is JobStatus.FAILED:
        raise UserError(f"{url}: could not be ingested ({job.error}).")
    if result.get("outcome") == REJECTED:
        raise UserError(result["reason"])
    data = dict(result["ingested"])
    data["status"] = AddStatus(data["status"])
    data["published"] = datetime.fromisoformat(data["published"]) if data["published"] else None
    return IngestedUrl(**data)
