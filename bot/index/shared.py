"""Models loaded once per process: the spaCy pipeline and the sentence encoder.

Loading spaCy or MiniLM takes seconds; every Index (tests open many) shares
the same instances through this cache.
"""

from __future__ import annotations

import threading
from typing import Any

from summarizer.embeddings import Encoder

_lock = threading.Lock()
_nlp: dict[str, Any] = {}
_encoders: dict[str, Encoder] = {}

#: spaCy components entity extraction does not need (sentences come from our splitter).
_DISABLED = ["parser", "lemmatizer"]


class SpacyModelMissing(RuntimeError):
    """The configured spaCy model is not installed."""


def shared_nlp(name: str) -> Any:
    """The spaCy pipeline `name`, loaded on first use."""
    with _lock:
        if name not in _nlp:
            import spacy

            try:
                _nlp[name] = spacy.load(name, disable=_DISABLED)
            except OSError as exc:
                raise SpacyModelMissing(
                    f"spaCy model {name!r} is not installed; install it or set "
                    "BRIEFBOT_SPACY_MODEL") from exc
        return _nlp[name]


def shared_encoder(model_dir: str = "") -> Encoder:
    """The sentence encoder for `model_dir` ("" = bundled MiniLM); weights load lazily."""
    with _lock:
        if model_dir not in _encoders:
            _encoders[model_dir] = Encoder(model_dir or None)
        return _encoders[model_dir]
