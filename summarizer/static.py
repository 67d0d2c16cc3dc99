"""A static sentence encoder distilled from the installed MiniLM (model2vec-style).

Why: MiniLM over every sentence was most of ingest's time (46 of 67 s on 30 Timeline17
articles). Here each wordpiece of MiniLM's vocabulary is run once through MiniLM on its
own and its pooled vector kept; a sentence's vector is then the weighted mean of its
wordpieces' vectors: a table look-up, thousands of sentences a second. Frequent
wordpieces weigh little (SIF weights from their rank in the vocabulary, which is
ordered by frequency), and the vectors' mean and first principal direction are removed,
so that the words that carry a sentence's topic decide where it points.

The table is computed locally from the installed model (never downloaded), once, and
cached in the user cache folder under a name keyed by the model's identity; a cache
made for another model or recipe is rebuilt. Its vectors form their own vector space
(`identity`), so an index built with it refuses MiniLM queries and the reverse.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Bump when the way the table is made changes: old caches and indexes are then refused.
RECIPE = "sif1e-4-centred-pc1-v2"
#: SIF smoothing: a wordpiece of estimated frequency p weighs SIF / (SIF + p).
SIF = 1e-4
#: In BERT's uncased vocabulary, whole words start here, most frequent first ("the").
FIRST_WORD_ID = 1996
#: Single-token texts per MiniLM pass when building the table (3 tokens each: tiny).
BUILD_BATCH = 512


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/briefbot, else ~/.cache/briefbot."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefbot"


def sif_weights(vocab_size: int) -> np.ndarray:
    """Per wordpiece id: SIF weight from a Zipf estimate of its frequency by rank.

    Ids before the whole words (padding, unused slots, single characters) count as
    the most frequent: they carry no topic."""
    ranks = np.maximum(np.arange(vocab_size, dtype=np.float64) - (FIRST_WORD_ID - 1), 1.0)
    proba = (1.0 / ranks) / np.sum(1.0 / np.arange(1, vocab_size + 1))
    return (SIF / (SIF + proba)).astype(np.float32)


class StaticEncoder:
    """Weighted mean of per-wordpiece MiniLM vectors, L2-normalised; thread-safe."""

    def __init__(self, model_dir: Path, model_identity: str, *,
                 cache_dir: Path | None = None, max_tokens: int = 256) -> None:
        self.model_dir = Path(model_dir)
        self.model_identity = model_identity
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._table: np.ndarray | None = None
        self._tokenizer: object = None

    @property
    def identity(self) -> str:
        """Its own vector space: the recipe and the model it was distilled from."""
        return f"static/{RECIPE}/{self.model_identity}"

    @property
    def cache_path(self) -> Path:
        key = hashlib.sha256(self.identity.encode()).hexdigest()[:16]
        return self.cache_dir / f"static-{key}.npz"

    def table(self) -> np.ndarray:
        """The (vocabulary, dim) table of weighted, centred wordpiece vectors."""
        with self._lock:
            if self._table is None:
                loaded = self._load()
                self._table = loaded if loaded is not None else self._build_and_save()
            return self._table

    def _load(self) -> np.ndarray | None:
        """The cached table, or None when missing, unreadable or made for another identity."""
        try:
            with np.load(self.cache_path, allow_pickle=False) as data:
                if str(data["identity"]) != self.identity:
                    return None
                table = np.asarray(data["table"], dtype=np.float32)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
            return None  # missing or damaged: built again
        return table

    def _build_and_save(self) -> np.ndarray:
        table = build_table(self.model_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, identity=np.array(self.identity), table=table)
        os.replace(tmp, self.cache_path)  # readers see the old file or the whole new one
        return table

    def _tokens(self, texts: Sequence[str]) -> list[list[int]]:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tok.no_padding()
            tok.enable_truncation(max_length=self.max_tokens)
            self._tokenizer = tok
        encs = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)  # type: ignore[attr-defined]
        return [e.ids for e in encs]

    def encode(self, texts: Sequence[str], *, batch_size: int = 0) -> np.ndarray:
        """An (n, dim) float32 array of unit vectors, in the order given.

        `batch_size` is accepted for the Encoder interface; a look-up has no batches."""
        table = self.table()
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        if not texts:
            return out
        ids = self._tokens(texts)
        lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((t for row in ids for t in row), dtype=np.int64, count=int(lengths.sum()))
        _segment_sum(out, table[flat], lengths)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        empty = norms[:, 0] == 0  # no wordpiece at all: a fixed unit vector, never NaN
        out[empty, 0], norms[empty] = 1.0, 1.0
        return out / norms


def _segment_sum(out: np.ndarray, vectors: np.ndarray, lengths: np.ndarray) -> None:
    """out[i] = sum of the lengths[i] consecutive rows of `vectors` (np.add.reduceat)."""
    nonempty = lengths > 0
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
    out[nonempty] = np.add.reduceat(vectors, starts, axis=0)


def build_table(model_dir: Path) -> np.ndarray:
    """Run every wordpiece through MiniLM alone ([CLS] piece [SEP], mean-pooled), weight
    it by SIF and remove the weighted mean vector (the direction all texts share)."""
    return finish_table(piece_vectors(model_dir))


def piece_vectors(model_dir: Path) -> np.ndarray:
    """(vocabulary, dim): each wordpiece's own MiniLM vector."""
    from summarizer.bert_numpy import NumpyBert, UnsupportedModel

    bert = NumpyBert(model_dir)
    size = bert.word.shape[0]
    cls, sep = (bert.tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]"))
    if cls is None or sep is None:
        raise UnsupportedModel(f"{model_dir}: no [CLS]/[SEP] tokens; the static encoder "
                               "needs a BERT wordpiece vocabulary")
    table = np.zeros((size, bert.hidden), dtype=np.float32)
    mask = np.ones((BUILD_BATCH, 3), dtype=np.int64)
    for start in range(0, size, BUILD_BATCH):
        piece = np.arange(start, min(size, start + BUILD_BATCH))
        ids = np.stack([np.full_like(piece, cls), piece, np.full_like(piece, sep)], axis=1)
        table[piece] = bert.forward(ids, mask[:len(piece)])
    return table


def finish_table(pieces: np.ndarray) -> np.ndarray:
    """SIF-weighted piece vectors, with their weighted mean and then their first principal
    direction (what every word shares: frequency, not topic) removed.

    Of five recipes tried (SIF 1e-5, 1e-4 or 1e-3; with or without these removals) it
    lost least to MiniLM over both halves of bench/latest_quality.py and
    bench/summary_quality.py; without the mean removed it lost a full ROUGE point."""
    weights = sif_weights(len(pieces))
    table = pieces - (weights[:, None] * pieces).sum(0) / weights.sum()
    words = table[FIRST_WORD_ID:] if len(table) > 2 * FIRST_WORD_ID else table
    scale = np.sqrt(weights[-len(words):])[:, None]
    direction = np.linalg.svd(words * scale, full_matrices=False)[2][0]
    table -= np.outer(table @ direction, direction)
    return (table * weights[:, None]).astype(np.float32)
