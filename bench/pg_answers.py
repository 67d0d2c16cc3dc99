"""Answer p50/p95 on PostgreSQL against SQLite, on the same Timeline17 archive, in one run.

    .venv/bin/python bench/pg_answers.py [--per-story 40] [--repeats 3] [--questions 12]
                                         [--url postgresql://...] [--fast] [--json]

1. The archive: `--per-story` articles of each Timeline17 story through the real ingest
   (bench/t17.py builds it once and caches the SQLite file under /tmp). `--fast` builds
   it with the hashing encoder and a blank spaCy pipeline instead (minutes -> seconds;
   no entities, so `who` has no people to ask about).
2. PostgreSQL: an empty database on `--url`, or else a throwaway server on loopback from
   Debian's binaries (tests/pg_server.py); the archive is copied with
   `briefbot migrate`'s code (bot.index.transfer), timed.
3. Questions drawn from the archive (bench/scale.py's mix: the T17 topics, the most
   mentioned people, places and organisations, the top events), then, for each command
   (latest, who, timeline, sources), a warm-up of every question on both backends and
   `--repeats` timed rounds, the two backends alternating question by question, so both
   see the same machine load. Also: how many replies were identical on both.

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
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from scale import COMMANDS, percentile, questions  # noqa: E402
from t17 import QUERIES, build_index, load_articles  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _server():
    """A throwaway PostgreSQL server on loopback, or None with the reason."""
    import pg_server

    bindir = pg_server._bindir()
    if bindir is None:
        return None, "no initdb/pg_ctl (apt-get install postgresql)"
    root = Path(tempfile.mkdtemp(prefix="briefbot-pgbench-"))  # the postgres user must reach it
    os.chmod(root, 0o755)
    server = pg_server.PostgresServer(bindir, root)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        return None, str(exc)
    return server, ""


def _fresh_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


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

    from bot.config import Settings
    from bot.index.backend import DatabaseUrl
    from bot.index.transfer import transfer
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
    server = None
    try:
        db = work / "t17.db"
        shutil.copy(cached, db)
        if args.url:
            admin = args.url
        else:
            server, why = _server()
            if server is None:
                print(f"skipped: no PostgreSQL server: {why}")
                return 0
            admin = server.url()
        url = DatabaseUrl(_fresh_database(admin, "briefbot_bench"))
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
        same = total = 0
        for command in COMMANDS:
            for q in qs[command]:  # warm-up, and the replies compared
                replies = [ask(svc, f"{command} {q}").text for svc in both.values()]
                same += replies[0] == replies[1]
                total += 1
            for _ in range(args.repeats):
                for q in qs[command]:
                    for name, svc in both.items():
                        t = time.perf_counter()
                        ask(svc, f"{command} {q}")
                        timings[name].setdefault(command, []).append(time.perf_counter() - t)
            log(f"measured {command}")
        for svc in both.values():
            svc.index.close()
        out = {"articles": report.rows.get("articles", 0), "migrate_s": round(migrate_s, 1),
               "fast_models": args.fast, "identical_replies": f"{same}/{total}",
               "ms": {name: {c: {"p50": round(percentile(v, 0.5) * 1000, 1),
                                 "p95": round(percentile(v, 0.95) * 1000, 1), "n": len(v)}
                             for c, v in t.items()} for name, t in timings.items()}}
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"{out['articles']} Timeline17 articles; migrate {out['migrate_s']} s; "
                  f"identical replies on both backends: {out['identical_replies']}")
            print(f"{'command':10}{'SQLite p50':>12}{'p95':>8}{'PG p50':>10}{'p95':>8}"
                  f"{'p95 PG/SQLite':>15}{'n':>5}")
            for c in COMMANDS:
                s, p = out["ms"]["sqlite"][c], out["ms"]["postgresql"][c]
                print(f"{c:10}{s['p50']:12.1f}{s['p95']:8.1f}{p['p50']:10.1f}{p['p95']:8.1f}"
                      f"{p['p95'] / max(s['p95'], 1e-9):15.2f}{s['n']:5}")
        return 0
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(server.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
