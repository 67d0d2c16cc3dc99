"""The numpy encoder is the torch encoder: same vectors, same answers, no torch to answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summarizer.embeddings import Encoder, EncoderBackend, ModelNotFound, torch_installed
from summarizer.sentences import split_sentences
from tests.conftest import EVAL, ROOT, SEEDS, _services_for

needs_torch = pytest.mark.skipif(not torch_installed(), reason="torch is not installed")

QUESTIONS = ["latest on Budapest summit", "who is Steve Witkoff", "timeline of the Alaska summit",
             "sources for Tomahawk missiles", "what's new with Zelensky", "latest on Kyiv"]


@pytest.fixture(scope="module")
def numpy_encoder() -> Encoder:
    return Encoder(backend=EncoderBackend.NUMPY)


@pytest.fixture(scope="module")
def torch_encoder() -> Encoder:
    return Encoder(backend=EncoderBackend.TORCH)


def _sample_sentences() -> list[str]:
    """Seed sentences, plus CNN/DM ones when the evaluation data is present (never copied here)."""
    texts = [s for p in sorted(SEEDS.glob("*.txt")) for s in split_sentences(p.read_text("utf-8"))]
    cnndm = EVAL / "cnndm_test_frank250.jsonl"
    if cnndm.is_file():
        with cnndm.open(encoding="utf-8") as lines:
            for line, _ in zip(lines, range(12)):
                texts += split_sentences(json.loads(line).get("article", ""))[:8]
    return texts[:120]


@needs_torch
def test_numpy_vectors_match_torch_on_news_sentences(numpy_encoder, torch_encoder):
    texts = _sample_sentences()
    assert len(texts) > 100
    ours, theirs = numpy_encoder.encode(texts), torch_encoder.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    assert float((ours * theirs).sum(1).min()) >= 0.9999


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=600) | st.text(alphabet="ab .,\n\x00é😀", max_size=3000))
def test_any_question_text_gives_one_unit_vector(numpy_encoder, text):
    """A question is untrusted text: whatever it holds, it embeds (truncated to 128 tokens)."""
    vec = numpy_encoder.encode([text])
    assert vec.shape == (1, 384) and np.isfinite(vec).all()
    assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-4


@needs_torch
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=6))
def test_padded_batches_match_torch(numpy_encoder, torch_encoder, texts):
    """Texts of mixed lengths share a padded batch; padding must not change any vector."""
    cos = (numpy_encoder.encode(texts) * torch_encoder.encode(texts)).sum(1)
    assert float(cos.min()) >= 0.9999


@needs_torch
@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_cite_the_same_sentences_with_either_backend(seeded_db, tmp_path, question,
                                                            numpy_encoder, torch_encoder):
    from bot.cli import _answer

    replies = []
    for name, enc in (("numpy", numpy_encoder), ("torch", torch_encoder)):
        path = tmp_path / f"{name}.db"
        shutil.copy(seeded_db, path)
        svc = _services_for(path, enc)
        try:
            replies.append(_answer(svc, question).cleaned().as_json())
        finally:
            svc.index.close()
    assert replies[0]["sources"], replies[0]["text"]
    assert replies[0] == replies[1]


def test_cold_ask_loads_no_torch_spacy_or_http_client(seeded_db, tmp_path):
    """What a cold `briefbot ask` imports decides its start time: only what answering needs."""
    db = tmp_path / "cold.db"
    shutil.copy(seeded_db, db)
    script = ("import sys\nfrom bot.cli import main\n"
              f"code = main(['--db', {str(db)!r}, 'ask', 'latest on Budapest summit'])\n"
              "heavy = sorted(m for m in ('torch', 'transformers', 'spacy', 'aiohttp')\n"
              "               if m in sys.modules)\n"
              "print('LOADED', ','.join(heavy) or '-', code)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert "Budapest" in out.stdout, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "LOADED - 0", out.stdout[-500:] + out.stderr


def test_auto_encodes_a_large_ingest_batch_without_loading_torch():
    """A feed bringing a large batch into a serving process must not load torch's weights
    (hundreds of MB above the serving bound): `auto` runs MiniLM on numpy at any size."""
    script = ("import sys\nfrom summarizer.embeddings import Encoder\n"
              "v = Encoder(backend='auto').encode([f'Sentence number {i} about Kyiv.' for i in range(600)])\n"
              "print('SHAPE', v.shape, 'TORCH', 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "SHAPE (600, 384) TORCH False", out.stdout + out.stderr


def test_numpy_backend_names_the_fix_for_a_model_it_cannot_run(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "t5", "hidden_size": 512}')
    with pytest.raises(ModelNotFound, match="BRIEFBOT_ENCODER=torch"):
        Encoder(tmp_path, backend=EncoderBackend.NUMPY).encode(["hello"])


def test_torch_backend_without_torch_says_how_to_install_it(tmp_path):
    script = ("import sys\nsys.modules['torch'] = None\n"
              "from summarizer.embeddings import Encoder\n"
              "try:\n    Encoder(backend='torch').encode(['hello'])\n"
              "except Exception as exc:\n    print(type(exc).__name__, exc)\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert "ModelNotFound" in out.stdout and 'pip install torch' in out.stdout, out.stdout + out.stderr



@settings(max_examples=20, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20).filter(lambda k: k != "__metadata__"),
                       st.tuples(st.sampled_from(["float32", "float16"]),
                                 st.lists(st.integers(1, 5), min_size=1, max_size=3)),
                       min_size=1, max_size=4), st.randoms())
def test_weights_read_back_as_the_safetensors_library_wrote_them(tmp_path_factory, tensors, rnd):
    """Our reader against the real writer: every tensor comes back equal, as float32."""
    from safetensors.numpy import save_file

    from summarizer.bert_numpy import read_safetensors

    arrays = {name: np.array([rnd.uniform(-9, 9) for _ in range(int(np.prod(shape)))],
                             dtype=dtype).reshape(shape) for name, (dtype, shape) in tensors.items()}
    path = tmp_path_factory.mktemp("st") / "model.safetensors"
    save_file(arrays, str(path))
    back = read_safetensors(path)
    assert back.keys() == arrays.keys()
    for name, arr in arrays.items():
        assert back[name].dtype == np.float32 and np.array_equal(back[name], arr.astype(np.float32))


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=200))
def test_a_damaged_weights_file_is_one_clear_error(tmp_path_factory, junk):
    from summarizer.bert_numpy import UnsupportedModel, read_safetensors

    path = tmp_path_factory.mktemp("bad") / "model.safetensors"
    path.write_bytes(junk)
    try:
        read_safetensors(path)
    except UnsupportedModel as exc:
        assert "safetensors" in str(exc)


def test_a_question_asked_again_gets_the_same_vector_without_running_the_model(numpy_encoder):
    question = "What did the ministers agree in Brussels?"
    first = numpy_encoder.encode([question])
    first[0, 0] = 42.0  # what a caller does with its copy must not reach the cache
    runs = []
    real = numpy_encoder._encode_unlocked
    numpy_encoder._encode_unlocked = lambda *a: runs.append(a) or real(*a)
    try:
        again = numpy_encoder.encode([question])
        other = numpy_encoder.encode(["Who won the election in Kenya?"])
    finally:
        del numpy_encoder._encode_unlocked
    fresh = Encoder(numpy_encoder.model_dir, backend=EncoderBackend.NUMPY).encode([question])
    assert np.array_equal(again, fresh)
    assert len(runs) == 1 and other.shape == (1, fresh.shape[1])  # only the new question ran


def test_digest_titles_seen_before_are_not_encoded_again(numpy_encoder):
    titles = ["Ministers meet in Brussels", "Floods close the coastal road", "Ministers meet in Brussels"]
    first = numpy_encoder.encode_recent(titles)
    assert np.allclose(first, numpy_encoder.encode(titles), atol=1e-5)
    assert np.array_equal(first[0], first[2])
    runs = []
    real = numpy_encoder._encode_unlocked
    numpy_encoder._encode_unlocked = lambda texts, size: runs.append(list(texts)) or real(texts, size)
    try:
        again = numpy_encoder.encode_recent([*titles, "Strikes hit the power grid"])
    finally:
        del numpy_encoder._encode_unlocked
    assert runs == [["Strikes hit the power grid"]]  # only the new title ran the model
    assert np.array_equal(again[:3], first)
