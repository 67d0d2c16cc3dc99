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

The split is declared up front: records at even positions (0, 2, ..., by line
order) are the tuning half, odd positions the held-out half that no setting was
ever chosen on. Without `--half` the report shows all records, then the odd and
even halves of the same run; `--half even|odd` scores only that half. Each mean
comes with a 95% percentile-bootstrap interval, and so does the paired difference
system minus Lead-3 (per article), since 125 articles are a small sample.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.index.embed_policy import EmbedPolicy, vector_mask  # noqa: E402
from summarizer.embeddings import EncoderBackend  # noqa: E402
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


def article_sentences(rec: dict, embeddings: np.ndarray | None = None,
                      policy: EmbedPolicy = EmbedPolicy.ALL) -> list[Sentence]:
    """The record's sentences as the index stores them: a vector where `policy` gives one."""
    texts = split_sentences(rec["article"])
    mask = vector_mask(texts, policy)
    return [Sentence(id=i, article_id=0, position=i, text=t,
                     embedding=None if embeddings is None or not mask[i] else embeddings[i])
            for i, t in enumerate(texts)]


#: Sentences per encoder call when embedding a whole dataset (progress is shown between calls).
ENCODE_CHUNK = 512


def embed_articles(records: Sequence[dict], encoder, cache_dir: Path | None = None,
                   progress: bool = True) -> list[np.ndarray]:
    """MiniLM vectors of every record's sentences (our split), one array per record.

    Encoded in large length-sorted batches, as ingest does, instead of one call per
    article; with `cache_dir` (under /tmp, never the repository) a second run on the
    same texts reads them back, which makes tuning runs cheap.
    """
    texts = [split_sentences(r["article"]) for r in records]
    flat = [t for ts in texts for t in ts]
    key = hashlib.sha256(("\x1e".join("\x1f".join(t) for t in texts)
                          + encoder.identity).encode()).hexdigest()[:16]
    cache = cache_dir / f"sentences-{key}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        emb = np.load(cache)
    else:
        parts = []
        for start in range(0, len(flat), ENCODE_CHUNK):
            parts.append(encoder.encode(flat[start:start + ENCODE_CHUNK]))
            if progress:
                print(f"\rencoding {min(start + ENCODE_CHUNK, len(flat))}/{len(flat)} sentences",
                      end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
        emb = np.vstack(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, emb)
    out, start = [], 0
    for ts in texts:
        out.append(emb[start:start + len(ts)])
        start += len(ts)
    return out


class RougeAverager:
    """Mean F1 (x100) over pairs, rougeLsum over newline-joined sentences; keeps each
    pair's scores so that confidence intervals can be drawn from them."""

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
        self.rows: list[list[float]] = []  # per pair: F1 x 100 for each of METRICS

    @property
    def n(self) -> int:
        return len(self.rows)

    def add(self, reference: Sequence[str], summary: Sequence[str]) -> None:
        scores = self._scorer.score("\n".join(reference), "\n".join(summary))
        self.rows.append([100 * scores[m].fmeasure for m in METRICS])

    def subset(self, rows: Sequence[int]) -> RougeAverager:
        """The same scorer's results on some of the pairs (e.g. the held-out half)."""
        part = RougeAverager.__new__(RougeAverager)
        part._scorer, part.rows = self._scorer, [self.rows[i] for i in rows]
        return part

    def result(self) -> dict[str, float]:
        if not self.rows:
            return dict.fromkeys(METRICS, 0.0)
        means = np.mean(np.asarray(self.rows), axis=0)
        return {m: round(float(v), 2) for m, v in zip(METRICS, means)}


#: Bootstrap resamples for the 95% intervals; fixed seed, so a rerun prints the same bounds.
RESAMPLES = 2000


def bootstrap_ci(rows: np.ndarray, *, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """95% percentile-bootstrap interval of the mean of each column: shape (columns, 2).

    With 125 or 250 articles a difference of a few tenths is within noise; the interval
    says so. Pass paired differences (system minus baseline, per article) to ask whether
    the system beats the baseline on the same articles.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if len(rows) == 0:
        return np.zeros((rows.shape[1] if rows.ndim == 2 else len(METRICS), 2))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(rows), size=(resamples, len(rows)))
    means = rows[picks].mean(axis=1)  # (resamples, columns)
    return np.percentile(means, [2.5, 97.5], axis=0).T


def intervals(system: RougeAverager, baseline: RougeAverager) -> dict:
    """95% intervals for the system, the baseline and the paired difference, per metric."""
    sys_rows, base_rows = np.asarray(system.rows), np.asarray(baseline.rows)
    out = {}
    for name, rows in (("system", sys_rows), ("lead3", base_rows),
                       ("system_minus_lead3", sys_rows - base_rows)):
        ci = bootstrap_ci(rows)
        out[name] = {m: [round(float(lo), 2), round(float(hi), 2)] for m, (lo, hi) in zip(METRICS, ci)}
    diff = (sys_rows - base_rows).mean(axis=0) if len(sys_rows) else np.zeros(len(METRICS))
    out["difference"] = {m: round(float(v), 2) for m, v in zip(METRICS, diff)}
    return out


def evaluate(records: Iterable[dict], system: Callable[[list[Sentence]], list[str]],
             progress: bool = True, halves: bool = False,
             embeddings: Sequence[np.ndarray] | None = None,
             policy: EmbedPolicy = EmbedPolicy.ALL,
             baseline: tuple[Callable[[list[Sentence]], list[str]],
                             Sequence[np.ndarray]] | None = None) -> dict:
    """Mean ROUGE of the system and the baselines, with 95% intervals; `halves` adds the
    same for the even (tuning) and odd (held-out) records, from this one run. With
    `embeddings` (per record, from `embed_articles`) the system's sentences carry their
    vectors, as stored sentences do in the index: those `policy` gives one; with a policy
    other than ALL the row system_embed_all scores the system with every vector (the
    baseline of BRIEFBOT_EMBED_SENTENCES) on the same records. `baseline` (a system and
    its vectors, e.g. MiniLM's when the system row uses another encoder) scores that row
    instead, with every vector."""
    records = list(records)
    scores = {"system": RougeAverager(), "lead3": RougeAverager()}
    compare = baseline is not None or (embeddings is not None and policy is not EmbedPolicy.ALL)
    if compare:
        scores["system_embed_all"] = RougeAverager()
    with_lines = all(isinstance(r.get("article_lines"), list) for r in records)
    if with_lines and records:
        scores["lead3_article_lines"] = RougeAverager()
    for i, rec in enumerate(records, 1):
        ref = reference_lines(rec)
        vectors = None if embeddings is None else embeddings[i - 1]
        sents = article_sentences(rec, vectors, policy)
        scores["system"].add(ref, system(sents))
        if baseline is not None:
            scores["system_embed_all"].add(ref, baseline[0](article_sentences(rec, baseline[1][i - 1])))
        elif compare:
            scores["system_embed_all"].add(ref, system(article_sentences(rec, vectors)))
        scores["lead3"].add(ref, [s.text for s in sents[:3]])
        if "lead3_article_lines" in scores:
            scores["lead3_article_lines"].add(ref, rec["article_lines"][:3])
        if progress and (i % 10 == 0 or i == len(records)):
            print(f"\r{i}/{len(records)} articles", end="", file=sys.stderr, flush=True)
    if progress and records:
        print(file=sys.stderr)
    out = {"n": len(records), **{k: v.result() for k, v in scores.items()},
           "ci95": intervals(scores["system"], scores["lead3"])}
    if halves and len(records) > 1:
        for half, start in (("even", 0), ("odd", 1)):
            part = {k: v.subset(range(start, len(records), 2)) for k, v in scores.items()}
            out[half] = {"n": part["system"].n, **{k: v.result() for k, v in part.items()},
                         "ci95": intervals(part["system"], part["lead3"])}
    return out


def print_table(result: dict, label: str) -> None:
    ci = result["ci95"]
    print(f"n = {result['n']} ({label})")
    print(f"{'':22}{'R-1':>8}{'R-2':>8}{'R-Lsum':>8}   95% bootstrap intervals, R-1 / R-2 / R-Lsum")
    for name in ("system", "system_embed_all", "lead3", "lead3_article_lines"):
        if name in result:
            r = result[name]
            bounds = " / ".join(f"{lo:.2f}-{hi:.2f}" for lo, hi in ci.get(name, {}).values())
            print(f"{name:22}{r['rouge1']:8.2f}{r['rouge2']:8.2f}{r['rougeLsum']:8.2f}   {bounds}")
    d = ci["difference"]
    bounds = " / ".join(f"{lo:+.2f} to {hi:+.2f}" for lo, hi in ci["system_minus_lead3"].values())
    print(f"{'system - lead3':22}{d['rouge1']:+8.2f}{d['rouge2']:+8.2f}{d['rougeLsum']:+8.2f}"
          f"   {bounds} (paired, per article)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path, help="JSONL with id, article, reference")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records")
    ap.add_argument("--half", choices=("even", "odd"), default=None,
                    help="every other record: even = tuning half, odd = held-out half")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep sentence vectors in this folder (e.g. /tmp/briefbot-bench) and "
                         "reuse them on the next run over the same texts")
    ap.add_argument("--embed-sentences", type=EmbedPolicy, default=EmbedPolicy.SHOWN,
                    choices=list(EmbedPolicy), help="which sentences have a vector for the "
                    "system row (as BRIEFBOT_EMBED_SENTENCES); system_embed_all is the baseline")
    ap.add_argument("--encoder", type=EncoderBackend, default=EncoderBackend.AUTO,
                    choices=list(EncoderBackend), help="encoder of the system row (as "
                    "BRIEFBOT_ENCODER); system_embed_all then keeps MiniLM and every vector")
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

    encoder = Encoder(backend=args.encoder)
    summarizer = ExtractiveSummarizer(encoder)
    vectors = embed_articles(records, encoder, args.cache)

    def system(sents: list[Sentence]) -> list[str]:
        return [s.text for s in summarizer.summarize_article(sents, max_sentences=3).sentences]

    baseline = None
    if encoder.identity != Encoder().identity:  # another vector space: MiniLM is the baseline
        minilm = ExtractiveSummarizer(Encoder())

        def minilm_system(sents: list[Sentence]) -> list[str]:
            return [s.text for s in minilm.summarize_article(sents, max_sentences=3).sentences]

        baseline = (minilm_system, embed_articles(records, minilm.encoder, args.cache))
    result = evaluate(records, system, halves=args.half is None, embeddings=vectors,
                      policy=args.embed_sentences, baseline=baseline)
    if args.json:
        print(json.dumps(result))
        return 0
    label = f"{args.dataset.name}{', ' + args.half + ' half' if args.half else ''}"
    print_table(result, label)
    if "odd" in result:
        print()
        print_table(result["odd"], f"{args.dataset.name}, odd half (held out: never tuned on)")
        print()
        print_table(result["even"], f"{args.dataset.name}, even half (tuned on)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
