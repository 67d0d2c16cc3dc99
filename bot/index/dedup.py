"""Finding the same story twice: exact (normalised text hash) and near (MinHash + LSH).

Near-duplicates are the same wire story re-headlined or lightly edited by another
outlet. MinHash signatures over word shingles are cut into LSH bands whose
buckets are stored in SQLite, so a new article only meets the few stored
articles sharing a bucket; each candidate is then confirmed by the true
Jaccard similarity of the two texts' shingle sets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from bot.index.text import words

SHINGLE_WORDS = 3
BANDS = 24
ROWS = 5  # 24 bands x 5 rows: pairs with Jaccard >= ~0.53 very likely share a bucket
NUM_PERM = BANDS * ROWS
#: Confirmed near-duplicate when the shingle sets overlap this much.
JACCARD_THRESHOLD = 0.6
#: Texts shorter than this many words are only matched exactly (too little to compare).
MIN_WORDS = 12

_rng = np.random.default_rng(20251017)  # fixed: stored buckets must stay comparable
# Multiply-shift hashing: odd 64-bit multipliers, arithmetic wrapping mod 2^64, high bits kept.
_A = _rng.integers(0, np.iinfo(np.uint64).max, NUM_PERM, dtype=np.uint64, endpoint=True) | np.uint64(1)
_B = _rng.integers(0, np.iinfo(np.uint64).max, NUM_PERM, dtype=np.uint64, endpoint=True)
_SHIFT = np.uint64(32)


def content_hash(text: str) -> str:
    """Hash of the text with case, accents, punctuation and spacing normalised away."""
    return hashlib.sha1(" ".join(words(text)).encode()).hexdigest()


def shingles(text: str) -> set[str]:
    ws = words(text)
    if len(ws) < SHINGLE_WORDS:
        return {" ".join(ws)} if ws else set()
    return {" ".join(ws[i:i + SHINGLE_WORDS]) for i in range(len(ws) - SHINGLE_WORDS + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def signature(sh: set[str]) -> np.ndarray:
    """MinHash signature: for each of NUM_PERM hash functions, the minimum over shingles."""
    x = np.fromiter((int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
                     for s in sh), dtype=np.uint64, count=len(sh))
    with np.errstate(over="ignore"):
        hashed = (_A[:, None] * x[None, :] + _B[:, None]) >> _SHIFT
    return hashed.min(axis=1)


def band_buckets(sig: np.ndarray) -> list[tuple[int, int]]:
    """(band, bucket) pairs: a bucket is a signed 63-bit hash of the band's rows."""
    out = []
    for band in range(BANDS):
        chunk = sig[band * ROWS:(band + 1) * ROWS].tobytes()
        bucket = int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little") >> 1
        out.append((band, bucket))
    return out


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup needs to know about a text, computed once before the write."""

    hash: str
    shingles: frozenset[str]
    buckets: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, text: str) -> Fingerprint:
        sh = shingles(text)
        comparable = len(words(text)) >= MIN_WORDS
        buckets = tuple(band_buckets(signature(sh))) if comparable and sh else ()
        return cls(content_hash(text), frozenset(sh), buckets)
