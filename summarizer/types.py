"""Types shared by the index and the summarizers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a stored article, with its embedding when known."""

    id: int
    article_id: int
    #: 0-based position of the sentence in its article (lead sentences matter in news).
    position: int
    text: str
    published: datetime | None = None
    embedding: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """Chosen sentences in reading order; every one is a verbatim source sentence."""

    sentences: tuple[Sentence, ...]
    #: Per chosen sentence id, the same fact as other sources worded it (near-identical
    #: sentences of other articles): shown once, citing every source.
    also: Mapping[int, tuple[Sentence, ...]] = field(default_factory=dict)


class Summarizer(Protocol):
    def summarize(self, sentences: Sequence[Sentence], *, query: str | None,
                  budget_words: int = 120, prefer_recent: bool = False,
                  bonus: Mapping[int, float] | None = None) -> Summary: ...

    def summarize_article(self, sentences: Sequence[Sentence], *, max_sentences: int = 3) -> Summary: ...
