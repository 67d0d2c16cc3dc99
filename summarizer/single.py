"""Single-article extractive summary: position-aware centrality (PacSum).

Plain centrality (TextRank, LexRank) loses to Lead-3 on news because the lead
is what reporters write to summarise. PacSum (Zheng & Lapata 2019, "Sentence
Centrality Revisited for Unsupervised Summarization") makes centrality
directed: a sentence scores for being similar to the sentences that FOLLOW it
(it introduces them) and is penalised for being similar to those BEFORE it (it
repeats them):

    score_i = lambda1 * sum_{j<i} e_ij + lambda2 * sum_{j>i} e_ij,   lambda1 < 0
    e_ij    = max(0, sim_ij - (min + beta * (max - min)))

with sim the cosine of MiniLM sentence embeddings. We add a small lead prior,
trigram blocking (a sentence repeating three words in a row of a chosen one is
skipped) and skip too-short / too-long / junk sentences.

Hyper-parameters were tuned on the even-indexed half of
../shared/eval/cnndm_test_frank250.jsonl (125 articles) and checked on the odd
half; see `bench/summary_quality.py` and DEFAULTS below for the figures.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.filters import junk_reason


@dataclass(frozen=True)
class PacSumParams:
    #: Edge threshold as a fraction of the (max - min) similarity range.
    beta: float = 0.0
    #: Weight on similarity with earlier sentences (negative: repeating is bad).
    lambda1: float = -0.5
    #: Weight on similarity with later sentences (introducing them is good).
    lambda2: float = 1.0
    #: Weight of the min-max-normalised PacSum score against the lead prior exp(-position / lead_decay).
    pacsum_weight: float = 0.8
    lead_decay: float = 2.0
    trigram_blocking: bool = False
    #: Sentences more similar than this to a chosen one are repeats (the same wire line twice).
    duplicate_cosine: float = 0.9
    min_words: int = 5
    max_words: int = 50
    drop_bare_quotes: bool = False


DEFAULTS = PacSumParams()


def pacsum_scores(emb: np.ndarray, *, beta: float, lambda1: float, lambda2: float) -> np.ndarray:
    """Directed centrality of each row of `emb` (unit vectors, in article order)."""
    n = len(emb)
    if n <= 1:
        return np.ones(n, dtype=np.float64)
    sim = (emb @ emb.T).astype(np.float64)
    off = sim[~np.eye(n, dtype=bool)]
    lo, hi = float(off.min()), float(off.max())
    edges = np.clip(sim - (lo + beta * (hi - lo)), 0.0, None)
    np.fill_diagonal(edges, 0.0)
    before = np.tril(edges, -1).sum(axis=1)  # row i: sum over j < i
    after = np.triu(edges, 1).sum(axis=1)    # row i: sum over j > i
    return lambda1 * before + lambda2 * after


def sentence_scores(emb: np.ndarray, params: PacSumParams = DEFAULTS) -> np.ndarray:
    """PacSum (min-max normalised, weighted) plus the lead prior, per sentence in article order."""
    n = len(emb)
    raw = pacsum_scores(emb, beta=params.beta, lambda1=params.lambda1, lambda2=params.lambda2)
    spread = raw.max() - raw.min() if n else 0.0
    norm = (raw - raw.min()) / spread if spread > 0 else np.zeros(n)
    return params.pacsum_weight * norm + np.exp(-np.arange(n) / params.lead_decay)


def select_sentences(texts: Sequence[str], emb: np.ndarray, k: int,
                     params: PacSumParams = DEFAULTS) -> list[int]:
    """Indices (into `texts`, in article order) of at most `k` sentences, returned in article order."""
    n = len(texts)
    if n == 0 or k <= 0:
        return []
    eligible = [junk_reason(t, min_words=params.min_words, max_words=params.max_words,
                            drop_bare_quotes=params.drop_bare_quotes) is None for t in texts]
    if not any(eligible):
        eligible = [True] * n  # an article of only short lines still gets a summary
    score = sentence_scores(emb, params)
    # Ties go to the earlier sentence, so the result is deterministic.
    order = sorted(range(n), key=lambda i: (-score[i], i))
    chosen: list[int] = []
    seen: set[tuple[str, str, str]] = set()
    for i in order:
        if not eligible[i] or any(float(emb[i] @ emb[j]) > params.duplicate_cosine for j in chosen):
            continue
        grams = _trigrams(texts[i])
        if params.trigram_blocking and grams & seen:
            continue
        chosen.append(i)
        seen |= grams
        if len(chosen) == k:
            break
    return sorted(chosen)


_TOKEN = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=65536)
def _trigrams(text: str) -> frozenset[tuple[str, str, str]]:
    toks = _TOKEN.findall(text.lower())
    return frozenset(zip(toks, toks[1:], toks[2:]))
