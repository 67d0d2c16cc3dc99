"""Ingest throughput with 1 and 2 worker processes taking jobs from one database, against
one in-process ingest, in the same run.

    .venv/bin/python bench/ingest_workers.py [--limit 40] [--rounds 1] [--json]
        [--database-url postgresql://...]

Timeline17 articles (read from ../shared/eval via bench/t17.py; skipped with a message
when absent), spread over its stories, each cut to --max-sentences. Three setups, each
on a fresh SQLite file with the real models:

- in-process: `Index.add_many` of all the articles in this process (the baseline);
- 1 worker / 2 workers: the articles queued as ingest jobs (bot.jobs), then that many
  `tests/multiproc_child.py drain` processes take them until none is left.

Workers load their models before the start line; the time is from "go" until the last
worker exits. Printed: articles/s per setup and its ratio to the baseline, jobs each worker
took, and articles stored (the same in every setup, or dedupe went wrong).
`--database-url` is refused until this build has the PostgreSQL backend.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import t17  # noqa: E402

CHILD = ROOT / "tests" / "multiproc_child.py"


def pick(rows: list[dict], limit: int) -> list[dict]:
    """`limit` articles spread evenly over the archive (by story, then date)."""
    rows = sorted(rows, key=lambda r: (t17.story(r), r["date"], r["id"]))
    return [rows[int(k * len(rows) / limit)] for k in range(limit)]


def in_process(db: Path, articles) -> dict:
    from bot.config import Settings
    from bot.index.store import Index

    index = Index(db, Settings.load(dotenv=None, db_path=db))
    index.encoder.encode(["Warming up the encoder."])
    index.nlp("Warming up the pipeline in Paris.")
    start = time.monotonic()
    index.add_many(articles)
    seconds = time.monotonic() - start
    stored = index.article_count()
    index.close()
    return {"setup": "in-process", "seconds": seconds, "stored": stored, "took": []}


def workers(db: Path, articles, n: int, env: dict[str, str]) -> dict:
    from bot.index.store import Index
    from bot.jobs.ingest import article_json
    from bot.jobs.store import JobKind, JobStore
    from bot.services import utcnow

    with JobStore.open(db) as store:
        store.enqueue(JobKind.ARTICLE, [{"article": article_json(a)} for a in articles],
                      now=utcnow(), max_attempts=3)
    children = [subprocess.Popen([sys.executable, str(CHILD), "drain"], env=env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                for _ in range(n)]
    try:
        for c in children:
            line = c.stdout.readline().strip()
            if line != "ready":
                raise SystemExit(f"a worker did not start (said {line!r})")
        start = time.monotonic()
        for c in children:
            c.stdin.write("go\n")
            c.stdin.flush()
        outs = [c.communicate(timeout=3600)[0] for c in children]
        seconds = time.monotonic() - start
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
    with JobStore.open(db) as store:
        counts = store.counts()
    index = Index(db)
    stored = index.article_count()
    index.close()
    return {"setup": f"{n} worker{'s' if n > 1 else ''}", "seconds": seconds, "stored": stored,
            "took": [int(o.split()[-1]) for o in outs],
            "jobs": {k.value: v for k, v in counts.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--max-sentences", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=1, help="repeat the three setups, interleaved")
    ap.add_argument("--worker-threads", type=int, default=0,
                    help="torch threads per worker process (default: the encoder's own choice, "
                         "min(4, cores))")
    ap.add_argument("--database-url", help="postgresql://... (once the backend exists)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.database_url:
        from bot.config import Settings

        if "database_url" not in Settings.model_fields:
            sys.exit("--database-url: this build has no PostgreSQL backend yet "
                     "(BRIEFBOT_DATABASE_URL is not a setting); run without it for SQLite")
        sys.exit("--database-url: the job workers would need the backend's JobStore; not wired yet")
    try:
        rows = t17.load_articles()
    except FileNotFoundError as exc:
        print(f"skipped: {exc}")
        return
    articles = [t17.to_article(r, args.max_sentences) for r in pick(rows, args.limit)]
    results = []
    for _ in range(args.rounds):
        for setup in ("in-process", 1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "ingest.db"
                print(f"  {setup}...", file=sys.stderr, flush=True)
                if setup == "in-process":
                    r = in_process(db, articles)
                else:
                    env = {**os.environ, "BRIEFBOT_DB": str(db), "TOKENIZERS_PARALLELISM": "false"}
                    if args.worker_threads:
                        env["BENCH_TORCH_THREADS"] = str(args.worker_threads)
                    r = workers(db, articles, int(setup), env)
            r["articles_per_s"] = len(articles) / r["seconds"]
            results.append(r)
    base = {i: r for i, r in enumerate(results) if r["setup"] == "in-process"}
    for i, r in enumerate(results):
        baseline = base[i - i % 3]
        r["vs_in_process"] = r["articles_per_s"] / baseline["articles_per_s"]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{len(articles)} Timeline17 articles (<= {args.max_sentences} sentences each), "
          f"SQLite, {os.cpu_count()} cores, torch threads per worker: "
          f"{args.worker_threads or 'default'}")
    for r in results:
        took = f", jobs taken {r['took']}" if r["took"] else ""
        print(f"{r['setup']:>10}: {r['articles_per_s']:.2f} articles/s ({r['seconds']:.1f} s, "
              f"{r['vs_in_process']:.2f}x in-process), {r['stored']} stored{took}")


if __name__ == "__main__":
    main()
