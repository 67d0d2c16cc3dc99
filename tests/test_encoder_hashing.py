"""The hashing encoder: MiniLM's interface and shape, no model, the same vectors in every process."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.index.shared import shared_encoder
from summarizer.embeddings import DIM, Encoder, EncoderBackend
from summarizer.hashing import HashingEncoder
from tests.conftest import ROOT

TEXTS = ["Kyiv's mayor said the dam repairs would take two weeks.",
         "Repairs to the dam near Kyiv will take two weeks, the mayor said.",
         "The central bank raised interest rates by a quarter point.",
         "", "the of and", "Łódź — 東京 — القاهرة"]


def test_encodes_a_batch_to_unit_float32_rows_in_order():
    vectors = Encoder(backend=EncoderBackend.HASHING).encode(TEXTS)
    assert vectors.shape == (len(TEXTS), DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([HashingEncoder().encode([t]) for t in TEXTS])
    assert np.array_equal(vectors, one_by_one)
    assert Encoder(backend="hashing").encode([]).shape == (0, DIM)


def test_sentences_sharing_words_are_closer_than_unrelated_ones():
    first, same_story, other_story = HashingEncoder().encode(TEXTS[:3])
    assert first @ same_story > 0.5 > 0.2 > abs(first @ other_story)


def test_vectors_are_the_same_in_another_process():
    """No salted hash(): an index written by one process is read by the next."""
    code = ("import sys, numpy as np\nfrom summarizer.hashing import HashingEncoder\n"
            "sys.stdout.write(HashingEncoder().encode(sys.argv[1:]).tobytes().hex())")
    outs = {subprocess.run([sys.executable, "-c", code, *TEXTS], cwd=ROOT, capture_output=True,
                           text=True, check=True, env={"PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert outs == {HashingEncoder().encode(TEXTS).tobytes().hex()}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=400) | st.text(alphabet="ab .,\n\x00é😀\ud800", max_size=3000),
                max_size=5))
def test_any_text_gives_one_unit_vector(texts):
    vectors = HashingEncoder().encode(texts)
    assert vectors.shape == (len(texts), DIM)
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_users_choose_it_with_briefbot_encoder_and_get_it_without_a_model(tmp_path):
    settings = Settings.load(env={"BRIEFBOT_ENCODER": "hashing"}, dotenv=None,
                             db_path=tmp_path / "b.db")
    assert settings.encoder is EncoderBackend.HASHING
    encoder = shared_encoder(settings.embedding_model, settings.encoder)
    assert encoder.dim == DIM
    assert np.array_equal(encoder.encode(TEXTS[:2]), HashingEncoder().encode(TEXTS[:2]))
    no_model = Encoder(tmp_path / "no-model-here", backend=settings.encoder)  # nothing is read
    assert np.array_equal(no_model.encode(TEXTS), HashingEncoder().encode(TEXTS))
