"""A briefbot process for multi-process tests: `python tests/multiproc_child.py MODE ...`.

Each mode runs the real code a `serve` process runs (the feed poller, the job worker)
against the database named by BRIEFBOT_DATABASE_URL, else BRIEFBOT_DB (`child_env`
builds them), with the models chosen by BRIEFBOT_ENCODER
and BRIEFBOT_SPACY_MODEL (the tests pass the fast pair). Tests start it with
subprocess, wait for what it does on the loopback peers, and may kill it with SIGKILL.

    poll NOW_ISO LEASE_SECONDS   print "ready", wait for a line on stdin, poll due feeds once
                                 at NOW (feeds on 127.0.0.1 only), print what it polled
    work LEASE_SECONDS           take jobs until killed (what `serve --role ingest` runs)
    drain                        print "ready", wait for a line on stdin, take jobs until
                                 none is left, print "took N"
    digests PEER_URL STALE_SECONDS [blind]
                                 post due Slack digests through the real scheduler to the
                                 fake Slack peer at PEER_URL; prints "owner OWNER" first.
                                 `blind`: a poster that never looks in the channel's history
                                 for a part of unknown outcome (the benchmark's baseline)
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child_env(database, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a child process needs to open `database` (a SQLite path or a
    `DatabaseUrl`): `base` (default os.environ) without either variable, plus
    BRIEFBOT_DATABASE_URL for a URL, else BRIEFBOT_DB. Tests and benches alike use it."""
    from bot.index.backend import DatabaseUrl

    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k not in ("BRIEFBOT_DB", "BRIEFBOT_DATABASE_URL")}
    if isinstance(database, DatabaseUrl):
        env["BRIEFBOT_DATABASE_URL"] = database.dsn
    else:
        env["BRIEFBOT_DB"] = str(database)
    return env


def warm_up(services) -> None:
    """Load the models before the start line, so a timed run measures ingest, not loading."""
    services.index.encoder.encode(["Warming up the encoder."])
    services.index.nlp("Warming up the pipeline in Paris.")
    threads = os.environ.get("BENCH_TORCH_THREADS")  # bench/ingest_workers.py --worker-threads
    if threads:
        import torch

        torch.set_num_threads(int(threads))


def _services():
    from bot.config import Settings
    from bot.services import build_services

    return build_services(Settings.load(dotenv=None))


async def poll(now_iso: str, lease_seconds: str) -> None:
    from bot.feeds.addresses import AddressPolicy
    from bot.feeds.fetch import SafeFetcher
    from bot.feeds.poll import poll_due_feeds

    services = _services()
    fetcher = SafeFetcher(max_bytes=5 * 1024 * 1024, timeout=120, user_agent="briefbot-test",
                          policy=AddressPolicy.build(allow_networks=["127.0.0.1/32"]))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    try:
        outcomes = await poll_due_feeds(services, datetime.fromisoformat(now_iso), fetcher=fetcher,
                                        lease=timedelta(seconds=float(lease_seconds)))
        for o in outcomes:
            print(f"polled {o.feed_id} {o.status} stored={o.tally.stored}", flush=True)
    finally:
        services.close()


async def work(lease_seconds: str) -> None:
    from bot.jobs.runner import JobRunner

    services = _services()
    services.jobs = JobRunner(services, lease=timedelta(seconds=float(lease_seconds)))
    print("working", flush=True)
    try:
        await services.jobs.run_forever()
    finally:
        services.close()


async def drain() -> None:
    services = _services()
    await services.jobs.store()
    warm_up(services)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    took = 0
    try:
        while ran := await services.jobs.run_once():
            took += ran
        print(f"took {took}", flush=True)
    finally:
        services.close()


async def digests(peer_url: str, stale_seconds: str, poster: str = "") -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.poster import SlackPoster
    from bot.scheduler import DigestScheduler

    class BlindSlackPoster(SlackPoster):
        async def find_part(self, channel_id, tag, since):
            return None

    services = _services()
    client = AsyncWebClient(token="xoxb-1-2-test", base_url=peer_url, timeout=5)
    client.retry_handlers = []
    kind = BlindSlackPoster if poster == "blind" else SlackPoster
    scheduler = DigestScheduler(services, {"slack": kind(client, max_blocks=4)})
    stale = timedelta(seconds=float(stale_seconds))
    scheduler.runner.stale_after = stale
    scheduler.runner.backoff = (stale / 3,)  # failed posts retried within the run
    print(f"owner {scheduler.runner.owner}", flush=True)
    scheduler.start()  # catches up every due digest, then retries and takeovers on time
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown()
        services.close()


def main() -> None:
    mode, *args = sys.argv[1:]
    modes = {"poll": poll, "work": work, "drain": drain, "digests": digests}
    asyncio.run(modes[mode](*args))


if __name__ == "__main__":
    main()
