"""Digests under two and three real processes with kill -9: copies delivered per channel.

    .venv/bin/python bench/digest_processes.py [--channels 24] [--seed 3] [--json]
        [--backend both|sqlite|postgresql] [--database-url postgresql://...]

Starts `serve`-like processes (tests/multiproc_child.py `digests`: the real scheduler,
runner and SlackPoster) on one database (a fresh SQLite file, or a fresh PostgreSQL
database reached through BRIEFBOT_DATABASE_URL, per run), all posting the same channels' digests to the
fake Slack peer on 127.0.0.1 (tests/digest_fakes.SlackPeer), with faults on posts
(accepted then connection dropped, lost, 503, ok=false, 429 with Retry-After 1-2 s).
In each run with kills, the process holding a digest whose message Slack accepted but
never answered is killed with SIGKILL, and (with three processes) one more at a random
moment; one always survives. Runs: one process without kills, two processes with one
kill, three with two; each with the exactly-once poster and, as the same-run baseline
with the same faults and kills, a "blind" poster that re-posts a message of unknown
outcome without looking in the channel's history first.

Printed per run: channels, processes, kills, the histogram of copies of each digest
message shown in its channel, doubled (channels with a message shown twice or more),
missed (channels with a message never shown, or a digest not sent before the run ends).

`--backend` (default both) runs every run on SQLite, on PostgreSQL, or on each in turn.
PostgreSQL: `--database-url` names a server where this user may CREATE DATABASE (each run
gets a fresh `briefbot_digest_bench`, dropped after it); without it a throwaway server on
loopback (bench/pg_bench.py). Without a server the PostgreSQL runs are skipped with the
reason.
Progress to stderr; figures to stdout. Uses the fast models (hashed words, no NER):
this measures delivery, not digest quality.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pg_bench  # noqa: E402
from multiproc_child import child_env  # noqa: E402
from multiproc_digests import prepare, run  # noqa: E402

FAULTS = [("ok", 0.70), ("drop", 0.08), ("lost", 0.06), ("503", 0.06), ("refuse", 0.04),
          ("429", 0.06)]
RUNS = [(1, 0), (2, 1), (3, 2)]
MODES = ("exactly-once", "blind")


def chooser(rng: random.Random):
    names, weights = zip(*FAULTS, strict=True)

    def choose(payload: dict) -> str:
        fault = rng.choices(names, weights)[0]
        return f"429:{rng.choice([1, 2])}" if fault == "429" else fault
    return choose


async def main_async(args, backends: list[tuple[str, str | None]]) -> list[dict]:
    """Every run of RUNS x MODES on each (backend, admin URL), each on a fresh database."""
    import spacy

    from bot.index.backend import DatabaseUrl
    from summarizer.embeddings import Encoder, EncoderBackend

    results = []
    for backend, admin in backends:
        for (processes, kills), mode in ((r, m) for r in RUNS for m in MODES):
            with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
                folder = Path(tmp)
                spacy.blank("en").to_disk(folder / "blank_en")
                db: Path | DatabaseUrl = folder / "digests.db"
                if admin is not None:
                    db = DatabaseUrl(stack.enter_context(
                        pg_bench.scratch_database(admin, "briefbot_digest_bench")))
                env = {**child_env(db), "BRIEFBOT_ENCODER": "hashing",
                       "BRIEFBOT_SPACY_MODEL": str(folder / "blank_en")}
                prepare(db, args.channels, Encoder(backend=EncoderBackend.HASHING),
                        spacy.blank("en"), datetime.now(UTC))
                print(f"  {backend} {mode}: {processes} process(es), {kills} kill(s)...",
                      file=sys.stderr, flush=True)
                rng = random.Random(args.seed + processes)
                done = await run(db, processes=processes, channels=args.channels, kills=kills,
                                 env=env, chooser=chooser(rng), seed=args.seed,
                                 victim=f"C{rng.randrange(args.channels):03d}" if kills else "-",
                                 blind=mode == "blind")
            results.append({"backend": backend, "mode": mode, "processes": processes,
                            "kills": done.kills, "channels": args.channels,
                            "messages": len(done.copies),
                            "copies histogram": {str(k): v for k, v in done.histogram.items()},
                            "doubled": done.doubled, "missed": done.missed,
                            "seconds": round(done.seconds, 1)})
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--channels", type=int, default=24)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    ap.add_argument("--database-url",
                    help="postgresql://... of a server where you may CREATE DATABASE "
                         "(default: a throwaway server on loopback)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    skipped = ""
    with ExitStack() as stack:
        backends: list[tuple[str, str | None]] = []
        if args.backend in ("both", "sqlite"):
            backends.append(("sqlite", None))
        if args.backend in ("both", "postgresql"):
            try:
                backends.append(("postgresql",
                                 stack.enter_context(pg_bench.server(args.database_url))))
            except pg_bench.NoServer as exc:
                skipped = f"PostgreSQL runs skipped: no server: {exc}"
        results = asyncio.run(main_async(args, backends))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("faults per post: " + ", ".join(f"{n} {p:.0%}" for n, p in FAULTS)
          + "; stale-claim window 3 s")
    if skipped:
        print(skipped)
    for r in results:
        print(f"{r['backend']:>10} {r['mode']:>12}, {r['processes']} process(es), "
              f"kills {r['kills']}: "
              f"channels {r['channels']}, "
              f"messages {r['messages']}, copies per message {r['copies histogram']}, "
              f"doubled {r['doubled']}, missed {r['missed']} ({r['seconds']} s)")


if __name__ == "__main__":
    main()
