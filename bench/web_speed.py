"""How fast the status pages answer, beside the same answer from the command core.

    .venv/bin/python bench/web_speed.py ../shared/eval/t17/t17_articles.jsonl --limit 600
    .venv/bin/python bench/web_speed.py --db existing.db

Ingests `--limit` articles spread evenly over a JSONL file through the real path (models, entities,
events) into a database cached under the temp folder (so a rerun measures at once), or
uses `--db`. Then, warm, for the most covered events and people, times:

- each page over HTTP on loopback (overview, feeds, topic page, search, PNG chart);
- the matching answer straight from the command registry in the same process
  (`latest` and `timeline` for a topic page, the question for a search), which is
  what `briefbot ask` computes once its models are loaded.

Prints p50 and p95 per row. Progress to stderr; figures to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.core import Request  # noqa: E402
from bot.ingest.pipeline import run_ingest  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.web.app import make_app  # noqa: E402


def cached_db(jsonl: Path, limit: int) -> Path:
    """A database holding the first `limit` lines of `jsonl`, built once per (file, limit)."""
    key = hashlib.sha1(f"{jsonl.resolve()}:{jsonl.stat().st_mtime}:{limit}".encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"briefbot-web-bench-{key}.db"
    done = path.with_suffix(".done")
    if done.exists():
        return path
    path.unlink(missing_ok=True)
    part = path.with_suffix(".jsonl")
    with jsonl.open(encoding="utf-8") as src:
        lines = [line for line in src if line.strip()]
    step = max(1, len(lines) // limit)  # spread over the file: every story, not the first
    part.write_text("".join(lines[::step][:limit]), encoding="utf-8")
    services = build_services(Settings.load(env={}, dotenv=None, db_path=path))
    print(f"ingesting {limit} articles into {path} (once)...", file=sys.stderr)
    report = run_ingest([part], services.index, progress=True)
    print(f"stored {report.stored}", file=sys.stderr)
    services.index.close()
    part.unlink()
    done.touch()
    return path


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def row(label: str, ms: list[float]) -> None:
    print(f"{label:44}{statistics.median(ms):9.1f}{pct(ms, 0.95):9.1f}   n={len(ms)}")


async def run(db: Path, topics: int, rounds: int) -> None:
    services = build_services(Settings.load(env={}, dotenv=None, db_path=db))
    services.index.encoder  # noqa: B018 - load the models before timing anything
    names = services.index.most_covered(topics)
    stats = services.index.stats()
    print(f"index: {stats.articles} articles, {stats.entities} entities, {stats.events} events; "
          f"topics: {', '.join(names)}")
    server = TestServer(make_app(services), host="127.0.0.1")
    await server.start_server()
    base = f"http://127.0.0.1:{server.port}"
    timings: dict[str, list[float]] = {}

    def note(label: str, t0: float) -> None:
        timings.setdefault(label, []).append((time.perf_counter() - t0) * 1000)

    async def direct(command: str, text: str) -> None:
        await services.registry.dispatch(Request(command=command, text=text, platform="bench"),
                                         services)

    async with ClientSession() as http:
        async def page(path: str, **params: str) -> None:
            async with http.get(base + path, params=params) as resp:
                assert resp.status == 200, (path, resp.status)
                await resp.read()

        for name in names:  # warm-up: first use of every code path
            await page("/topic", q=name)
        for _ in range(rounds):
            for path in ("/", "/feeds"):
                t0 = time.perf_counter()
                await page(path)
                note(f"page {path}", t0)
            for name in names:
                t0 = time.perf_counter()
                await page("/topic", q=name)
                note("page /topic (latest + timeline + facts)", t0)
                t0 = time.perf_counter()
                await direct("latest", name)
                await direct("timeline", name)
                note("baseline: latest + timeline, no web", t0)
                t0 = time.perf_counter()
                await page("/search", q=f"latest on {name}")
                note("page /search 'latest on X'", t0)
                t0 = time.perf_counter()
                await direct("latest", name)
                note("baseline: latest, no web", t0)
                t0 = time.perf_counter()
                await page("/chart.png", q=name)
                note("page /chart.png", t0)
    await server.close()
    print(f"{'':44}{'p50 ms':>9}{'p95 ms':>9}")
    for label, ms in timings.items():
        row(label, ms)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jsonl", nargs="?", type=Path, help="articles to ingest (JSONL)")
    ap.add_argument("--limit", type=int, default=600, help="articles ingested from the JSONL")
    ap.add_argument("--db", type=Path, help="use this existing database instead")
    ap.add_argument("--topics", type=int, default=6, help="most covered topics per round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    if args.db is None and args.jsonl is None:
        ap.error("give a JSONL file to ingest or --db")
    db = args.db or cached_db(args.jsonl, args.limit)
    asyncio.run(run(db, args.topics, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
