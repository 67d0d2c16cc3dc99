"""The static encoder (BRIEFBOT_ENCODER=static): a table distilled from the configured
BERT model, cached by the model's identity, and a vector space of its own.

A tiny random BERT (two layers, 32 wide, a 60-word vocabulary) stands in for MiniLM so
the table is built in a moment; the code path is the one MiniLM takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.index.db import Fault, StorageError
from bot.index.store import Index
from bot.ingest.model import Article
from summarizer import static
from summarizer.embeddings import Encoder, EncoderBackend
from summarizer.static import StaticEncoder

WORDS = ("the a of in to and said on bridge harbour mayor ribbon traffic repairs city river "
         "flood rain storm warning police court judge trial verdict election vote party "
         "minister budget tax bank market shares oil price summit talks peace war army "
         "##s ##ed ##ing . , '").split()


def _tiny_bert(folder: Path, seed: int = 0, hidden: int = 32) -> Path:
    """A BERT model folder the numpy encoder can run: config, random weights, tokenizer."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    folder.mkdir(parents=True)
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])}
    layers, inter = 2, 2 * hidden
    config = {"model_type": "bert", "hidden_size": hidden, "num_attention_heads": 2,
              "num_hidden_layers": layers, "intermediate_size": inter, "hidden_act": "gelu",
              "max_position_embeddings": 64, "layer_norm_eps": 1e-12, "vocab_size": len(vocab)}
    (folder / "config.json").write_text(json.dumps(config), "utf-8")
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    t = {"embeddings.word_embeddings.weight": w(len(vocab), hidden),
         "embeddings.position_embeddings.weight": w(64, hidden),
         "embeddings.token_type_embeddings.weight": w(2, hidden),
         "embeddings.LayerNorm.weight": np.ones(hidden, np.float32),
         "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32)}
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            t[f"{p}attention.self.{name}.weight"], t[f"{p}attention.self.{name}.bias"] = (
                w(hidden, hidden), w(hidden))
        t[p + "attention.output.dense.weight"], t[p + "attention.output.dense.bias"] = (
            w(hidden, hidden), w(hidden))
        t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"] = w(inter, hidden), w(inter)
        t[p + "output.dense.weight"], t[p + "output.dense.bias"] = w(hidden, inter), w(hidden)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[f"{p}{ln}.weight"], t[f"{p}{ln}.bias"] = (np.ones(hidden, np.float32),
                                                        np.zeros(hidden, np.float32))
    save_file(t, str(folder / "model.safetensors"))
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tok.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return _tiny_bert(tmp_path_factory.mktemp("m") / "tiny-bert")


def _static(model: Path, cache: Path) -> StaticEncoder:
    return StaticEncoder(model, Encoder(model, backend="numpy").identity, cache_dir=cache)


SENTENCES = ["The mayor said the harbour bridge repairs ended.",
             "Traffic on the harbour bridge eased, the mayor said.",
             "The court heard the trial verdict.",
             "Oil price and bank shares fell on the market."]


def test_vectors_are_unit_length_deterministic_and_do_not_depend_on_the_batch(model, tmp_path):
    one = _static(model, tmp_path / "a").encode(SENTENCES)
    other = _static(model, tmp_path / "b").encode(SENTENCES)  # built again, elsewhere
    assert one.shape == (4, 32) and one.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(one, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(one, other)
    alone = np.vstack([_static(model, tmp_path / "a").encode([s]) for s in SENTENCES])
    np.testing.assert_allclose(alone, one, atol=1e-6)


def test_sentences_sharing_words_point_the_same_way(model, tmp_path):
    v = _static(model, tmp_path).encode(SENTENCES)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] and sims[0, 1] > sims[0, 3]


def test_a_text_without_known_wordpieces_still_gets_a_unit_vector(model, tmp_path):
    v = _static(model, tmp_path).encode(["", "   "])
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    assert np.isfinite(v).all()


def test_the_table_is_cached_by_model_identity_and_read_back_without_the_model(
        model, tmp_path, monkeypatch):
    first = _static(model, tmp_path)
    vectors = first.encode(SENTENCES)
    assert first.cache_path.is_file()
    other_model = _tiny_bert(tmp_path / "m2" / "tiny-bert", seed=1, hidden=48)
    other = _static(other_model, tmp_path)
    assert other.identity != first.identity and other.cache_path != first.cache_path
    monkeypatch.setattr(static, "build_table", lambda *_: pytest.fail("the cache was not used"))
    np.testing.assert_array_equal(_static(model, tmp_path).encode(SENTENCES), vectors)


@pytest.mark.parametrize("damage", ["other identity", "truncated"])
def test_a_cache_made_for_another_model_or_damaged_is_rebuilt(model, tmp_path, damage):
    fresh = _static(model, tmp_path / "fresh").encode(SENTENCES)
    enc = _static(model, tmp_path / "cache")
    enc.cache_path.parent.mkdir(parents=True)
    if damage == "other identity":
        np.savez(enc.cache_path, identity=np.array("static/other/model"),
                 table=np.ones((len(WORDS) + 4, 32), np.float32))
    else:
        enc.cache_path.write_bytes(b"PK\x03\x04 not a whole file")
    np.testing.assert_array_equal(enc.encode(SENTENCES), fresh)
    with np.load(enc.cache_path) as data:
        assert str(data["identity"]) == enc.identity


def test_the_encoder_setting_selects_it_and_its_space_has_its_own_identity(model, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    enc = Encoder(model, backend=EncoderBackend.STATIC)
    minilm_space = Encoder(model, backend=EncoderBackend.NUMPY).identity
    assert enc.identity.startswith("static/") and enc.identity.endswith(minilm_space)
    assert enc.identity != minilm_space
    v = enc.encode(SENTENCES)
    np.testing.assert_array_equal(v, _static(model, tmp_path / "xdg" / "briefbot").encode(SENTENCES))
    assert list((tmp_path / "xdg" / "briefbot").glob("static-*.npz"))


def test_an_index_built_with_static_vectors_refuses_the_model_and_the_reverse(model, tmp_path,
                                                                            monkeypatch):
    import spacy

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    article = Article(title="Harbour bridge reopens", text=" ".join(SENTENCES))
    for built, asked in (("static", "numpy"), ("numpy", "static")):
        db = tmp_path / f"{built}.db"
        settings = Settings(embedding_model=str(model), encoder=built)
        index = Index(db, settings, encoder=Encoder(model, backend=built), nlp=spacy.blank("en"))
        index.add(article)
        index.close()
        with pytest.raises(StorageError) as exc:
            Index(db, settings, encoder=Encoder(model, backend=asked), nlp=spacy.blank("en"))
        assert exc.value.fault is Fault.ENCODER
        assert "static/" in str(exc.value)


STORY = ("Harbour bridge reopens\n\nThe Marlow harbour bridge reopened on Monday after two "
         "years of repairs. Mayor Jane Roe cut the ribbon. Traffic is expected to ease.\n")


def test_the_cli_ingests_and_answers_with_static_vectors_and_refuses_to_mix(
        model, tmp_path, fast_env, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("BRIEFBOT_EMBEDDING_MODEL", str(model))
    monkeypatch.setenv("BRIEFBOT_ENCODER", "static")
    page = tmp_path / "bridge.txt"
    page.write_text(STORY, encoding="utf-8")
    db = str(tmp_path / "briefbot.db")
    assert main(["--db", db, "ingest", str(page)]) == 0
    assert main(["--db", db, "ask", "latest on the harbour bridge"]) == 0
    assert "Marlow harbour bridge reopened" in capsys.readouterr().out

    monkeypatch.setenv("BRIEFBOT_ENCODER", "numpy")  # the model itself: another space
    assert main(["--db", db, "ask", "latest on the harbour bridge"]) == 1
    captured = capsys.readouterr()
    assert "static/" in captured.out + captured.err
    assert "Marlow" not in captured.out
