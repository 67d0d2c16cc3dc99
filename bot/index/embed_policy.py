"""Which sentences get a vector at ingest: the one rule ingest and the quality benches share.

Encoding every sentence with MiniLM was over half of ingest's time. Under `SHOWN` a
sentence gets a vector when it is a lead (digests and cards read the first sentences) or
names something: a capitalised word after its first word (a person, place, organisation,
event) or a figure (a date, a count). The rest ("He said the talks went well.") are
stored without a vector; every reader copes (see `EmbedPolicy.SHOWN`). It is opt-in:
on bench/latest_quality.py it cost 0.66 ROUGE-1 (n = 27), more than the 0.3 allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

#: The first sentences of an article always get a vector: the lead tells the story.
LEAD = 3

_NAMES_SOMETHING = re.compile(r"\s[\"“'‘(]?[A-Z0-9À-ÖØ-Þ]|\d")


class EmbedPolicy(StrEnum):
    """BRIEFBOT_EMBED_SENTENCES: which sentences ingest embeds."""

    #: Every sentence (briefbot up to this version; the benches' baseline).
    ALL = "all"
    #: Leads and sentences that name something or state a figure. Readers treat a
    #: sentence without a vector as not ranked by meaning: query-focused answers and
    #: timelines skip it, novelty checks skip it, cards rank it by position only.
    SHOWN = "shown"


def gets_vector(position: int, text: str, policy: EmbedPolicy = EmbedPolicy.SHOWN) -> bool:
    """Whether the sentence at `position` (0 = first after the headline) gets a vector."""
    if policy is EmbedPolicy.ALL or position < LEAD:
        return True
    return _NAMES_SOMETHING.search(text.strip()) is not None


def vector_mask(sentences: Sequence[str], policy: EmbedPolicy) -> list[bool]:
    """`gets_vector` for each sentence of one article, in order."""
    return [gets_vector(i, s, policy) for i, s in enumerate(sentences)]
