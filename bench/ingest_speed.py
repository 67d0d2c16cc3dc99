"""Ingest throughput and question latency on a real news stream (run by hand).

    .venv/bin/python bench/ingest_speed.py ../shared/eval/t17/t17_articles.jsonl --limit 300

Prints, from one run: reading + cleaning alone (the baseline: what ingest costs
before any model), MiniLM encoding alone, the full ingest (dedup, sentences,
embeddings, entities, events, FTS5) into a fresh SQLite file, then the latency
of `latest` questions against a plain FTS5 lookup on the same database, and the
peak memory. The data set is read where it lies and never copied into the repo.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.index.store import Index  # noqa: E402
from bot.ingest.pipeline import articles_from_paths, run_ingest  # noqa: E402
from bot.ingest.model import Article  # noqa: E402
from bot.registry import load_commands  # noqa: E402
from bot.services import Services  # noqa: E402
from summarizer import make_summarizer  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402

QUESTIONS = ["latest on Egypt protests", "latest on Mubarak", "latest on the BP oil spill",
             "latest on Haiti earthquake", "latest on Gaddafi", "who is Barack Obama",
             "timeline of the Libya war", "latest on swine flu", "latest on Michael Jackson",
             "latest on Syria"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path, help="JSONL of articles (e.g. Timeline17)")
    ap.add_argument("--limit", type=int, default=300, help="articles to ingest (default 300)")
    args = ap.parse_args()
    if not args.dataset.is_file():
        print(f"no such dataset: {args.dataset}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / "subset.jsonl"
        with args.dataset.open(encoding="utf-8") as src, subset.open("w", encoding="utf-8") as dst:
            for n, line in enumerate(src):
                if n >= args.limit:
                    break
                dst.write(line)

        t = time.perf_counter()
        items = [a for a in articles_from_paths([str(subset)]) if isinstance(a, Article)]
        read_s = time.perf_counter() - t
        sentences = [s for a in items for s in split_sentences(a.text)]
        words = sum(len(a.text.split()) for a in items)
        print(f"articles: {len(items)}  sentences: {len(sentences)}  words: {words}")
        print(f"baseline read+clean+split: {read_s:7.2f} s  {len(items) / read_s:8.1f} articles/s")

        db = Path(tmp) / "bench.db"
        settings = Settings.load(env={}, dotenv=None, db_path=db)
        index = Index(db, settings)
        index.encoder.encode(["warm up"])
        t = time.perf_counter()
        index.encoder.encode(sentences)
        enc_s = time.perf_counter() - t
        print(f"MiniLM encoding alone:     {enc_s:7.2f} s  {len(sentences) / enc_s:8.1f} sentences/s")

        t = time.perf_counter()
        report = run_ingest([str(subset)], index, progress=sys.stderr.isatty())
        ing_s = time.perf_counter() - t
        print(f"full ingest:               {ing_s:7.2f} s  {report.stored / ing_s:8.2f} articles/s "
              f"({report.stored} stored, {report.duplicates} duplicates, "
              f"{len(report.rejected)} rejected); db {db.stat().st_size / 1e6:.1f} MB")

        services = Services(settings=settings, index=index,
                            summarizer=make_summarizer(settings, index.encoder),
                            registry=load_commands())
        fts, answers = [], []
        for q in QUESTIONS:
            t = time.perf_counter()
            index.search(q.split(" ", 2)[-1])
            fts.append(time.perf_counter() - t)
            t = time.perf_counter()
            reply = asyncio.run(services.registry.dispatch(services.registry.parse(q), services))
            answers.append(time.perf_counter() - t)
            print(f"  {answers[-1] * 1000:7.0f} ms  {q!r}: {reply.kind}, {len(reply.sources)} sources",
                  file=sys.stderr)
        print(f"baseline FTS5 lookup:      median {statistics.median(fts) * 1000:7.1f} ms")
        print(f"answer (latest/who/timeline): median {statistics.median(answers) * 1000:7.0f} ms, "
              f"max {max(answers) * 1000:.0f} ms")
        print(f"peak memory: {peak_mb():.0f} MB")
        print(json.dumps({"articles": len(items), "read_s": round(read_s, 2), "encode_s": round(enc_s, 2),
                          "ingest_s": round(ing_s, 2), "peak_mb": round(peak_mb())}))
        index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
