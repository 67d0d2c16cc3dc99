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
a length rule (stop once the summary has `enough_words`), optional trigram
blocking, and skip too-short / too-long / junk sentences.

Tuning, honestly. The split is declared up front: the even-indexed records of
../shared/eval/cnndm_test_frank250.jsonl (125 articles, by line order) are the
tuning half, the odd-indexed ones the held-out half, on which no setting was ever
chosen (its figures were printed in earlier sessions and for a few variants in this
one, so it is not pristine, but choices were ranked on the tuning half only). `bench/tune_single_summary.py` grid-searches lead_decay, pacsum_weight,
max_words, duplicate_cosine and enough_words on the tuning half and ranks by the
mean of R-1/R-2/R-Lsum there. `bench/summary_quality.py` prints the figures with
95% bootstrap intervals. ROUGE F1 x 100, R-1/R-2/R-Lsum, our own sentence split as
input, 2 Dec 2026:

                                   tune half          held-out half      all 250
    Lead-3 (first 3 of our split)  41.45/18.76/37.58  41.19/18.99/37.29  41.32/18.88/37.43
    DEFAULTS (below)               42.37/19.50/38.47  41.94/19.28/37.91  42.15/19.39/38.19
    DEFAULTS, enough_words=None    42.07/19.31/38.25  41.59/19.16/37.65  41.80/19.21/37.92
    DEFAULTS with pacsum_weight=0  42.31/19.47/38.37  41.89/19.25/37.83  42.10/19.36/38.10

Paired difference DEFAULTS minus Lead-3, 95% bootstrap interval: all 250 +0.83
(+0.41..+1.26) / +0.51 (+0.17..+0.89) / +0.76 (+0.36..+1.17); held-out half +0.74
(+0.29..+1.25) / +0.28 (-0.08..+0.68) / +0.62 (+0.21..+1.08): on R-2 the held-out
gain is within noise. What we learned: the gain comes from (1) the sentence filter
(skipping fragments, captions fused into 50+-word "sentences", headlines,
boilerplate) and (2) the length rule `enough_words`: references average ~50 words
while three lead sentences run ~80, so when the two best sentences already make 70
words a third costs more precision than it adds recall. PacSum only breaks ties
among the lead on this news set (with MiniLM, not the paper's fine-tuned BERT,
centrality alone loses to the lead). Tried and rejected on the tuning half: a
sentence-length prior, a bonus for numbers, four sentences, stricter redundancy
(cosine 0.7-0.8) and trigram blocking (it drops good lead sentences that share a
phrase). We keep PacSum because digests also see feature-style pieces whose first
lines are not a summary, where centrality is the only signal.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.filters import junk_reason, word_count


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
    #: Stop adding sentences once the summary has this many words (None: always `k`).
    #: Highlights average ~50 words; three lead sentences ~80, so a third long one costs
    #: more precision than it adds recall.
    enough_words: int | None = 70


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
    """Indices (into `texts`) of at most `k` sentences, best first until the summary has
    `params.enough_words` words, returned in article order."""
    chosen: list[int] = []
    words = 0
    for i in ranked_sentences(texts, emb, params):
        if len(chosen) >= k or (chosen and params.enough_words is not None
                                and words >= params.enough_words):
            break
        chosen.append(i)
        words += word_count(texts[i])
    return sorted(chosen)


def ranked_sentences(texts: Sequence[str], emb: np.ndarray,
                     params: PacSumParams = DEFAULTS) -> list[int]:
    """Indices of the sentences worth showing, best first, each repeat of a better one left out.

    The story cards of a digest take their sentences from this ranking (with facet
    cues), so a card and a summary agree on what an article says first.
    """
    n = len(texts)
    if n == 0:
        return []
    eligible = [junk_reason(t, min_words=params.min_words, max_words=params.max_words,
                            drop_bare_quotes=params.drop_bare_quotes) is None for t in texts]
    if not any(eligible):
        eligible = [True] * n  # an article of only short lines still gets a summary
    score = sentence_scores(emb, params)
    sim = emb @ emb.T
    # Ties go to the earlier sentence, so the result is deterministic.
    order = sorted(range(n), key=lambda i: (-score[i], i))
    chosen: list[int] = []
    seen: set[tuple[str, str, str]] = set()
    for i in order:
        if not eligible[i] or (chosen and float(sim[i, chosen].max()) > params.duplicate_cosine):
            continue
        grams = _trigrams(texts[i])
        if params.trigram_blocking and grams & seen:
            continue
        chosen.append(i)
        seen |= grams
    return chosen


_TOKEN = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=65536)
def _trigrams(text: str) -> frozenset[tuple[str, str, str]]:
    toks = _TOKEN.findall(text.lower())
    return frozenset(zip(toks, toks[1:], toks[2:]))
