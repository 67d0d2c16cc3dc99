"""Summarizers: query-focused multi-document and single-article, extractive by default.

`make_summarizer(settings, encoder)` is the one place that decides which backend
the bot uses: the extractive summarizer, or — only when the user points
BRIEFBOT_SEQ2SEQ_MODEL at a model directory — the abstractive backend for
single-article digest blurbs (multi-document answers stay extractive).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from summarizer.extractive import ExtractiveSummarizer
from summarizer.types import Sentence, Summarizer, Summary

if TYPE_CHECKING:  # pragma: no cover
    from bot.config import Settings
    from summarizer.embeddings import Encoder

__all__ = ["ExtractiveSummarizer", "Sentence", "Summarizer", "Summary", "make_summarizer"]


def make_summarizer(settings: Settings, encoder: Encoder) -> Summarizer:
    """The summarizer the settings ask for; extractive unless a seq2seq model is configured."""
    extractive = ExtractiveSummarizer(encoder)
    if getattr(settings, "seq2seq_model", ""):
        from summarizer.seq2seq import Seq2SeqSummarizer

        return Seq2SeqSummarizer(settings.seq2seq_model, fallback=extractive)
    return extractive
