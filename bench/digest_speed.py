"""How a channel digest's cost grows with the archive behind it.

    .venv/bin/python bench/digest_speed.py [--archive 20000] [--words 600]

Builds a fresh index: today's news is the seed pages, ingested for real (models,
entities, events), re-dated to today; behind them an archive of `--archive` older
articles (written straight into the articles table: only their rows matter to what a
digest reads). Then, in the same run, prints:

- digest: composing one channel digest (`bot.digests.compose.channel_digest`), which
  reads only its period's articles;
- baseline, whole archive read: loading every article row, the least a digest that
  scans the archive would pay;
- the peak memory of each (tracemalloc, Python allocations).

Progress to stderr; figures to stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.digests.compose import channel_digest  # noqa: E402
from bot.digests.manage import subscribe  # noqa: E402
from bot.digests.store import DigestStore  # noqa: E402
from bot.ingest.pipeline import run_ingest  # noqa: E402
from bot.services import build_services  # noqa: E402


def fill_archive(conn, n: int, words: int, before: datetime) -> None:
    """`n` old articles, one a minute going back from `before`."""
    body = " ".join(["Archived report text about an older story."] * max(1, words // 7))
    rows = []
    for i in range(n):
        when = (before - timedelta(minutes=i)).isoformat()
        text = f"{body} Item {i}."
        rows.append((f"Archived story {i}", text, "Archive", when, f"archive/{i}", "metadata",
                     when, hashlib.sha1(text.encode()).hexdigest()))
    conn.executemany(
        "INSERT INTO articles(title, text, publisher, published, origin, date_source, added_at, "
        "content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()


def measure(label: str, func) -> None:
    tracemalloc.start()
    t0 = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:38}{seconds * 1000:10.1f} ms{peak / 2**20:10.1f} MiB   {result}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=int, default=20000, help="older articles behind today's")
    ap.add_argument("--words", type=int, default=600, help="words per archived article")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        services = build_services(Settings.load(env={}, dotenv=None, db_path=db))
        print("ingesting the seed pages...", file=sys.stderr)
        run_ingest([ROOT / "seeds"], services.index, progress=False)
        now = datetime.now(UTC)
        conn = services.index.conn
        conn.execute("UPDATE articles SET published = ?", [(now - timedelta(hours=2)).isoformat()])
        print(f"writing {args.archive} archived articles...", file=sys.stderr)
        fill_archive(conn, args.archive, args.words, now - timedelta(days=30))
        store = DigestStore(db)
        sub = subscribe(store, "slack", "C1", "08:00", "UTC", None, False,
                        settings=services.settings, now=now)
        total = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        print(f"archive: {total} articles; figures: time, peak Python memory, result")
        measure("digest (period's articles only)",
                lambda: f"{len(channel_digest(services, store, sub, now).reply.sections)} stories")
        measure("baseline: read the whole archive",
                lambda: f"{len(services.index.articles_added_since(None))} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
