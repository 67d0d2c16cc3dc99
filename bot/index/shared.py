"""Models loaded once per process: the spaCy pipeline and the sentence encoder.

Loading spaCy or MiniLM takes seconds; every Index (tests open many) shares
the same instances through this cache.
"""

from __future__ import annotations

import threading
from typing import Any

from summarizer.embeddings import Encoder, EncoderBackend

_lock = threading.Lock()
_nlp: dict[str, Any] = {}
_encoders: dict[tuple[str, EncoderBackend], Encoder] = {}

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


def shared_encoder(model_dir: str = "",
                   backend: EncoderBackend = EncoderBackend.AUTO) -> Encoder:
    """The sentence encoder for `model_dir` ("" = bundled MiniLM); weights load lazily."""
    key = (model_dir, EncoderBackend(backend))
    with _lock:
        if key not in _encoders:
            _encoders[key] = Encoder(model_dir or None, backend=key[1])
        return _encoders[key]
