"""The one codec for stored sentence vectors: int8 with a per-vector scale.

A MiniLM vector is 384 float32s (1,536 bytes); stored as a float32 scale followed by
384 int8s it takes 388 bytes, a quarter, and decodes to a vector whose cosine to the
original is above 0.999 (bench/storage.py prints the agreement). Every reader gets
float32 numpy back; `None` means "no vector" (a sentence ingest chose not to embed,
or one dropped by retention), and stored NULL is normal everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Bytes before the int8 values: the float32 scale.
_HEADER = 4
_LEVELS = 127.0


def encode(vector: np.ndarray | None) -> bytes | None:
    """Bytes to store for one vector (None stays None: no vector)."""
    if vector is None:
        return None
    v = np.asarray(vector, dtype=np.float32).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)):
        return None  # an empty or broken vector ranks nothing: store none rather than noise
    peak = float(np.max(np.abs(v)))
    scale = peak / _LEVELS if peak > 0 else 1.0
    q = np.clip(np.rint(v / scale), -_LEVELS, _LEVELS).astype(np.int8)
    # the scale that keeps the vector's length: unit vectors decode as unit vectors, so
    # dot products stay cosines and thresholds on them keep their meaning
    length = float(np.linalg.norm(q.astype(np.float32)))
    if length > 0:
        scale = float(np.linalg.norm(v)) / length
    return np.float32(scale).tobytes() + q.tobytes()


def decode(blob: bytes | None) -> np.ndarray | None:
    """The float32 vector of stored bytes (None for NULL or an empty blob)."""
    if not blob or len(blob) <= _HEADER:
        return None
    scale = np.frombuffer(blob, dtype=np.float32, count=1)[0]
    return np.frombuffer(blob, dtype=np.int8, offset=_HEADER).astype(np.float32) * scale


def decode_many(blobs: Sequence[bytes | None]) -> list[np.ndarray | None]:
    """`decode` for many blobs at once (one numpy pass for all of one length): what
    readers of hundreds of sentences use. Each vector is a row of one float32 matrix."""
    out: list[np.ndarray | None] = [None] * len(blobs)
    by_len: dict[int, list[int]] = {}
    for i, b in enumerate(blobs):
        if b and len(b) > _HEADER:
            by_len.setdefault(len(b), []).append(i)
    for size, where in by_len.items():
        raw = np.frombuffer(b"".join(blobs[i] or b"" for i in where), dtype=np.uint8)
        raw = raw.reshape(len(where), size)
        scales = raw[:, :_HEADER].copy().view(np.float32)
        matrix = raw[:, _HEADER:].view(np.int8).astype(np.float32) * scales
        for row, i in enumerate(where):
            out[i] = matrix[row]
    return out


def decode_float32(blob: bytes) -> np.ndarray:
    """A vector in the format before this codec (raw float32), for migrating old files."""
    return np.frombuffer(blob, dtype=np.float32).copy()
