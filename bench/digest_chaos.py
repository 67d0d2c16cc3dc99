"""Digests under chaos: how many copies of each digest message reach each channel.

    .venv/bin/python bench/digest_chaos.py [--channels 60] [--seed 9] [--json]

Runs `--channels` Slack channels, each due a two-part digest, against the local fake
Slack peer (tests/digest_fakes.SlackPeer on 127.0.0.1) with a real SQLite file, the
real scheduler/runner and SlackPoster over slack_sdk. Every chat.postMessage draws a
fault: accepted then connection dropped, answered after the client timeout, lost
before Slack got it, 503, ok=false, 429 with a Retry-After from 1 s to 2 h. Processes
are killed (their task cancelled, the database left as it was) at random moments,
half of them right after Slack accepted a post; a fresh process (new owner) then
takes over, as `serve` restarted by systemd would. Time runs on a manual clock:
retries and stale takeovers happen when the scheduler would fire them.

Printed for the exactly-once runner and, in the same run with the same faults, for
a baseline that posts the way issue 9 found main doing it (slack_sdk's default
connection-error retry, and a post of unknown outcome sent again without looking):
channels, a histogram of copies delivered per digest message, doubled (channels
with any message shown twice or more) and missed (channels with a message not
delivered within BRIEFBOT_DIGEST_GRACE_HOURS).

Progress to stderr; figures to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from digest_fakes import DAY1, ManualClock, SlackPeer, make_services  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from adapters.slack.poster import SlackPoster  # noqa: E402
from bot.digests.delivery import PartTag  # noqa: E402
from bot.digests.manage import subscribe  # noqa: E402
from bot.digests.runner import STALE_AFTER  # noqa: E402
from bot.digests.store import DigestStore  # noqa: E402
from bot.scheduler import DigestScheduler  # noqa: E402

DUE = datetime(2026, 7, 13, 20, 0, tzinfo=UTC)
DAY = "2026-07-13"
#: Blocks per Slack message in this run: DAY1's digest becomes two messages.
MAX_BLOCKS = 4
CLIENT_TIMEOUT = 0.3
FAULTS = [("ok", 0.55), ("drop", 0.09), ("slow", 0.08), ("lost", 0.06), ("503", 0.06),
          ("refuse", 0.04), ("429", 0.12)]
P_KILL = 0.15
MAX_FIRINGS = 40


class BlindSlackPoster(SlackPoster):
    """The baseline: the SDK's default retry handlers (a dropped connection is re-sent)
    and no look in history (a post whose outcome is unknown is simply posted again)."""

    def __init__(self, client: AsyncWebClient, **kw) -> None:
        super().__init__(client, **kw)
        self._digest_client = client  # default handlers: AsyncConnectionErrorRetryHandler

    async def find_part(self, channel_id: str, tag: PartTag, since: datetime) -> str | None:
        return None


def choose_fault(rng: random.Random):
    names, weights = zip(*FAULTS, strict=True)

    def chooser(payload: dict) -> str:
        fault = rng.choices(names, weights)[0]
        if fault == "429":
            return f"429:{rng.choice([1, 30, 120, 590, 900, 3600, 7200])}"
        return fault
    return chooser


async def run(mode: str, channels: int, seed: int, services, clock: ManualClock) -> dict:
    rng = random.Random(seed)
    peer = await SlackPeer(slow_seconds=CLIENT_TIMEOUT * 1.6).start()
    peer.chooser = choose_fault(rng)
    kills = 0
    grace = timedelta(hours=services.settings.digest_grace_hours)

    def process() -> DigestScheduler:
        client = AsyncWebClient(token="xoxb-1-2-bench", base_url=peer.url,
                                timeout=CLIENT_TIMEOUT)  # type: ignore[arg-type]
        if mode == "baseline":
            poster = BlindSlackPoster(client, max_blocks=MAX_BLOCKS)
        else:
            client.retry_handlers = []
            poster = SlackPoster(client, max_blocks=MAX_BLOCKS)
        sched = DigestScheduler(services, {"slack": poster})

        async def sleep(seconds: float) -> None:
            clock.advance(seconds=seconds)

        sched.runner.sleep = sleep
        return sched

    store = DigestStore(services.settings.db_path)
    try:
        for i in range(channels):
            channel = f"C{mode[0].upper()}{i:03d}"
            subscribe(store, "slack", channel, "20:00", "UTC", None, False,
                      settings=services.settings, now=DUE - timedelta(days=1))
            clock.set(DUE + timedelta(seconds=5))
            proc = process()
            day = None
            for _ in range(MAX_FIRINGS):
                task = asyncio.get_running_loop().create_task(proc.fire("slack", channel, day))
                if rng.random() < P_KILL:  # kill -9 at a random moment
                    kills += 1
                    if rng.random() < 0.5:
                        peer.accepted.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(asyncio.shield(peer.accepted.wait()), 2)
                    else:
                        await asyncio.sleep(rng.uniform(0, 0.05))
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
                    proc.shutdown()
                    proc = process()  # restarted: catch-up fires at once
                    outcome = await proc.fire("slack", channel, day)
                else:
                    outcome = await task
                day = DAY
                if os.environ.get("CHAOS_DEBUG"):
                    print(channel, outcome.status, outcome.retry_at, outcome.row, file=sys.stderr)
                if outcome.retry_at is None:
                    break
                clock.set(max(clock.now, outcome.retry_at))
            proc.shutdown()
            if (i + 1) % 10 == 0:
                print(f"  {mode}: {i + 1}/{channels} channels", file=sys.stderr, flush=True)
        copies, doubled, missed = Counter(), 0, 0
        for i in range(channels):
            channel = f"C{mode[0].upper()}{i:03d}"
            row = store.digest("slack", channel, DAY)
            shown = peer.copies(channel)
            per_part = [shown.get((row.id, n), 0) for n in (1, 2)] if row else [0, 0]
            copies.update(per_part)
            late = row is None or row.sent_at is None or row.sent_at - DUE > grace
            doubled += any(c > 1 for c in per_part)
            lost = any(c == 0 for c in per_part) or late
            missed += lost
            if lost or any(c > 1 for c in per_part):
                print(f"  {mode} {channel}: copies {per_part}, "
                      f"{row.status if row else 'no row'}, attempts {row.attempts if row else 0}, "
                      f"{row.error if row else ''}", file=sys.stderr)
    finally:
        store.close()
        await peer.close()
    return {"mode": mode, "channels": channels, "messages per digest": 2, "kills": kills,
            "copies histogram": {str(k): v for k, v in sorted(copies.items())},
            "doubled": doubled, "missed": missed}


async def main_async(args) -> list[dict]:
    from summarizer.embeddings import Encoder

    print("loading the encoder and a day of news...", file=sys.stderr, flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(DUE)
        services = make_services(Path(tmp) / "chaos.db", Encoder(), clock)
        for a in DAY1:
            services.index.add(a)
        try:
            for mode in ("exactly-once", "baseline"):
                results.append(await run(mode, args.channels, args.seed, services, clock))
        finally:
            services.index.close()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--channels", type=int, default=60)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--log", help="write the bot's log (INFO) to this file")
    args = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL if not args.log else logging.INFO, filename=args.log,
                        format="%(asctime)s %(name)s %(message)s")
    results = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"stale-claim window {STALE_AFTER}, seed {args.seed}, faults per post: "
          + ", ".join(f"{n} {p:.0%}" for n, p in FAULTS) + f", kill per firing {P_KILL:.0%}")
    for r in results:
        print(f"{r['mode']:>13}: channels {r['channels']}, kills {r['kills']}, copies per "
              f"message {r['copies histogram']}, doubled {r['doubled']}, missed {r['missed']}")


if __name__ == "__main__":
    main()
