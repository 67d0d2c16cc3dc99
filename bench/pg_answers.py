"""Answer p50/p95 on PostgreSQL against SQLite, on the same Timeline17 archive, in one run.

    .venv/bin/python bench/pg_answers.py [--per-story 40] [--repeats 3] [--questions 12]
                                         [--url postgresql://...] [--fast] [--json]

1. The archive: `--per-story` articles of each Timeline17 story through the real ingest
   (bench/t17.py builds it once and caches the SQLite file under /tmp). `--fast` builds
   it with the hashing encoder and a blank spaCy pipeline instead (minutes -> seconds;
   no entities, so `who` has no people to ask about).
2. PostgreSQL: an empty database on `--url`, or else a throwaway server on loopback from
   Debian's binaries (bench/pg_bench.py); the archive is copied with
   `briefbot migrate`'s code (bot.index.transfer), timed.
3. Questions drawn from the archive (bench/scale.py's mix: the T17 topics, the most
   mentioned people, places and organisations, the top events), then, for each command
   (latest, who, timeline, sources), a warm-up of every question on both backends and
   `--repeats` timed rounds, the two backends alternating question by question, so both
   see the same machine load. Also: how many replies were identical on both.
   `sources/1` is `sources` timed in the same run with each cited article read by its own
   query, as before `Citations.know` (the baseline of that change; its replies count in
   the identical ones too).

Skips cleanly (exit 0, one line) when ../shared/eval/t17 or a PostgreSQL server is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pg_bench import NoServer, fresh_database, server  # noqa: E402
from scale import COMMANDS, percentile, questions  # noqa: E402
from t17 import QUERIES, build_index, load_articles  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


#: (label, command, cited rows loaded in one query): `sources` is also timed the way it
#: was before Citations.know, one query per cited article, as the same-run baseline.
VARIANTS = [(c, c, True) for c in COMMANDS] + [("sources/1", "sources", False)]


@contextmanager
def cited_rows_loaded(batched: bool) -> Iterator[None]:
    """As is, or (batched False) with `Citations.know` a no-op: each cited article is
    then read with its own query, as before it existed."""
    if batched:
        yield
        return
    from bot.citations import Citations

    know = Citations.know
    Citations.know = lambda self, rows: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        Citations.know = know  # type: ignore[method-assign]


def _services(settings, encoder, nlp):
    from bot.index.store import Index
    from bot.registry import load_commands
    from bot.services import Services
    from summarizer import make_summarizer

    index = Index(settings.database, settings, encoder=encoder, nlp=nlp)
    return Services(settings=settings, index=index, summarizer=make_summarizer(settings, encoder),
                    registry=load_commands())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-story", type=int, default=40)
    ap.add_argument("--max-sentences", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--questions", type=int, default=12)
    ap.add_argument("--url", help="an admin URL of a PostgreSQL server (default: start one)")
    ap.add_argument("--fast", action="store_true", help="hashing encoder + blank spaCy")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        rows = load_articles()
    except FileNotFoundError as exc:
        print(f"skipped: {exc}")
        return 0

    from summarizer.embeddings import Encoder, EncoderBackend

    if args.fast:
        import spacy

        encoder, nlp = Encoder(backend=EncoderBackend.HASHING), spacy.blank("en")
        overrides: dict = {"encoder": EncoderBackend.HASHING}
    else:
        encoder, nlp, overrides = Encoder(), None, {}
    labels = sorted(QUERIES)
    t0 = time.perf_counter()
    cached, _ = build_index(rows, stories=labels, per_story=args.per_story,
                            max_sentences=args.max_sentences, seed=7 + args.fast,
                            encoder=encoder if args.fast else None)
    log(f"archive {cached} ready in {time.perf_counter() - t0:.0f} s")
    work = Path(tempfile.mkdtemp(prefix="briefbot-pg-answers-"))
    try:
        with server(args.url) as admin:
            return _measure(args, cached, work, admin, encoder, nlp, overrides)
    except NoServer as exc:
        print(f"skipped: no PostgreSQL server: {exc}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(args, cached: Path, work: Path, admin: str, encoder, nlp, overrides: dict) -> int:
    """Copy the archive to a fresh database on `admin`'s server, then time both backends."""
    from bot.config import Settings
    from bot.index.backend import DatabaseUrl
    from bot.index.transfer import transfer

    db = work / "t17.db"
    shutil.copy(cached, db)
    url = DatabaseUrl(fresh_database(admin, "briefbot_bench"))
    t0 = time.perf_counter()
    report = transfer(db, url)
    migrate_s = time.perf_counter() - t0
    log(f"copied {report.rows.get('articles', 0)} articles to PostgreSQL in {migrate_s:.1f} s")

    both = {"sqlite": _services(Settings.load(env={}, dotenv=None, db_path=db, **overrides),
                                encoder, nlp),
            "postgresql": _services(Settings.load(env={}, dotenv=None, db_path=db,
                                                  database_url=url, **overrides),
                                    encoder, nlp)}
    conn = both["sqlite"].index.conn
    qs = questions(conn, args.questions, seed=11)
    newest = both["sqlite"].index.newest_published(both["sqlite"].clock())
    for svc in both.values():
        svc.clock = lambda: newest + timedelta(hours=6)
    loop = asyncio.new_event_loop()

    def ask(svc, text: str):
        return loop.run_until_complete(svc.registry.dispatch(
            svc.registry.parse(text, platform="test"), svc))

    timings: dict[str, dict[str, list[float]]] = {b: {} for b in both}
    same = total = variant_same = variant_total = 0
    for command in COMMANDS:
        variants = [(label, batched) for label, c, batched in VARIANTS if c == command]
        for q in qs[command]:  # warm-up, and the replies compared
            seen = []
            for _, batched in variants:
                with cited_rows_loaded(batched):
                    replies = [ask(svc, f"{command} {q}").text for svc in both.values()]
                same += replies[0] == replies[1]
                total += 1
                seen.append(replies)
            if len(seen) > 1:
                variant_same += all(r == seen[0] for r in seen[1:])
                variant_total += 1
        for _ in range(args.repeats):
            for q in qs[command]:
                for name, svc in both.items():
                    for label, batched in variants:  # alternating, as the backends do
                        with cited_rows_loaded(batched):
                            t = time.perf_counter()
                            ask(svc, f"{command} {q}")
                            timings[name].setdefault(label, []).append(time.perf_counter() - t)
        log(f"measured {command}")
    for svc in both.values():
        svc.index.close()
    out = {"articles": report.rows.get("articles", 0), "migrate_s": round(migrate_s, 1),
           "fast_models": args.fast, "identical_replies": f"{same}/{total}",
           "identical_sources_1": f"{variant_same}/{variant_total}",
           "ms": {name: {c: {"p50": round(percentile(v, 0.5) * 1000, 1),
                             "p95": round(percentile(v, 0.95) * 1000, 1), "n": len(v)}
                         for c, v in t.items()} for name, t in timings.items()}}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{out['articles']} Timeline17 articles; migrate {out['migrate_s']} s; "
              f"identical replies on both backends: {out['identical_replies']}; "
              f"sources and sources/1 identical: {out['identical_sources_1']}")
        print(f"{'command':10}{'SQLite p50':>12}{'p95':>8}{'PG p50':>10}{'p95':>8}"
              f"{'p95 PG/SQLite':>15}{'n':>5}")
        for c, _, _ in VARIANTS:
            s, p = out["ms"]["sqlite"][c], out["ms"]["postgresql"][c]
            print(f"{c:10}{s['p50']:12.1f}{s['p95']:8.1f}{p['p50']:10.1f}{p['p95']:8.1f}"
                  f"{p['p95'] / max(s['p95'], 1e-9):15.2f}{s['n']:5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
