"""A small deterministic sentence encoder: hashed words and word pairs, no model to load.

Why it exists: MiniLM takes seconds to load and milliseconds per sentence. Unit tests,
CI runs and a tiny deployment on a very small machine need vectors of the same shape
(`encode(list[str]) -> float32 [n, 384]`, unit length) at once and identical in every
process. Hashing uses BLAKE2b, never Python's salted `hash()`, so a vector written by
one process is the vector the next process computes for the same text.

What it knows: sentences that share content words (and word pairs) point the same way;
unrelated ones are near orthogonal. It knows no synonyms or paraphrase ("talks" and
"negotiations" are unrelated), so answers rank less well than with MiniLM. An index
must be queried with the encoder that built it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from summarizer.lexical import STOPWORDS

#: Words in any script, lower-cased: "Zelensky's" -> "zelensky", "s".
_WORD = re.compile(r"\w+")
#: A word pair counts half a word: it separates "New York" from "new" and "york" elsewhere.
PAIR_WEIGHT = 0.5
#: The feature of a text with no words at all, so every text gets a unit vector.
_EMPTY = "\x00empty"


@lru_cache(maxsize=1 << 16)
def _slot(feature: str, dim: int) -> tuple[int, float]:
    """The (dimension, sign) a feature adds to; the sign keeps unrelated texts near 0."""
    digest = hashlib.blake2b(feature.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if value >> 63 else -1.0)


def features(text: str, max_words: int) -> list[tuple[str, float]]:
    """(feature, weight) pairs: content words, then adjacent content-word pairs."""
    words = _WORD.findall(text.lower())[:max_words]
    content = [w for w in words if w not in STOPWORDS] or words
    if not content:
        return [(_EMPTY, 1.0)]
    pairs = [(f"{a} {b}", PAIR_WEIGHT) for a, b in zip(content, content[1:])]
    return [(w, 1.0) for w in content] + pairs


class HashingEncoder:
    """Bag of hashed words and word pairs -> `dim` floats, L2-normalised; thread-safe."""

    def __init__(self, dim: int = 384, *, max_words: int = 256) -> None:
        if dim < 2:
            raise ValueError(f"a hashing encoder needs at least 2 dimensions, not {dim}")
        self.dim = dim
        self.max_words = max_words

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors, in the order given.

        `batch_size` is accepted for the Encoder interface; hashing has no batches."""
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for row, text in enumerate(texts):
            for feature, weight in features(text, self.max_words):
                col, sign = _slot(feature, self.dim)
                out[row, col] += sign * weight
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # A text whose features cancel out exactly still gets a unit vector.
        empty = norms[:, 0] == 0
        if empty.any():
            col, sign = _slot(_EMPTY, self.dim)
            out[empty, col] = sign
            norms[empty] = 1.0
        return (out / norms).astype(np.float32)
