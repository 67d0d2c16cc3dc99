"""Grid search for the PacSum single-article parameters, honestly held out.

    .venv/bin/python bench/tune_single_summary.py ../shared/eval/cnndm_test_frank250.jsonl

Tunes on the even half of the records (by line order), then scores the best few
settings, the current defaults and Lead-3 on the odd half and on all records, so
the figures recorded in summarizer/single.py can be reproduced. Embeddings are
computed once (cached under /tmp/briefbot-tune/, never in the repository) and
ROUGE is memoised per (article, chosen sentences), so the grid stays cheap.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.summary_quality import METRICS, embed_articles, load_records, reference_lines  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402
from summarizer.single import DEFAULTS, PacSumParams, select_sentences  # noqa: E402

GRID = {
    "lead_decay": [1.0, 2.0, 4.0],
    "pacsum_weight": [0.0, 0.4, 0.8],
    "max_words": [40, 50, 60],
    "enough_words": [None, 60, 65, 70, 75],
    "duplicate_cosine": [0.8, 0.9],
}


def embed_all(records: list[dict], cache_dir: Path) -> list[np.ndarray]:
    from summarizer.embeddings import Encoder

    return embed_articles(records, Encoder(), cache_dir)


class Scorer:
    def __init__(self, records: list[dict], embs: list[np.ndarray]) -> None:
        from rouge_score import rouge_scorer

        self.records, self.embs = records, embs
        self.sents = [split_sentences(r["article"]) for r in records]
        self.refs = ["\n".join(reference_lines(r)) for r in records]
        self._rouge = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
        self._memo: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}

    def _pair(self, i: int, picked: tuple[int, ...]) -> np.ndarray:
        key = (i, picked)
        if key not in self._memo:
            s = self._rouge.score(self.refs[i], "\n".join(self.sents[i][j] for j in picked))
            self._memo[key] = np.array([s[m].fmeasure for m in METRICS])
        return self._memo[key]

    def score(self, idx: list[int], params: PacSumParams | None) -> np.ndarray:
        """Mean (R1, R2, RLsum) x 100 over records `idx`; params None = Lead-3 of our split."""
        total = np.zeros(3)
        for i in idx:
            if params is None:
                picked = tuple(range(min(3, len(self.sents[i]))))
            else:
                picked = tuple(select_sentences(self.sents[i], self.embs[i], 3, params))
            total += self._pair(i, picked)
        return 100 * total / max(len(idx), 1)


def fmt(v: np.ndarray) -> str:
    return "/".join(f"{x:.2f}" for x in v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/briefbot-tune"))
    ap.add_argument("--top", type=int, default=8)
    args = ap.parse_args(argv)
    records = load_records(args.dataset)
    scorer = Scorer(records, embed_all(records, args.cache))
    even, odd, every = list(range(0, len(records), 2)), list(range(1, len(records), 2)), list(range(len(records)))

    names = list(GRID)
    results = []
    combos = list(itertools.product(*(GRID[n] for n in names)))
    for k, values in enumerate(combos, 1):
        params = replace(DEFAULTS, **dict(zip(names, values)))
        results.append((scorer.score(even, params), params))
        if k % 100 == 0:
            print(f"\r{k}/{len(combos)} settings", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    # Rank by the mean of the three metrics on the tuning half only.
    results.sort(key=lambda r: -r[0].mean())

    print(f"tuning half n={len(even)}, held-out half n={len(odd)}, all n={len(every)}  (R1/R2/RLsum)")
    print(f"lead3 (our split): tune {fmt(scorer.score(even, None))}  held-out {fmt(scorer.score(odd, None))}"
          f"  all {fmt(scorer.score(every, None))}")
    print(f"current defaults : tune {fmt(scorer.score(even, DEFAULTS))}  held-out "
          f"{fmt(scorer.score(odd, DEFAULTS))}  all {fmt(scorer.score(every, DEFAULTS))}")
    ablation = replace(DEFAULTS, pacsum_weight=0.0)
    print(f"defaults, no PacSum (lead prior + filters only): tune {fmt(scorer.score(even, ablation))}  "
          f"held-out {fmt(scorer.score(odd, ablation))}  all {fmt(scorer.score(every, ablation))}")
    for tune, params in results[:args.top]:
        changed = {k: v for k, v in asdict(params).items() if k in GRID}
        print(f"tune {fmt(tune)}  held-out {fmt(scorer.score(odd, params))}  "
              f"all {fmt(scorer.score(every, params))}  {changed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
