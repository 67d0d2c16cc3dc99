"""How fast the summarizer is, next to cheap baselines timed in the same run.

    .venv/bin/python bench/summarizer_speed.py [DATASET.jsonl | DIR_OF_TXT] [--limit N]

Default corpus: the seed pages (seeds/*.txt). Prints sentences per second for
- lead3: splitting only, the floor any summarizer pays;
- tfidf: TF-IDF centrality top-3 (numpy, no model) — the classic cheap baseline;
- extractive: MiniLM encoding + PacSum top-3 per article (what a digest costs
  when embeddings are not stored yet);
- extractive, stored embeddings: PacSum alone (what a digest costs from the index);
- query: one query-focused MMR summary over all sentences (per query, as "latest").
Progress to stderr; figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.sentences import split_sentences  # noqa: E402
from summarizer.types import Sentence  # noqa: E402

_TOKEN = re.compile(r"[a-z0-9]+")


def load_texts(path: Path, limit: int | None) -> list[str]:
    if path.is_dir():
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(path.glob("*.txt"))]
    else:
        with path.open(encoding="utf-8") as fh:
            texts = [json.loads(line)["article"] for line in fh if line.strip()]
    return texts[:limit] if limit else texts


def tfidf_top3(sentences: list[str]) -> list[int]:
    """Indices of the 3 sentences closest to the article's TF-IDF centroid."""
    bags = [Counter(_TOKEN.findall(s.lower())) for s in sentences]
    vocab = {w: k for k, w in enumerate(sorted({w for b in bags for w in b}))}
    if not vocab:
        return list(range(min(3, len(sentences))))
    df = Counter(w for b in bags for w in b)
    mat = np.zeros((len(bags), len(vocab)))
    for r, b in enumerate(bags):
        for w, c in b.items():
            mat[r, vocab[w]] = c * math.log(1 + len(bags) / df[w])
    mat /= np.linalg.norm(mat, axis=1, keepdims=True).clip(min=1e-9)
    cent = mat @ mat.mean(0)
    return sorted(np.argsort(-cent, kind="stable")[:3].tolist())


def rate(name: str, n_sentences: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{name:34}{n_sentences / seconds:12.0f} sentences/s   ({seconds:.2f} s)")
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path, nargs="?", default=ROOT / "seeds")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--query", default="Budapest summit")
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"error: {args.corpus}: no such file or directory", file=sys.stderr)
        return 2
    texts = load_texts(args.corpus, args.limit)

    from summarizer.embeddings import Encoder
    from summarizer.extractive import ExtractiveSummarizer

    encoder = Encoder()
    encoder.encode(["warm-up"])  # model load is not part of the rate
    summarizer = ExtractiveSummarizer(encoder)
    split = [split_sentences(t) for t in texts]
    n = sum(len(s) for s in split)
    print(f"corpus: {args.corpus} — {len(texts)} articles, {n} sentences", file=sys.stderr)

    rate("lead3 (split only)", n, lambda: [split_sentences(t)[:3] for t in texts])
    rate("tfidf centrality top-3", n, lambda: [tfidf_top3(s) for s in split])
    articles = [[Sentence(id=k, article_id=a, position=k, text=t) for k, t in enumerate(s)]
                for a, s in enumerate(split)]
    rate("extractive (encode + PacSum)", n,
         lambda: [summarizer.summarize_article(a, max_sentences=3) for a in articles])
    stored = [[Sentence(s.id, s.article_id, s.position, s.text, None, e)
               for s, e in zip(a, encoder.encode([s.text for s in a]))] for a in articles if a]
    rate("extractive (stored embeddings)", n,
         lambda: [summarizer.summarize_article(a, max_sentences=3) for a in stored])
    pool = [s for a in stored for s in a]
    seconds = rate(f"query over all ({args.query!r})", n,
                   lambda: summarizer.summarize(pool, query=args.query, budget_words=120))
    print(f"{'':34}{seconds * 1000:12.0f} ms per query over {len(pool)} stored sentences")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
