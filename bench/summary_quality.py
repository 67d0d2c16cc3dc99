"""ROUGE of the single-article summarizer against Lead-3, scored in the same run.

    .venv/bin/python bench/summary_quality.py ../shared/eval/cnndm_test_frank250.jsonl [--limit N]
        [--half even|odd] [--json]

Reads any JSONL with `id`, `article`, `reference` (optional `reference_lines`,
`article_lines`). The system sees only `article`, split by our own splitter —
the same path a digest takes. Scores are F1 x 100 of rouge-score 0.1.2 with
stemming; rougeLsum gets one sentence per line. Baselines:

- lead3: the first three sentences of OUR split (same input as the system);
- lead3_article_lines: the dataset's `article_lines[:3]`, when present (the
  figure published for this dataset, 41.28/18.59/37.45 on the FRANK 250).

`--half even|odd` keeps every other record (by line order) — tuning used the
even half, so the odd half is the held-out check. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summarizer.sentences import split_sentences  # noqa: E402
from summarizer.types import Sentence  # noqa: E402

METRICS = ("rouge1", "rouge2", "rougeLsum")


class DatasetError(ValueError):
    """The dataset file is missing or a line is not a usable record."""


def load_records(path: Path, *, limit: int | None = None, half: str | None = None) -> list[dict]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    records = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
            if not isinstance(rec, dict) or not all(isinstance(rec.get(k), str) for k in ("article", "reference")):
                raise DatasetError(f"{path}:{lineno}: needs string fields 'article' and 'reference'")
            records.append(rec)
    if half is not None:
        records = records[0 if half == "even" else 1::2]
    return records[:limit] if limit else records


def reference_lines(rec: dict) -> list[str]:
    lines = rec.get("reference_lines")
    if isinstance(lines, list) and lines:
        return [str(x) for x in lines]
    return split_sentences(rec["reference"])


def article_sentences(rec: dict) -> list[Sentence]:
    return [Sentence(id=i, article_id=0, position=i, text=t)
            for i, t in enumerate(split_sentences(rec["article"]))]


class RougeAverager:
    """Mean F1 (x100) over pairs, rougeLsum over newline-joined sentences."""

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
        self._sums = dict.fromkeys(METRICS, 0.0)
        self.n = 0

    def add(self, reference: Sequence[str], summary: Sequence[str]) -> None:
        scores = self._scorer.score("\n".join(reference), "\n".join(summary))
        for m in METRICS:
            self._sums[m] += scores[m].fmeasure
        self.n += 1

    def result(self) -> dict[str, float]:
        return {m: round(100 * self._sums[m] / max(self.n, 1), 2) for m in METRICS}


def evaluate(records: Iterable[dict], system: Callable[[list[Sentence]], list[str]],
             progress: bool = True) -> dict:
    records = list(records)
    scores = {"system": RougeAverager(), "lead3": RougeAverager()}
    with_lines = all(isinstance(r.get("article_lines"), list) for r in records)
    if with_lines and records:
        scores["lead3_article_lines"] = RougeAverager()
    for i, rec in enumerate(records, 1):
        ref = reference_lines(rec)
        sents = article_sentences(rec)
        scores["system"].add(ref, system(sents))
        scores["lead3"].add(ref, [s.text for s in sents[:3]])
        if "lead3_article_lines" in scores:
            scores["lead3_article_lines"].add(ref, rec["article_lines"][:3])
        if progress and (i % 10 == 0 or i == len(records)):
            print(f"\r{i}/{len(records)} articles", end="", file=sys.stderr, flush=True)
    if progress and records:
        print(file=sys.stderr)
    return {"n": len(records), **{k: v.result() for k, v in scores.items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path, help="JSONL with id, article, reference")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records")
    ap.add_argument("--half", choices=("even", "odd"), default=None,
                    help="every other record: even = tuning half, odd = held-out half")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    try:
        records = load_records(args.dataset, limit=args.limit, half=args.half)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not records:
        print(f"error: {args.dataset}: no records", file=sys.stderr)
        return 2

    from summarizer.embeddings import Encoder
    from summarizer.extractive import ExtractiveSummarizer

    summarizer = ExtractiveSummarizer(Encoder())

    def system(sents: list[Sentence]) -> list[str]:
        return [s.text for s in summarizer.summarize_article(sents, max_sentences=3).sentences]

    result = evaluate(records, system)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"n = {result['n']} ({args.dataset.name}{', ' + args.half + ' half' if args.half else ''})")
        print(f"{'':22}{'R-1':>8}{'R-2':>8}{'R-Lsum':>8}")
        for name in ("system", "lead3", "lead3_article_lines"):
            if name in result:
                r = result[name]
                print(f"{name:22}{r['rouge1']:8.2f}{r['rouge2']:8.2f}{r['rougeLsum']:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
