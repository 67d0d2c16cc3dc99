"""Answers at archive scale: build a 100,000-article archive, then time every command.

    .venv/bin/python bench/scale.py [--target 100000] [--real 4328] [--templates 300]
                                    [--work /tmp/briefbot-scale/real4328] [--json]

1. Real part: the first `--real` Timeline17 articles (spread over all stories, oldest
   first) go through `Index.add_many`, the real ingest path with spaCy and MiniLM.
2. Templates: `--templates` of those articles are analysed once more by the same models
   (`bot.index.bulk.analyse`) and cached in the work dir.
3. Growth: varied copies of the templates (`bot.index.bulk.vary`: sentences dropped,
   shuffled and reworded; other titles, publishers, dates spread over +-2 years) are
   written through the index's own write transaction (`bot.index.bulk.write`) until the
   archive holds `--target` articles. Duplicate detection stays on; every 25th copy is an
   unchanged re-publication, and the figures say how many copies were merged.
4. Ageing: an archive of this size is collected over months, so each article's ingest
   time (`added_at`) is set to its publication time; otherwise every digest would treat
   the whole archive as "ingested since the last digest".
5. Measure, in a fresh process (so its RSS is a serving process's): warm p50/p95 of
   `latest`, `who`, `timeline`, `sources` over a varied question set drawn from the
   archive, a channel digest composed as the scheduler does (not posted) at several
   moments, and, as the same-run baseline, a bare FTS5 query for the same topics.

Every step is resumable: the archive lives in the work dir and a rerun continues where
the last one stopped (progress on stderr). A larger `--target` grows the same archive.
The T17 texts are read from ../shared/eval/t17 and never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from t17 import QUERIES, load_articles, to_article  # noqa: E402

CACHE = Path("/tmp/briefbot-scale")
#: Every this-many-th copy is an unchanged re-publication (must be merged by dedup).
EXACT_EVERY = 25
COMMANDS = ("latest", "who", "timeline", "sources")


def log(msg: str, end: str = "\n") -> None:
    print(msg, end=end, file=sys.stderr, flush=True)


def open_index(db: Path):
    from bot.config import Settings
    from bot.index.store import Index

    return Index(db, Settings.load(env={}, dotenv=None, db_path=db))


def pick_real(n: int) -> list:
    """`n` Timeline17 articles evenly spread over the whole (date-sorted) collection."""
    rows = sorted(load_articles(), key=lambda r: (r["date"], r["id"]))
    if n < len(rows):
        rows = [rows[int(k * len(rows) / n)] for k in range(n)]
    return [to_article(r, max_sentences=10**6) for r in rows]


class BuildClock:
    """Seconds spent per build step, kept in the work dir so a resumed build adds up."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.times: dict[str, float] = json.loads(path.read_text()) if path.is_file() else {}
        self.last = time.monotonic()

    def start(self) -> None:
        self.last = time.monotonic()

    def add(self, step: str) -> None:
        now = time.monotonic()
        self.times[step] = self.times.get(step, 0.0) + now - self.last
        self.last = now
        self.path.write_text(json.dumps(self.times))


def ingest_real(index, articles: list, clock: BuildClock) -> None:
    """Add what is not stored yet through Index.add_many."""
    have = {r[0] for r in index.conn.execute(
        "SELECT origin FROM article_sources WHERE origin LIKE 't17/%'")}
    todo = [a for a in articles if a.origin not in have]
    if not todo:
        return
    start = time.monotonic()
    clock.start()
    for at in range(0, len(todo), 32):
        index.add_many(todo[at:at + 32])
        clock.add("real_ingest_s")
        done = min(at + 32, len(todo))
        rate = done / max(time.monotonic() - start, 1e-9)
        log(f"\rreal ingest {len(have) + done}/{len(articles)} ({rate:.2f} articles/s, "
            f"{(len(todo) - done) / rate / 60:.0f} min left)", end="")
    log("")


def templates(index, articles: list, n: int, work: Path) -> list:
    from bot.index import bulk

    path = work / f"templates-{n}.pkl"
    if path.is_file():
        with path.open("rb") as fh:
            return pickle.load(fh)
    step = max(1, len(articles) // n)
    chosen = articles[::step][:n]
    out = []
    for at in range(0, len(chosen), 16):
        out.extend(bulk.analyse(index, chosen[at:at + 16]))
        log(f"\ranalysing templates {len(out)}/{len(chosen)}", end="")
    log("")
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(out, fh)
    tmp.replace(path)
    return out


def copies_done(index) -> tuple[int, int]:
    """(copies written so far, how many of them dedup merged), read from the archive."""
    c = index.conn
    sources = c.execute("SELECT COUNT(*), MAX(CAST(substr(origin, 7) AS INTEGER)) "
                        "FROM article_sources WHERE origin LIKE 'scale/%'").fetchone()
    stored = c.execute("SELECT COUNT(*) FROM articles WHERE origin LIKE 'scale/%'").fetchone()[0]
    return (sources[1] + 1 if sources[1] is not None else 0), sources[0] - stored


def grow(index, tmpl: list, target: int, clock: BuildClock, batch: int = 50) -> None:
    """Varied copies until the archive holds `target` articles, `batch` copies per write
    transaction (`bulk.write_many`: all or nothing per batch, dedup on)."""
    from bot.index import bulk

    count = index.article_count()
    copy, _ = copies_done(index)
    if count >= target:
        return
    start, first, written = time.monotonic(), count, 0
    clock.start()
    while count < target:
        size = max(1, min(batch, target - count))
        copies = [bulk.vary(tmpl[c % len(tmpl)], c, exact=c % EXACT_EVERY == EXACT_EVERY - 1,
                            mix=tmpl[(c * 7 + 1) % len(tmpl)]) for c in range(copy, copy + size)]
        results = bulk.write_many(index, copies) if batch > 1 else [bulk.write(index, copies[0])]
        count += sum(r.status == "stored" for r in results)
        copy += size
        written += size
        clock.add("bulk_s")
        if written % 200 < size or count >= target:
            rate = (count - first) / max(time.monotonic() - start, 1e-9)
            log(f"\rgrowing {count}/{target} articles ({rate:.1f}/s, "
                f"{(target - count) / max(rate, 1e-9) / 60:.0f} min left)", end="")
    log("")


def age(index) -> None:
    """Ingest times as if collected over months: added_at = publication time."""
    from bot.index.db import transaction

    with transaction(index.conn) as c:
        c.execute("UPDATE articles SET added_at = published "
                  "WHERE published IS NOT NULL AND added_at > published")
        c.execute("UPDATE article_sources SET added_at = (SELECT a.added_at FROM articles a "
                  "WHERE a.id = article_sources.article_id) WHERE added_at > "
                  "(SELECT a.added_at FROM articles a WHERE a.id = article_sources.article_id)")


def build(args) -> dict:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "scale.db"
    clock = BuildClock(work / "times.json")
    index = open_index(db)
    real = pick_real(args.real)
    ingest_real(index, real, clock)
    clock.start()
    tmpl = templates(index, real, args.templates, work)
    clock.add("templates_s")
    grow(index, tmpl, args.target, clock, args.batch)
    age(index)
    copies, merged = copies_done(index)
    count = index.article_count()
    text_bytes = index.conn.execute(
        "SELECT SUM(LENGTH(CAST(text AS BLOB))) FROM articles").fetchone()[0] or 0
    index.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    index.close()
    return {"articles": count, "real_articles": args.real, "templates": len(tmpl),
            "copies_written": copies, "copies_merged_by_dedup": merged,
            "build_real_ingest_s": round(clock.times.get("real_ingest_s", 0.0), 1),
            "build_templates_s": round(clock.times.get("templates_s", 0.0), 1),
            "build_bulk_s": round(clock.times.get("bulk_s", 0.0), 1),
            "db_mb": round(db.stat().st_size / 2**20, 1),
            "db_bytes_per_text_byte": round(db.stat().st_size / max(text_bytes, 1), 1)}


# --- measuring (a fresh process) -------------------------------------------------------

def questions(conn, n: int, seed: int) -> dict[str, list[str]]:
    """A varied set: the Timeline17 topics, the most mentioned people, places and
    organisations, and a random sample of less frequent ones."""
    rng = random.Random(seed)
    top = ("SELECT e.name, e.type FROM entities e JOIN (SELECT entity_id, COUNT(*) AS n "
           "FROM mentions GROUP BY entity_id ORDER BY n DESC LIMIT 600) m ON m.entity_id = e.id "
           "ORDER BY m.n DESC")
    ranked = conn.execute(top).fetchall()
    people = [name for name, kind in ranked if kind == "PERSON"]
    others = [name for name, kind in ranked if kind != "PERSON"]
    events = [r[0] for r in conn.execute(
        "SELECT e.name FROM events e JOIN (SELECT event_id, COUNT(*) AS n FROM event_articles "
        "GROUP BY event_id ORDER BY n DESC LIMIT 3) a ON a.event_id = e.id")]

    def mix(pool: list[str], top: int) -> list[str]:
        head = pool[:top]
        tail = rng.sample(pool[top:], min(len(pool) - top, max(0, n - top - 4))) if pool[top:] else []
        return head + tail

    topics = list(QUERIES.values())[:5] + mix(others, 4)[: n // 3] + mix(people, 4)[: n // 3] \
        + events[:3]
    return {"latest": topics[:n], "timeline": topics[:n], "sources": topics[:n],
            "who": mix(people, 6)[:n]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(args) -> dict:
    import asyncio

    from bot.config import Settings
    from bot.digests.compose import channel_digest
    from bot.digests.manage import subscribe
    from bot.digests.store import DigestStore
    from bot.services import build_services

    db = Path(args.work) / "scale.db"
    services = build_services(Settings.load(env={}, dotenv=None, db_path=db))
    conn = services.index.conn
    qs = questions(conn, args.questions, seed=11)
    registry = services.registry

    async def ask(text: str):
        return await registry.dispatch(registry.parse(text, platform="test"), services)

    newest = datetime.fromisoformat(conn.execute("SELECT MAX(published) FROM articles "
                                                 "WHERE origin LIKE 't17/%'").fetchone()[0])
    services.clock = lambda: newest + timedelta(hours=6)
    out: dict = {"questions": {k: len(v) for k, v in qs.items()}, "repeats": args.repeats}
    timings: dict[str, list[float]] = {}
    kinds: dict[str, dict[str, int]] = {}
    loop = asyncio.new_event_loop()
    for command in COMMANDS:
        for q in qs[command]:  # warm-up: the first call of each question is not timed
            loop.run_until_complete(ask(f"{command} {q}"))
        for _ in range(args.repeats):
            for q in qs[command]:
                t0 = time.perf_counter()
                reply = loop.run_until_complete(ask(f"{command} {q}"))
                timings.setdefault(command, []).append(time.perf_counter() - t0)
                kind = kinds.setdefault(command, {})
                kind[str(reply.kind)] = kind.get(str(reply.kind), 0) + 1
        log(f"measured {command}")
    store = DigestStore(db)
    moments = [newest - timedelta(days=d, hours=h) for d, h in
               ((0, 6), (1, 2), (3, 9), (7, 0), (20, 4), (45, 12), (90, 7), (200, 1))]
    for i, now in enumerate(moments):  # a channel per moment: each composes a first digest
        sub = subscribe(store, "slack", f"C{i}", "08:00", "UTC", None, False,
                        settings=services.settings, now=now)
        channel_digest(services, store, sub, now)
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            draft = channel_digest(services, store, sub, now)
            timings.setdefault("digest", []).append(time.perf_counter() - t0)
            kind = kinds.setdefault("digest", {})
            kind[str(draft.reply.kind)] = kind.get(str(draft.reply.kind), 0) + 1
    log("measured digest")
    fts = [q for k in COMMANDS for q in qs[k]]
    from bot.index.queries import fts_tokens

    def fts_query(q: str) -> str:
        return " AND ".join('"' + t.replace('"', '""') + '"' for t in fts_tokens(q))
    for q in fts:
        conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rank "
                     "LIMIT 50", [fts_query(q)]).fetchall()
    for _ in range(args.repeats):
        for q in fts:
            t0 = time.perf_counter()
            conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
                         "ORDER BY rank LIMIT 50", [fts_query(q)]).fetchall()
            timings.setdefault("bare_fts5", []).append(time.perf_counter() - t0)
    status = Path("/proc/self/status").read_text()
    rss = {k: int(line.split()[1]) / 1024 for line in status.splitlines()
           for k in ("VmRSS", "VmHWM") if line.startswith(k + ":")}
    out["ms"] = {k: {"p50": round(percentile(v, 0.5) * 1000, 1),
                     "p95": round(percentile(v, 0.95) * 1000, 1), "n": len(v)}
                 for k, v in timings.items()}
    base = out["ms"]["bare_fts5"]["p95"]
    for v in out["ms"].values():
        v["p95_vs_fts5"] = round(v["p95"] / base, 1) if base else None
    out["reply_kinds"] = kinds
    out["serving_rss_mb"] = round(rss["VmRSS"], 1)
    out["serving_peak_rss_mb"] = round(rss["VmHWM"], 1)
    services.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=int, default=100_000, help="articles in the archive")
    ap.add_argument("--real", type=int, default=4328, help="Timeline17 articles ingested for real")
    ap.add_argument("--templates", type=int, default=300, help="analysed articles copies derive from")
    ap.add_argument("--work", help="work dir holding the archive (default /tmp/briefbot-scale/real<N>)")
    ap.add_argument("--batch", type=int, default=50, help="copies per write transaction")
    ap.add_argument("--questions", type=int, default=20, help="questions per command")
    ap.add_argument("--repeats", type=int, default=3, help="timed passes over the questions")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.work = args.work or str(CACHE / f"real{args.real}")
    if args.measure_only:
        print(json.dumps(measure(args)))
        return 0
    figures = build(args)
    log(f"archive ready: {figures['articles']} articles; measuring in a fresh process...")
    child = subprocess.run([sys.executable, __file__, "--measure-only", "--work", args.work,
                            "--questions", str(args.questions), "--repeats", str(args.repeats)],
                           capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        return child.returncode
    figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"archive: {figures['articles']} articles ({figures['real_articles']} real, copies "
          f"written {figures['copies_written']}, merged by dedup {figures['copies_merged_by_dedup']})")
    print(f"build: real ingest {figures['build_real_ingest_s']} s, templates "
          f"{figures['build_templates_s']} s, bulk {figures['build_bulk_s']} s; "
          f"db {figures['db_mb']} MB "
          f"({figures['db_bytes_per_text_byte']}x the text); serving RSS {figures['serving_rss_mb']} MB "
          f"(peak {figures['serving_peak_rss_mb']} MB)")
    print(f"{'command':12}{'p50 ms':>10}{'p95 ms':>10}{'n':>6}{'p95/fts5':>10}  target p95 <= 150 ms")
    for k, v in figures["ms"].items():
        verdict = "" if k == "bare_fts5" else ("ok" if v["p95"] <= 150 else "OVER")
        print(f"{k:12}{v['p50']:10.1f}{v['p95']:10.1f}{v['n']:6}{v['p95_vs_fts5']:10.1f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
