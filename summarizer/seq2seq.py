"""Optional abstractive blurbs for digests, from a seq2seq model the user provides.

Off by default. Set BRIEFBOT_SEQ2SEQ_MODEL to a local directory holding a
transformers encoder-decoder (e.g. a BART or T5 summarization checkpoint the
user downloaded themselves); nothing is fetched at run time.

WHY only single-article blurbs: generated text is not a verbatim source
sentence, and briefbot promises that every sentence it shows comes from a cited
source. A blurb generated from ONE article can still honestly cite that article
(the reader can check it), so `summarize_article` may generate. Multi-document
answers (`summarize`, used by latest/who/timeline) mix sources, so they always
stay extractive — this class hands them to the extractive fallback.

A generated blurb comes back as one Sentence with `id == GENERATED_ID` and
`position == GENERATED_ID` (it is not a stored sentence) and the article_id and
published date of the article it summarises, so the caller cites that article
and can label the text as machine-written (`is_generated`).
"""

from __future__ import annotations

import threading
from typing import Any
from collections.abc import Mapping, Sequence
from pathlib import Path

from summarizer.embeddings import load_local_model
from summarizer.types import Sentence, Summarizer, Summary

GENERATED_ID = -1


def is_generated(sentence: Sentence) -> bool:
    """True for a blurb written by the seq2seq model rather than taken from the article."""
    return sentence.id == GENERATED_ID and sentence.position == GENERATED_ID


class Seq2SeqSummarizer:
    """Abstractive `summarize_article`; everything multi-document goes to `fallback`."""

    def __init__(self, model_dir: str | Path, *, fallback: Summarizer, max_input_tokens: int = 512,
                 max_new_tokens: int = 80, num_beams: int = 2) -> None:
        self.model_dir = Path(model_dir).expanduser()
        self.fallback = fallback
        self.max_input_tokens = max_input_tokens
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        if self._model is not None:
            return
        self._tokenizer, self._model = load_local_model(
            self.model_dir, "AutoModelForSeq2SeqLM",
            "check BRIEFBOT_SEQ2SEQ_MODEL, or leave it empty for extractive blurbs")

    def summarize(self, sentences: Sequence[Sentence], *, query: str | None,
                  budget_words: int = 120, prefer_recent: bool = False,
                  bonus: Mapping[int, float] | None = None) -> Summary:
        return self.fallback.summarize(sentences, query=query, budget_words=budget_words,
                                       prefer_recent=prefer_recent, bonus=bonus)

    def summarize_article(self, sentences: Sequence[Sentence], *, max_sentences: int = 3) -> Summary:
        ordered = sorted(sentences, key=lambda s: (s.position, s.id))
        if not ordered or len({s.article_id for s in ordered}) != 1:
            # Several articles at once cannot be cited as one: stay extractive.
            return self.fallback.summarize_article(sentences, max_sentences=max_sentences)
        text = self.generate(" ".join(s.text for s in ordered))
        if not text:
            return self.fallback.summarize_article(sentences, max_sentences=max_sentences)
        first = ordered[0]
        return Summary((Sentence(id=GENERATED_ID, article_id=first.article_id, position=GENERATED_ID,
                                 text=text, published=first.published),))

    def generate(self, article_text: str) -> str:
        """One blurb for one article's text (T5 models get their "summarize: " prefix)."""
        import torch

        with self._lock:
            self._load()
            assert self._model is not None and self._tokenizer is not None
            prefix = "summarize: " if self._model.config.model_type in {"t5", "mt5"} else ""
            batch = self._tokenizer([prefix + article_text], truncation=True,
                                    max_length=self.max_input_tokens, return_tensors="pt")
            batch.pop("token_type_ids", None)
            with torch.inference_mode():
                out = self._model.generate(**batch, max_new_tokens=self.max_new_tokens,
                                           num_beams=self.num_beams, no_repeat_ngram_size=3,
                                           early_stopping=True)
            return self._tokenizer.decode(out[0], skip_special_tokens=True).strip()
