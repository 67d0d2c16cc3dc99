"""Shared fixtures: real SQLite files, and two worlds of language models.

Real models (MiniLM + en_core_web_sm: `encoder`, `services`, `seeded_db`) for every test
whose claim depends on what the models understand: entities, ranking, the seeds end to end.
The fast pair (`fast_encoder`: hashed words, `blank_nlp`: spacy.blank("en"), no NER;
`fast_services`) for tests about plumbing: storage, delivery, feeds, hostile input,
properties. Each test names the world it uses by the fixture it asks for.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pg_server import postgres_server, postgres_url, postgres_urls  # noqa: F401  (fixtures)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
#: Evaluation data lives beside the repository and is never copied into it.
EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """Where a store opens, once per backend: a fresh SQLite file, then a fresh database
    on the loopback PostgreSQL server (skipped locally without one; never in CI)."""
    if request.param == "sqlite":
        return tmp_path / "briefbot.db"
    from bot.index.backend import DatabaseUrl

    return DatabaseUrl(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path_factory):
    """`make(name)` -> a fresh place for a store, once per backend: a new SQLite file, then
    a new database on the loopback PostgreSQL server (skipped locally without one)."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("dbs")
        return lambda name: folder / f"{name}.db"
    from bot.index.backend import DatabaseUrl

    make_url = request.getfixturevalue("postgres_urls")
    return lambda name: DatabaseUrl(make_url())


def backend_env(settings) -> dict[str, str]:
    """The environment a child process (a second `serve`, a poller, a job worker) needs to
    open the same database as `settings`: BRIEFBOT_DATABASE_URL, else BRIEFBOT_DB."""
    from multiproc_child import child_env

    return child_env(settings.database)


def make_settings(db_path: Path, **overrides):
    from bot.config import Settings

    return Settings.load(env={}, dotenv=None, db_path=db_path, **overrides)


@pytest.fixture(scope="session")
def encoder():
    from summarizer.embeddings import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def fast_encoder():
    """The hashing encoder: same interface and shape as MiniLM, no model, deterministic."""
    from summarizer.embeddings import Encoder, EncoderBackend

    return Encoder(backend=EncoderBackend.HASHING)


@pytest.fixture(scope="session")
def blank_nlp():
    """A tokenizer-only English spaCy pipeline: no entities, so only the rule-found
    people ("President Jane Roe") become mentions."""
    import spacy

    return spacy.blank("en")


@pytest.fixture(scope="session")
def blank_nlp_dir(tmp_path_factory) -> Path:
    """`blank_nlp` saved as a folder, for code that loads BRIEFBOT_SPACY_MODEL itself."""
    import spacy

    folder = tmp_path_factory.mktemp("blank-spacy") / "blank_en"
    spacy.blank("en").to_disk(folder)
    return folder


@pytest.fixture
def fast_env(monkeypatch, blank_nlp_dir):
    """The fast pair for the CLI and child processes, through the settings a user would set."""
    monkeypatch.setenv("BRIEFBOT_ENCODER", "hashing")
    monkeypatch.setenv("BRIEFBOT_SPACY_MODEL", str(blank_nlp_dir))


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "briefbot.db")


def _services_for(db_path, encoder, nlp=None, /, **overrides):
    """Services on a SQLite file, or on PostgreSQL when `db_path` is a DatabaseUrl."""
    from bot.index.backend import DatabaseUrl
    from bot.index.store import Index
    from bot.registry import load_commands
    from bot.services import Services
    from summarizer import make_summarizer

    if isinstance(db_path, DatabaseUrl):
        overrides["database_url"] = db_path
        db_path = Path(os.devnull)  # never opened: every store opens settings.database
    settings = make_settings(db_path, **overrides)
    index = Index(settings.database, settings, encoder=encoder, nlp=nlp)
    return Services(settings=settings, index=index,
                    summarizer=make_summarizer(settings, encoder), registry=load_commands())


@pytest.fixture
def services(tmp_path, encoder):
    """Real commands over an empty index in a fresh SQLite file."""
    svc = _services_for(tmp_path / "briefbot.db", encoder)
    yield svc
    svc.index.close()


@pytest.fixture
def fast_services(tmp_path, fast_encoder, blank_nlp):
    """Real commands over an empty index, with the fast pair instead of the real models
    (and settings that say so, for code that opens the index again from them)."""
    from summarizer.embeddings import EncoderBackend

    svc = _services_for(tmp_path / "briefbot.db", fast_encoder, blank_nlp,
                        encoder=EncoderBackend.HASHING)
    yield svc
    svc.index.close()


@pytest.fixture
def fast_services_each_backend(database, fast_encoder, blank_nlp):
    """`fast_services` once on a SQLite file and once on PostgreSQL."""
    from summarizer.embeddings import EncoderBackend

    svc = _services_for(database, fast_encoder, blank_nlp, encoder=EncoderBackend.HASHING)
    yield svc
    svc.index.close()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory, encoder) -> Path:
    """A SQLite file with the seed pages ingested once per session; copy it to change it."""
    from bot.index.store import Index
    from bot.ingest.pipeline import run_ingest

    path = tmp_path_factory.mktemp("seeded") / "seeds.db"
    index = Index(path, make_settings(path), encoder=encoder)
    cwd = os.getcwd()
    os.chdir(ROOT)  # origins read "seeds/000_….txt#2", as a user typing the path sees them
    try:
        report = run_ingest(["seeds"], index, progress=False)
    finally:
        os.chdir(cwd)
    assert report.stored > 5, report.as_json()
    index.close()
    return path


@pytest.fixture
def seeded_each_backend(seeded_db, database, tmp_path):
    """The seeded database on each backend: a copy of the file, then the same copied into
    PostgreSQL with `briefbot migrate`'s own code (bot.index.transfer)."""
    from bot.index.backend import DatabaseUrl
    from bot.index.transfer import transfer

    copy = tmp_path / "seeded-source.db"
    shutil.copy(seeded_db, copy)
    if isinstance(database, DatabaseUrl):
        transfer(copy, database)
        return database
    return copy


@pytest.fixture
def seeded_services_each_backend(seeded_each_backend, encoder):
    """Real commands over the seeded database, on SQLite and on PostgreSQL."""
    svc = _services_for(seeded_each_backend, encoder)
    yield svc
    svc.index.close()


@pytest.fixture
def seeded_services(seeded_db, tmp_path, encoder):
    """Real commands over a private copy of the seeded database."""
    path = tmp_path / "seeded.db"
    shutil.copy(seeded_db, path)
    svc = _services_for(path, encoder)
    yield svc
    svc.index.close()
