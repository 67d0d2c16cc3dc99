"""The optional abstractive backend, on a tiny random model built offline in tmp_path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from summarizer import make_summarizer
from summarizer.embeddings import ModelNotFound, bundled_model_dir
from summarizer.extractive import ExtractiveSummarizer
from summarizer.seq2seq import GENERATED_ID, Seq2SeqSummarizer, is_generated
from summarizer.types import Sentence
from tests.conftest import make_settings

PUBLISHED = datetime(2025, 10, 17, tzinfo=UTC)
TEXTS = [
    "Donald Trump and Vladimir Putin agreed on Thursday to hold a summit in Budapest.",
    "Hungarian Prime Minister Viktor Orban said Budapest was ready to host the meeting.",
    "No date has been set for the summit, the Kremlin said on Friday.",
]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A 2-layer T5 with random weights and MiniLM's WordPiece tokenizer: no download."""
    import torch
    from transformers import AutoTokenizer, T5Config, T5ForConditionalGeneration

    path = tmp_path_factory.mktemp("tiny-t5")
    tok = AutoTokenizer.from_pretrained(str(bundled_model_dir()), local_files_only=True)
    tok.save_pretrained(str(path))
    config = T5Config(vocab_size=len(tok), d_model=16, d_ff=32, d_kv=8, num_heads=2, num_layers=1,
                      num_decoder_layers=1, pad_token_id=tok.pad_token_id,
                      eos_token_id=tok.sep_token_id, decoder_start_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(str(path))
    return path


def article(article_id: int = 5) -> list[Sentence]:
    return [Sentence(id=50 + i, article_id=article_id, position=i, text=t, published=PUBLISHED)
            for i, t in enumerate(TEXTS)]


def test_loads_offline_and_generates_a_cited_blurb(tiny_model_dir, encoder):
    s2s = Seq2SeqSummarizer(tiny_model_dir, fallback=ExtractiveSummarizer(encoder), max_new_tokens=12)
    out = s2s.summarize_article(article())
    assert len(out.sentences) == 1
    blurb = out.sentences[0]
    assert is_generated(blurb) and blurb.id == GENERATED_ID
    assert blurb.article_id == 5 and blurb.published == PUBLISHED
    assert blurb.text.strip()


def test_multi_document_answers_stay_extractive(tiny_model_dir, encoder):
    s2s = Seq2SeqSummarizer(tiny_model_dir, fallback=ExtractiveSummarizer(encoder))
    given = article(5) + [Sentence(id=90, article_id=6, position=0, published=PUBLISHED,
                                   text="Hungary confirmed it would host the Budapest summit next month.")]
    out = s2s.summarize(given, query="Budapest summit", budget_words=60)
    assert out.sentences
    originals = {s.id: s.text for s in given}
    assert all(not is_generated(s) and originals[s.id] == s.text for s in out.sentences)
    # A "single article" made of two articles cannot be cited as one: extractive too.
    mixed = s2s.summarize_article(given)
    assert mixed.sentences and not any(is_generated(s) for s in mixed.sentences)


def test_factory_uses_the_configured_model(tmp_path, tiny_model_dir, encoder):
    settings = make_settings(tmp_path / "b.db", seq2seq_model=str(tiny_model_dir))
    summarizer = make_summarizer(settings, encoder)
    assert isinstance(summarizer, Seq2SeqSummarizer)
    assert is_generated(summarizer.summarize_article(article()).sentences[0])


def test_missing_model_directory_is_one_clear_error(tmp_path, encoder):
    s2s = Seq2SeqSummarizer(tmp_path / "nope", fallback=ExtractiveSummarizer(encoder))
    with pytest.raises(ModelNotFound, match="BRIEFBOT_SEQ2SEQ_MODEL"):
        s2s.summarize_article(article())
