"""Growing an archive from articles analysed once: varied copies written as ingest writes them.

Benchmarks and load tests need archives of 100,000 articles; running spaCy and MiniLM
over each would take days. This module takes an article already analysed by the real
models (`analyse`: the same `_fingerprint` + `_analyse` that `Index.add_many` runs before
its write transaction), derives a *varied copy* from it (`vary`: sentences dropped and
locally shuffled, common words reworded, another title, publisher and date), and stores it
through the index's own write function (`write`: `Index._write`, the transaction ingest
uses). Whatever the on-disk format is (vector codec, where text lives), a copy is stored
exactly as ingest would store an article with that text, entities and events; duplicate
detection stays on, so a copy too close to a stored article is merged as another source.

The only approximation: a reworded sentence keeps its original sentence's vector (the
swaps are near-synonyms), and mentions keep the entity resolution of the original article.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import numpy as np

from bot.index.db import transaction
from bot.index.dedup import Fingerprint
from bot.index.rows import AddResult
from bot.index.store import Index, _article_events, _Prepared
from bot.ingest.model import Article

__all__ = ["REWORDINGS", "analyse", "vary", "write", "write_many"]

#: Lower-case word swaps a rewording editor might make; never touches a name (capitalised).
REWORDINGS: dict[str, str] = {
    "said": "stated", "says": "states", "officials": "authorities", "people": "residents",
    "government": "administration", "country": "nation", "killed": "left dead",
    "reported": "said", "announced": "declared", "week": "seven days", "also": "in addition",
    "large": "big", "major": "big", "help": "assist", "began": "started", "according to":
    "citing", "however": "but", "attack": "assault", "city": "town", "told": "informed",
}
_WORD = re.compile(r"\b(" + "|".join(re.escape(k) for k in REWORDINGS) + r")\b")
_PUBLISHERS = [f"{city} {kind}" for city in ("Northport", "Lakeside", "Eastbridge", "Milltown",
                                             "Harbor City", "Westfield", "Ridgeview", "Stonebay")
               for kind in ("Herald", "Gazette", "Courier", "Tribune", "Daily")]
_TITLE_PREFIXES = ("", "", "Update: ", "Analysis: ", "Live: ", "What we know: ", "Explainer: ")


def analyse(index: Index, articles: Sequence[Article]) -> list[_Prepared]:
    """What `Index.add_many` computes for these articles before writing (real models)."""
    prepared = [index._fingerprint(a) for a in articles]
    index._analyse(prepared)
    return prepared


def reword(sentence: str, rng: random.Random) -> str:
    """Swap about half of the rewordable common words in a sentence."""
    return _WORD.sub(lambda m: REWORDINGS[m.group(1)] if rng.random() < 0.5 else m.group(1),
                     sentence)


def vary(template: _Prepared, copy: int, *, exact: bool = False, mix: _Prepared | None = None,
         max_shift_days: int = 730) -> _Prepared:
    """Copy number `copy` of an analysed article, ready for `write`.

    The copy keeps the lead sentence and 20-50% of the others (locally shuffled, about
    half reworded), ends with up to three sentences of `mix` (another analysed article:
    a wrap-up of related news), under another title, publisher and date (shifted by up to
    `max_shift_days` either way). With `exact` the text is unchanged (a wire story
    re-published by another outlet), so duplicate detection must merge it. Deterministic
    in `copy`."""
    if template.embeddings is None or template.mentions is None:
        raise ValueError("vary() needs an analysed article (see bulk.analyse)")
    rng = random.Random(copy)
    a = template.article
    n = len(template.sentences)
    if exact or n <= 2:
        order = list(range(n))
    else:
        keep = rng.uniform(0.2, 0.5)
        rest = [i for i in range(1, n) if rng.random() < keep] or [1]
        for k in range(0, len(rest) - 1, 3):  # swap neighbours within blocks of three
            if rng.random() < 0.5:
                rest[k], rest[k + 1] = rest[k + 1], rest[k]
        order = [0, *rest]
    # (article, sentence index) of each sentence of the copy, in its new order
    picked: list[tuple[_Prepared, int]] = [(template, i) for i in order]
    if mix is not None and mix is not template and not exact and mix.sentences and mix.embeddings is not None:
        extra = sorted(rng.sample(range(len(mix.sentences)), min(3, len(mix.sentences))))
        picked += [(mix, i) for i in extra]
    sentences = [src.sentences[i] if exact else reword(src.sentences[i], rng) for src, i in picked]
    new_pos = {(id(src), i): new for new, (src, i) in enumerate(picked)}
    mentions = [replace(m, sentence=new_pos[id(src), m.sentence])
                for src in (template, mix) if src is not None for m in src.mentions or ()
                if (id(src), m.sentence) in new_pos]
    mentions.sort(key=lambda m: m.sentence)
    # a sentence the embed policy left without a vector stays without one in the copy
    embeddings = [_vectors(src)[i] for src, i in picked]
    prefix = rng.choice(_TITLE_PREFIXES)
    title = prefix + (a.title if exact else reword(a.title, rng))
    published = None
    if a.published is not None:
        published = a.published + timedelta(days=rng.randint(-max_shift_days, max_shift_days),
                                            minutes=rng.randint(0, 24 * 60))
    text = "\n".join(sentences)
    article = Article(title=title, text=text, publisher=rng.choice(_PUBLISHERS),
                      published=published, url=f"https://scale.example/{copy}",
                      origin=f"scale/{copy}", date_source=a.date_source, keys=[])
    p = _Prepared(article, Fingerprint.of(text), sentences,
                  embeddings=embeddings, mentions=mentions)
    p.events = _article_events(p)
    return p


def _vectors(p: _Prepared) -> list[np.ndarray | None]:
    if p.embeddings is None:
        raise ValueError("vary() needs an analysed article (see bulk.analyse)")
    return p.embeddings


def write(index: Index, prepared: _Prepared) -> AddResult:
    """Store a copy through the index's own write transaction (dedup included)."""
    if index.read_only:
        from bot.index.db import read_only_error

        raise read_only_error(index.path)
    return index._write(prepared)


def write_many(index: Index, prepared: Sequence[_Prepared]) -> list[AddResult]:
    """Store several copies in ONE write transaction: all of them or none.

    A commit (WAL append + sync) costs more than writing a copy's rows, so the bulk path
    pays it once per batch. Each copy still goes through `Index._write_in_transaction`,
    whose duplicate check reads the rows written earlier in the same transaction, so a
    re-publication inside one batch is merged as it would be across batches."""
    if index.read_only:
        from bot.index.db import read_only_error

        raise read_only_error(index.path)
    with index._lock, transaction(index.conn):
        return [index._write_in_transaction(p) for p in prepared]
