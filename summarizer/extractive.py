"""The default summarizer: extractive, query-focused, multi-document.

Every output sentence is a stored sentence object, unchanged, so the caller can
cite its article. Choosing works like Maximal Marginal Relevance (Carbonell &
Goldstein 1998) over MiniLM embeddings:

    base_i = w_rel * relevance_i + w_cent * centrality_i + w_lead * lead_i + w_support * support_i
             (+ w_recent * recency_i when the reader asked for the latest)
    pick argmax  lam * base_i - (1 - lam) * max_sim(i, chosen) - w_div * n_chosen(article_i)

- relevance: cosine with the query embedding blended with IDF-weighted query-word
  overlap (names like "Budapest" matter more than embeddings credit them for),
  widened by pseudo-relevance feedback (see `_relevance`); it saturates, so once a
  sentence is plainly on topic, lead, centrality and recency decide. An article
  with no plain match contributes nothing, so an unrelated story in the same set
  cannot leak in, and a topic with no match gives an empty summary;
- centrality: similarity to the relevance-weighted centroid of the set — what
  many sources say is likely the core of the story;
- lead: news puts the gist first (scaled by how on-topic the lead is);
- support: how closely the other on-topic articles echo the sentence once the
  query's own direction is taken out, counted by article (see `_support`): a fact
  two sources report ("Tomahawk missiles were discussed") outranks a flourish that
  only names the topic ("The world will watch Budapest");
- recency: newest article 1, older ones decay with a half-life; unknown dates
  are neutral (0), never treated as new or old;
- carry: a short sentence that names nothing of its own ("No firm date was
  set.") inherits most of its predecessor's relevance and may only be chosen
  right after it, so it is never shown without what it continues;
- bonus: whatever the caller adds per sentence (`latest` favours sentences that
  say when an event happens, see summarizer/facets.py);
- openers that lean on an unseen sentence ("That possibility...") are penalised,
  and low scorers never fill leftover budget;
- near-duplicates (the same wire sentence from two publishers) are dropped; of
  exact repeats the newest copy is kept when the reader asked for the latest.

Weights were set by reading answers on the seed pages and checked on
bench/latest_quality.py (Timeline17); they are not tuned to that benchmark,
whose differences between settings were within noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from summarizer.embeddings import Encoder
from summarizer.facets import fact_density, hedges, shared_figures
from summarizer.filters import is_junk
from summarizer.lexical import (dangles, leans_on_context, normalised, pronoun_subject,
                                query_overlap)
from summarizer.single import DEFAULTS as PACSUM_DEFAULTS
from summarizer.single import PacSumParams, select_sentences
from summarizer.types import Sentence, Summary


@dataclass(frozen=True)
class MMRParams:
    w_rel: float = 1.0
    w_cent: float = 0.3
    #: Weight of the lead prior exp(-position / lead_decay): news puts the gist first.
    w_lead: float = 0.4
    lead_decay: float = 3.0
    w_recent: float = 0.35
    #: MMR trade-off between score and novelty.
    lam: float = 0.6
    #: Penalty per sentence already taken from the same article (spreads citations).
    w_div: float = 0.08
    #: Share of the query-word overlap in relevance (the rest is embedding cosine).
    lexical_share: float = 0.35
    #: A sentence plainly about the query has an embedding cosine of at least this
    #: (MiniLM: unrelated news sentences score about 0.1-0.3 against a topic, on-topic 0.35-0.8)...
    min_cosine: float = 0.33
    #: ...or contains most of the query's words (IDF-weighted) and has at least this.
    min_cosine_with_words: float = 0.25
    #: Pseudo-relevance feedback: the query is widened by the mean of its best plain matches.
    feedback_sentences: int = 5
    #: In an article with a plain match, a sentence near the widened query is on topic...
    min_feedback_cosine: float = 0.2
    #: ...and so is a lead sentence that is at least loosely related (the lead tells the story).
    min_lead_cosine: float = 0.15
    lead_sentences: int = 3
    #: Relevance above this counts the same: then lead, centrality and recency decide.
    rel_saturation: float = 0.5
    #: Sentences this similar to a chosen one are the same sentence from another publisher.
    duplicate_cosine: float = 0.9
    #: Penalty for openers that lean on a sentence the reader will not see ("That possibility...").
    w_dangling: float = 0.15
    recency_half_life_days: float = 2.0
    #: Candidates scoring under this share of the best one never fill leftover budget.
    min_score_ratio: float = 0.55
    #: Only the best this-many candidates enter the MMR loop (keeps it fast on big topics).
    pool: int = 300
    #: Weight of cross-source support: what other articles of the set also report.
    w_support: float = 0.4
    #: A sentence this short continues the one before it ("No firm date was set."): it
    #: inherits this share of its predecessor's relevance, and may be chosen only right
    #: after it, so it never appears without what it continues. 0 turns this off.
    carry_max_words: int = 12
    carry_share: float = 0.8
    #: Key facts over filler: what, where, when, who and how many a sentence states
    #: (summarizer/facets.py fact_density) count for it, as a tie-breaker: at 0.12 it
    #: cost 0.5 ROUGE-1 on bench/latest_quality.py (journalists' entries are not lists
    #: of names and numbers)...
    w_facts: float = 0.03
    #: ...and saying what is not known ("it's unclear if...") counts against it.
    w_hedge: float = 0.2
    #: The same fact reported by other sources (near-identical sentences of other
    #: articles, up to three) ranks it higher; it is shown once, citing them all.
    w_agree: float = 0.03
    #: Two sentences stating the same figure ("1,500–1,600 km") and at least this similar
    #: tell one fact: only one is shown.
    fact_duplicate_cosine: float = 0.55


class ExtractiveSummarizer:
    """Implements summarizer.types.Summarizer without generating a single word."""

    def __init__(self, encoder: Encoder, *, mmr: MMRParams | None = None,
                 pacsum: PacSumParams | None = None) -> None:
        self.encoder = encoder
        self.mmr = mmr or MMRParams()
        self.pacsum = pacsum or PACSUM_DEFAULTS

    # --- single article (digests) ------------------------------------------------
    def summarize_article(self, sentences: Sequence[Sentence], *, max_sentences: int = 3) -> Summary:
        ordered = sorted(_rankable(sentences), key=lambda s: (s.position, s.id))
        if not ordered:
            return Summary(())
        emb = self._embeddings(ordered)
        picked = select_sentences([s.text for s in ordered], emb, max_sentences, self.pacsum)
        return Summary(tuple(ordered[i] for i in picked))

    # --- query-focused, many articles ---------------------------------------------
    def summarize(self, sentences: Sequence[Sentence], *, query: str | None,
                  budget_words: int = 120, prefer_recent: bool = False,
                  bonus: Mapping[int, float] | None = None) -> Summary:
        """Relevant, non-redundant sentences within `budget_words` (never exceeded).

        `bonus` (sentence id -> score) lets a command favour a facet it wants covered,
        such as when an event happens; it only reorders sentences already on topic.
        """
        if budget_words <= 0:
            return Summary(())
        bonus = bonus or {}
        strict = self._summarize([s for s in sentences if not is_junk(s.text)],
                                 query, budget_words, prefer_recent, bonus)
        if strict.sentences:
            return strict
        # Nothing but headlines on this topic: a headline is better than silence.
        return self._summarize([s for s in sentences if not is_junk(s.text, lenient=True)],
                               query, budget_words, prefer_recent, bonus)

    def _summarize(self, pool: list[Sentence], query: str | None, budget_words: int,
                   prefer_recent: bool, bonus: Mapping[int, float]) -> Summary:
        p = self.mmr
        cands, twins = _unique(_rankable(pool), newest_first=prefer_recent)
        if not cands:
            return Summary(())
        emb = self._embeddings(cands)
        lead = np.exp(-np.array([s.position for s in cands], dtype=np.float64) / p.lead_decay)
        support = np.zeros(len(cands))
        if query and query.strip():
            qvec = self.encoder.encode([query.strip()])[0]
            rel, keep, topical = self._relevance(cands, emb, query.strip(), qvec)
            rel, keep, topical, needs = self._carry(cands, rel, keep, topical)
            if p.w_support:
                support = _support(cands, emb, keep, qvec)
            weights = np.clip(rel, 0, None) ** 2 * keep
            # A lead earns its bonus in proportion to how plainly it is about the topic.
            lead = lead * topical
            # Past a point, "more similar to the query" is not "more worth reading".
            rel = np.minimum(rel, p.rel_saturation)
        else:
            rel = np.zeros(len(cands))
            keep = np.ones(len(cands), dtype=bool)
            needs = {}
            weights = np.ones(len(cands))
        keep, needs = _pronouns_follow(cands, keep, needs)
        if not keep.any():
            return Summary(())
        centroid = (weights[:, None] * emb).sum(0)
        norm = np.linalg.norm(centroid)
        cent = emb @ (centroid / norm) if norm > 0 else np.zeros(len(cands))
        dangling = np.array([bool(dangles(s.text)) for s in cands])
        facts = np.array([fact_density(s.text) for s in cands])
        hedged = np.array([hedges(s.text) for s in cands])
        agree = _agreement(cands, emb, keep, p.duplicate_cosine) + np.array(
            [len({t.article_id for t in twins.get(s.id, ())}) for s in cands])
        base = (p.w_rel * rel + p.w_cent * cent + p.w_lead * lead + p.w_support * support
                - p.w_dangling * dangling + p.w_facts * facts - p.w_hedge * hedged
                + p.w_agree * np.minimum(agree, 3) / 3)
        if prefer_recent:
            base = base + p.w_recent * _recency(cands, p.recency_half_life_days)
        if bonus:
            base = base + np.array([bonus.get(s.id, 0.0) for s in cands])

        floor = p.min_score_ratio * float(base[keep].max())
        idx = [int(i) for i in np.flatnonzero(keep & (base >= floor))]
        idx.sort(key=lambda i: (-base[i], cands[i].article_id, cands[i].position, cands[i].id))
        chosen, same = self._mmr(cands, emb, base, idx[:p.pool], budget_words, needs)
        picked = [cands[i] for i in chosen]
        if prefer_recent:
            picked.sort(key=_recent_reading_key)
        picked = _after_predecessors(picked, {cands[i].id: cands[j].id for i, j in needs.items()})
        also = {}
        on_topic = np.flatnonzero(keep)
        for i in chosen:
            sims = emb[on_topic] @ emb[i]
            echoes = [int(k) for k, sim in zip(on_topic, sims, strict=True)
                      if sim >= p.duplicate_cosine or (sim >= p.fact_duplicate_cosine
                                                       and shared_figures(cands[k].text, cands[i].text))]
            others = [*twins.get(cands[i].id, ()), *(cands[k] for k in [*same.get(i, ()), *echoes])]
            sources = {s.article_id: s for s in others if s.article_id != cands[i].article_id}
            if sources:
                also[cands[i].id] = tuple(sources.values())
        return Summary(tuple(picked), also)

    def _relevance(self, cands: list[Sentence], emb: np.ndarray, query: str,
                   q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(relevance score, on-topic mask, topicality in [0, 1]) per candidate.

        A short query ("Budapest summit") embeds poorly against a sentence that
        tells the story in other words ("agreed to meet in Hungary"), so: plain
        matches first; they define the topic (pseudo-relevance feedback, Rocchio
        style) and which articles are on it; within those articles, sentences near
        the widened query, and lead sentences loosely related to it, are on topic
        too. An article without a single plain match contributes nothing.
        """
        p = self.mmr
        cosine = emb @ q
        lexical = query_overlap(query, [s.text for s in cands])
        plain = (cosine >= p.min_cosine) | ((lexical >= 0.5) & (cosine >= p.min_cosine_with_words))
        if not plain.any():
            return np.zeros(len(cands)), plain, np.zeros(len(cands))
        matches = sorted(np.flatnonzero(plain), key=lambda i: (-(cosine[i] + lexical[i]), i))
        widened = q + emb[matches[:p.feedback_sentences]].mean(0)
        widened_cos = emb @ (widened / np.linalg.norm(widened))
        articles = {cands[i].article_id for i in matches}
        in_article = np.array([s.article_id in articles for s in cands])
        is_lead = np.array([s.position < p.lead_sentences for s in cands])
        keep = plain | (in_article & ((widened_cos >= p.min_feedback_cosine)
                                      | (is_lead & (widened_cos >= p.min_lead_cosine))))
        rel = (1 - p.lexical_share) * np.maximum(cosine, widened_cos) + p.lexical_share * lexical
        topical = np.clip(np.maximum(cosine, widened_cos) / p.min_feedback_cosine, 0.0, 1.0) * keep
        return rel, keep, topical

    def _carry(self, cands: list[Sentence], rel: np.ndarray, keep: np.ndarray,
               topical: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, int]]:
        """A short sentence that names nothing of its own continues its predecessor's topic.

        "No firm date was set" scores nothing against "Budapest summit" on its own, yet
        right after "a meeting in Hungary would follow..." it is news about the summit.
        Returns relevance, on-topic mask and topicality with such sentences raised, and
        {carried sentence: the sentence it must follow}.
        """
        p = self.mmr
        rel, keep, topical = rel.copy(), keep.copy(), topical.copy()
        needs: dict[int, int] = {}
        if not p.carry_share or not p.carry_max_words:
            return rel, keep, topical, needs
        for i in range(1, len(cands)):
            s, prev = cands[i], cands[i - 1]
            inherited = p.carry_share * rel[i - 1]
            if (keep[i - 1] and not keep[i] and s.article_id == prev.article_id
                    and s.position == prev.position + 1
                    and len(s.text.split()) <= p.carry_max_words and leans_on_context(s.text)
                    and inherited > rel[i]):
                rel[i], keep[i] = inherited, True
                topical[i] = p.carry_share * topical[i - 1]
                needs[i] = i - 1
        return rel, keep, topical, needs

    def _mmr(self, cands: list[Sentence], emb: np.ndarray, base: np.ndarray, pool: list[int],
             budget_words: int, needs: dict[int, int]) -> tuple[list[int], dict[int, list[int]]]:
        """(chosen indices, {chosen: the same fact from other sentences, skipped})."""
        p = self.mmr
        chosen: list[int] = []
        same: dict[int, list[int]] = {}
        per_article: dict[int, int] = {}
        used = 0
        remaining = list(pool)
        max_sim = np.zeros(len(cands))
        chosen_texts: list[str] = []
        while remaining:
            best, best_val = -1, -math.inf
            for i in remaining:
                if i in needs and needs[i] not in chosen:
                    continue  # waits for the sentence it continues
                val = (p.lam * base[i] - (1 - p.lam) * max_sim[i]
                       - p.w_div * per_article.get(cands[i].article_id, 0))
                if val > best_val:
                    best, best_val = i, val
            if best < 0:
                break
            remaining.remove(best)
            twin = self._same_fact(cands, emb, best, chosen, chosen_texts)
            if twin is not None:
                same.setdefault(twin, []).append(best)
                continue
            words = len(cands[best].text.split())
            if used + words > budget_words:
                continue
            chosen.append(best)
            chosen_texts.append(normalised(cands[best].text))
            used += words
            per_article[cands[best].article_id] = per_article.get(cands[best].article_id, 0) + 1
            max_sim = np.maximum(max_sim, emb @ emb[best])
        return chosen, same

    def _same_fact(self, cands: list[Sentence], emb: np.ndarray, i: int, chosen: list[int],
                   chosen_texts: list[str]) -> int | None:
        """The chosen sentence that already tells what sentence i tells, if any: the same
        words (one inside the other), near-identical wording, or the same figure in
        similar words ("a range of roughly 1,500–1,600 km" twice)."""
        if not chosen:
            return None
        text = normalised(cands[i].text)
        sims = emb[chosen] @ emb[i]
        for k, j in enumerate(chosen):
            if (text in chosen_texts[k] or chosen_texts[k] in text
                    or sims[k] >= self.mmr.duplicate_cosine
                    or (sims[k] >= self.mmr.fact_duplicate_cosine
                        and shared_figures(cands[i].text, cands[j].text))):
                return j
        return None

    def _embeddings(self, sentences: Sequence[Sentence]) -> np.ndarray:
        """Stored embeddings where present; the encoder fills in the rest."""
        missing = [i for i, s in enumerate(sentences) if s.embedding is None]
        fresh = self.encoder.encode([sentences[i].text for i in missing]) if missing else None
        out = np.zeros((len(sentences), _dim(sentences, fresh)), dtype=np.float32)
        for i, s in enumerate(sentences):
            if s.embedding is not None:
                out[i] = s.embedding
        for row, i in enumerate(missing):
            out[i] = fresh[row]  # type: ignore[index]
        return out


def _support(cands: list[Sentence], emb: np.ndarray, keep: np.ndarray,
             query_vec: np.ndarray) -> np.ndarray:
    """Cross-source support in [0, 1]: how closely the other on-topic articles echo a sentence.

    What several sources report is the core of a story (the centroid idea of Radev et
    al. 2004, counted by source): for every other article with a sentence on the topic,
    the sentence's best match there, averaged over those articles, so ten sentences of
    one article count once. The query's own direction is taken out of the embeddings
    first, because two sentences that merely name the topic do not report the same fact.
    Scaled so that the median kept sentence scores 0 and the best-supported one 1.
    """
    article = np.array([s.article_id for s in cands])
    on_topic = np.unique(article[keep])
    if len(on_topic) < 2:
        return np.zeros(len(cands))
    q = query_vec / np.linalg.norm(query_vec)
    rest = emb - np.outer(emb @ q, q)
    rest = rest / np.maximum(np.linalg.norm(rest, axis=1, keepdims=True), 1e-9)
    total = np.zeros(len(cands))
    for a in on_topic:
        best = (rest @ rest[article == a].T).max(1)
        total += np.where(article == a, 0.0, best)
    raw = total / (len(on_topic) - 1)
    mid, top = float(np.median(raw[keep])), float(raw[keep].max())
    if top <= mid:
        return np.zeros(len(cands))
    return np.clip((raw - mid) / (top - mid), 0.0, 1.0)


def _rankable(sentences: Sequence[Sentence]) -> list[Sentence]:
    """The sentences ranked by meaning: those with a stored vector. Ingest stores one for
    every sentence an answer may show (bot/index/embed_policy.py) and none for the rest,
    which encoding at question time would make slow; text that never went through the
    index has no vectors at all, and then the encoder embeds every sentence."""
    stored = [s for s in sentences if s.embedding is not None]
    return stored if stored else list(sentences)


def _dim(sentences: Sequence[Sentence], fresh: np.ndarray | None) -> int:
    if fresh is not None:
        return fresh.shape[1]
    return int(np.asarray(sentences[0].embedding).shape[-1])


def _unique(sentences: list[Sentence], *, newest_first: bool = False
            ) -> tuple[list[Sentence], dict[int, list[Sentence]]]:
    """Drop exact repeats (same words): keep the first in (article, position) order, or the
    newest copy when `newest_first`. Returns the kept sentences in (article, position)
    order, and {kept id: its repeats} (the same wire sentence in other sources)."""
    def key(s: Sentence) -> tuple:
        t = _timestamp(s.published)
        age = (1, 0.0) if t is None else (0, -t)
        return (*(age if newest_first else ()), s.article_id, s.position, s.id)

    kept: dict[str, Sentence] = {}
    twins: dict[int, list[Sentence]] = {}
    for s in sorted(sentences, key=key):
        text = normalised(s.text)
        if text in kept:
            twins.setdefault(kept[text].id, []).append(s)
        else:
            kept[text] = s
    return sorted(kept.values(), key=lambda s: (s.article_id, s.position, s.id)), twins


def _agreement(cands: list[Sentence], emb: np.ndarray, keep: np.ndarray,
               threshold: float) -> np.ndarray:
    """For each on-topic sentence, how many other articles have a near-identical one."""
    out = np.zeros(len(cands))
    idx = np.flatnonzero(keep)
    if len(idx) < 2:
        return out
    sims = emb[idx] @ emb[idx].T
    articles = np.array([cands[i].article_id for i in idx])
    for row, i in enumerate(idx):
        close = (sims[row] >= threshold) & (articles != articles[row])
        out[i] = len(set(articles[close].tolist()))
    return out


def _pronouns_follow(cands: list[Sentence], keep: np.ndarray,
                     needs: dict[int, int]) -> tuple[np.ndarray, dict[int, int]]:
    """A sentence whose subject is a pronoun ("He wants any deal...") may be shown only
    right after the sentence before it in its article, which names who that is."""
    keep, needs = keep.copy(), dict(needs)
    for i, s in enumerate(cands):
        if not keep[i] or i in needs or not pronoun_subject(s.text):
            continue
        prev = cands[i - 1] if i else None
        if prev is not None and prev.article_id == s.article_id and prev.position == s.position - 1:
            needs[i] = i - 1
        else:
            keep[i] = False
    return keep, needs


def _after_predecessors(picked: list[Sentence], needs: dict[int, int]) -> list[Sentence]:
    """Move each sentence that continues another right after it, whatever the order."""
    order = [s for s in picked if s.id not in needs]
    for s in picked:
        if s.id in needs:
            at = next((k for k, t in enumerate(order) if t.id == needs[s.id]), len(order) - 1)
            order.insert(at + 1, s)
    return order


def _timestamp(d: datetime | None) -> float | None:
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.timestamp()


def _recency(sentences: Sequence[Sentence], half_life_days: float) -> np.ndarray:
    """Newest article 1, decaying to -1 with age; unknown dates 0 (neutral)."""
    stamps = [_timestamp(s.published) for s in sentences]
    known = [t for t in stamps if t is not None]
    if not known:
        return np.zeros(len(sentences))
    newest = max(known)
    out = np.zeros(len(sentences))
    for i, t in enumerate(stamps):
        if t is not None:
            age_days = (newest - t) / 86400.0
            out[i] = 2.0 * 0.5 ** (age_days / half_life_days) - 1.0
    return out


def _recent_reading_key(s: Sentence) -> tuple[int, float, int, int, int]:
    t = _timestamp(s.published)
    return (1 if t is None else 0, -(t or 0.0), s.article_id, s.position, s.id)
