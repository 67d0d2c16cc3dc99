"""Ingest throughput with 1 and 2 worker processes taking jobs from one database, on
SQLite and on PostgreSQL, against one in-process ingest on SQLite, in the same run.

    .venv/bin/python bench/ingest_workers.py [--limit 40] [--rounds 1] [--json]
        [--backend both|sqlite|postgresql] [--database-url postgresql://...]

Timeline17 articles (read from ../shared/eval via bench/t17.py; skipped with a message
when absent), spread over its stories, each cut to --max-sentences. Setups, each on a
fresh SQLite file or a fresh PostgreSQL database, with the real models:

- in-process: `Index.add_many` of all the articles in this process (SQLite: the
  baseline every ratio is against; PostgreSQL: what the backend alone costs);
- 1 worker / 2 workers: the articles queued as ingest jobs (bot.jobs), then that many
  `tests/multiproc_child.py drain` processes take them until none is left (on
  PostgreSQL they reach it through BRIEFBOT_DATABASE_URL and take jobs with
  FOR UPDATE SKIP LOCKED).

PostgreSQL: `--database-url` names a server where this user may CREATE DATABASE (each
setup gets a fresh `briefbot_ingest_bench`, dropped after it); without it a throwaway
server on loopback (bench/pg_bench.py). Without a server the PostgreSQL setups are
skipped with the reason.

Workers load their models before the start line; the time is from "go" until the last
worker exits. Printed: articles/s per setup and its ratio to the baseline, jobs each worker
took, and articles stored (the same in every setup, or dedupe went wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

sys.path.insert(0, str(ROOT / "tests"))

import pg_bench  # noqa: E402
import t17  # noqa: E402
from multiproc_child import child_env  # noqa: E402

CHILD = ROOT / "tests" / "multiproc_child.py"
#: (backend, setup): setup is "in-process" or a number of worker processes.
SETUPS = [("sqlite", "in-process"), ("sqlite", 1), ("sqlite", 2),
          ("postgresql", "in-process"), ("postgresql", 1), ("postgresql", 2)]


def pick(rows: list[dict], limit: int) -> list[dict]:
    """`limit` articles spread evenly over the archive (by story, then date)."""
    rows = sorted(rows, key=lambda r: (t17.story(r), r["date"], r["id"]))
    return [rows[int(k * len(rows) / limit)] for k in range(limit)]


def in_process(db, articles) -> dict:
    """`db`: a SQLite path or a DatabaseUrl."""
    from bot.config import Settings
    from bot.index.backend import DatabaseUrl
    from bot.index.store import Index

    where = {"database_url": db} if isinstance(db, DatabaseUrl) else {"db_path": db}
    index = Index(db, Settings.load(dotenv=None, **where))
    index.encoder.encode(["Warming up the encoder."])
    index.nlp("Warming up the pipeline in Paris.")
    start = time.monotonic()
    index.add_many(articles)
    seconds = time.monotonic() - start
    stored = index.article_count()
    index.close()
    return {"setup": "in-process", "seconds": seconds, "stored": stored, "took": []}


def workers(db, articles, n: int, env: dict[str, str]) -> dict:
    """`db`: a SQLite path or a DatabaseUrl, the one `env` names to the workers."""
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
    ap.add_argument("--rounds", type=int, default=1, help="repeat the setups, interleaved")
    ap.add_argument("--worker-threads", type=int, default=0,
                    help="torch threads per worker process (default: the encoder's own choice, "
                         "min(4, cores))")
    ap.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both",
                    help="which setups besides the SQLite in-process baseline (always run)")
    ap.add_argument("--database-url",
                    help="postgresql://... of a server where you may CREATE DATABASE "
                         "(default: a throwaway server on loopback)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        rows = t17.load_articles()
    except FileNotFoundError as exc:
        print(f"skipped: {exc}")
        return
    articles = [t17.to_article(r, args.max_sentences) for r in pick(rows, args.limit)]
    setups = [(b, s) for b, s in SETUPS if (b, s) == ("sqlite", "in-process")
              or args.backend in ("both", b)]
    with ExitStack() as stack:
        admin, skipped = None, ""
        if any(b == "postgresql" for b, _ in setups):
            try:
                admin = stack.enter_context(pg_bench.server(args.database_url))
            except pg_bench.NoServer as exc:
                skipped = f"PostgreSQL setups skipped: no server: {exc}"
                setups = [(b, s) for b, s in setups if b == "sqlite"]
        results = measure(articles, setups, args, admin)
    report(results, articles, args, skipped)


def measure(articles, setups, args, admin: str | None) -> list[dict]:
    """Each setup on a fresh database, `args.rounds` times, interleaved."""
    from bot.index.backend import DatabaseUrl

    results = []
    for _ in range(args.rounds):
        for backend, setup in setups:
            print(f"  {backend} {setup}...", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
                if backend == "postgresql":
                    assert admin is not None
                    db: Path | DatabaseUrl = DatabaseUrl(stack.enter_context(
                        pg_bench.scratch_database(admin, "briefbot_ingest_bench")))
                else:
                    db = Path(tmp) / "ingest.db"
                if setup == "in-process":
                    r = in_process(db, articles)
                else:
                    env = {**child_env(db), "TOKENIZERS_PARALLELISM": "false"}
                    if args.worker_threads:
                        env["BENCH_TORCH_THREADS"] = str(args.worker_threads)
                    r = workers(db, articles, int(setup), env)
            r["backend"] = backend
            r["articles_per_s"] = len(articles) / r["seconds"]
            results.append(r)
    per_round = len(setups)
    for i, r in enumerate(results):
        baseline = results[i - i % per_round]  # this round's SQLite in-process
        r["vs_in_process"] = r["articles_per_s"] / baseline["articles_per_s"]
    return results


def report(results: list[dict], articles, args, skipped: str) -> None:
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{len(articles)} Timeline17 articles (<= {args.max_sentences} sentences each), "
          f"{os.cpu_count()} cores, torch threads per worker: "
          f"{args.worker_threads or 'default'}; ratios against SQLite in-process")
    if skipped:
        print(skipped)
    for r in results:
        took = f", jobs taken {r['took']}" if r["took"] else ""
        print(f"{r['backend']:>10} {r['setup']:>10}: {r['articles_per_s']:.2f} articles/s "
              f"({r['seconds']:.1f} s, {r['vs_in_process']:.2f}x), {r['stored']} stored{took}")

if __name__ == "__main__":
    main()
