"""Who is speaking in a sentence: "X said", "said X", "according to X", "X told/wrote/tweeted",
and a quote followed by "he said" right after a sentence naming X.

Worked out once per article at ingest (and by a backfill for older databases), from the
sentences and the person mentions the index already holds, and stored as rows of
`speeches` (sentence, mention of the speaker, cue). "What did X say" then reads X's own
statements with one query instead of parsing every sentence per question.

A speech row points at the speaker's *mention*, not at the entity, so that when two
entities are merged later (a surname-only person absorbed by a full name) the statements
follow the mentions to the surviving entity.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import sqlite_utils


log = logging.getLogger(__name__)

#: A backfill of a large archive logs its progress this often (articles).
BACKFILL_REPORT_EVERY = 1000


class Cue(StrEnum):
    """How a sentence gives its speaker away."""

    NAME_VERB = "name_verb"          # "Zelensky said", "Zelensky, the president, told..."
    VERB_NAME = "verb_name"          # '..., said Zelensky.'
    ACCORDING_TO = "according_to"    # "according to Zelensky"
    QUOTE_FOLLOWS = "quote_follows"  # '"...," he said.' after a sentence naming him


#: Verbs of saying, as news copy uses them beside a speaker's name.
_VERBS = (r"(?:said|says|say|told|tells|added|adds|stated|states|wrote|writes|tweeted|posted|"
          r"announced|announces|declared|insisted|insists|warned|warns|argued|argues|claimed|"
          r"claims|noted|notes|explained|urged|urges|asked|replied|responded|stressed|"
          r"acknowledged|emphasi[sz]ed|suggested|remarked|admitted|vowed|promised|predicted|"
          r"conceded|continued|complained|recalled|confirmed|denied|cautioned)")
#: Between a name and its verb: an apposition in commas, or an auxiliary/adverb.
_BETWEEN = r"(?:\s*,[^,\"“”]{1,80},)?\s+(?:(?:has|had|have|also|later|then|again|previously|" \
           r"once|publicly|reportedly|repeatedly|recently|on\s+\w+)\s+)*"
_PRONOUN_TAG = re.compile(rf"\b(?:he|she)\s+(?:also\s+|later\s+)?{_VERBS}\b", re.IGNORECASE)
_QUOTE = re.compile(r"[\"“”«»]|(?:^|\s)['‘]")


@dataclass(frozen=True, slots=True)
class NamedMention:
    """A possible speaker named in an article (a person, or an organisation or country:
    "the Kremlin said", "Ukraine says"): which sentence, how it was written, its row id."""

    mention_id: int
    sentence: int
    surface: str
    #: Only a person is "he" or "she" in the quote after.
    person: bool = True


def find_speeches(sentences: Sequence[str],
                  people: Sequence[NamedMention]) -> list[tuple[int, int, Cue]]:
    """(sentence index, mention id of the speaker, cue) for every attributed sentence."""
    by_sentence: dict[int, list[NamedMention]] = {}
    for p in people:
        by_sentence.setdefault(p.sentence, []).append(p)
    found: list[tuple[int, int, Cue]] = []
    last_speaker: dict[int, NamedMention] = {}  # sentence index -> who spoke (or was named)
    for i, text in enumerate(sentences):
        named = by_sentence.get(i, [])
        here = [(p, cue) for p in named if (cue := speaker_cue(text, p.surface)) is not None]
        for p, cue in here:
            found.append((i, p.mention_id, cue))
        people_here = [p for p in named if p.person]
        speaking = [p for p, _ in here if p.person]
        if speaking:
            last_speaker[i] = speaking[0]
        elif len({p.surface for p in people_here}) == 1:
            last_speaker[i] = people_here[0]
        # '"We will not give up," he said.' continues the person of the sentence before
        if not named and i - 1 in last_speaker and _QUOTE.search(text) and _PRONOUN_TAG.search(text):
            speaker = last_speaker[i - 1]
            found.append((i, speaker.mention_id, Cue.QUOTE_FOLLOWS))
            last_speaker[i] = speaker
    return found


def speaker_cue(text: str, surface: str) -> Cue | None:
    """How `text` makes the person written `surface` its speaker, or None if it does not."""
    # every cue needs a verb of saying or "according to": most sentences have neither
    if not _ANY_CUE.search(text):
        return None
    name_verb, verb_name, according_to = _cue_patterns(surface)
    if name_verb.search(text):
        return Cue.NAME_VERB
    if verb_name.search(text):
        return Cue.VERB_NAME
    if according_to.search(text):
        return Cue.ACCORDING_TO
    return None


_ANY_CUE = re.compile(rf"{_VERBS}\b|\baccording\s+to\s", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _cue_patterns(surface: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The three cue patterns for one name, compiled once: an article names the same people
    in many sentences, and `re`'s own cache (512) thrashes on an archive's many names."""
    name = re.escape(surface)
    edge_l, edge_r = r"(?<![\w'’-])", r"(?![\w-])(?!['’]s\b)"
    name_verb = re.compile(rf"{edge_l}{name}{edge_r}{_BETWEEN}{_VERBS}\b")
    # '"...," said Ukraine's president, Volodymyr Zelensky.' - a speech tag after a quote or clause
    verb_name = re.compile(
        rf"(?:^|[,\"“”’:;—–-])\s*{_VERBS}\s+(?:[\w.'’-]+,?\s+){{0,6}}?{name}{edge_r}"
        r"\s*(?:[,.;:!?\"”)]|$|\s+(?:on|in|at|during|after|before|to|when|while|last|"
        r"this|yesterday|today)\b)")
    according_to = re.compile(rf"\baccording\s+to\s+(?:[\w.'’-]+,?\s+){{0,5}}?{name}{edge_r}",
                              re.IGNORECASE)
    return name_verb, verb_name, according_to


def record_article(conn: sqlite3.Connection, article_id: int) -> int:
    """Find and store who speaks in one stored article; returns the rows written.

    Runs inside the caller's transaction (ingest's, or a migration step's)."""
    sentences = conn.execute("SELECT id, text FROM sentences WHERE article_id = ? ORDER BY position",
                             [article_id]).fetchall()
    position = {sid: i for i, (sid, _) in enumerate(sentences)}
    people = [NamedMention(mid, position[sid], surface, kind == "PERSON")
              for mid, sid, surface, kind in conn.execute(
        "SELECT m.id, m.sentence_id, m.surface, e.type FROM mentions m "
        "JOIN entities e ON e.id = m.entity_id "
        "WHERE m.article_id = ? AND e.type IN ('PERSON', 'ORG', 'GPE') AND m.surface IS NOT NULL",
        [article_id])
        if sid in position]
    rows = [(sentences[i][0], mention_id, str(cue))
            for i, mention_id, cue in find_speeches([t for _, t in sentences], people)]
    conn.executemany("INSERT OR IGNORE INTO speeches(sentence_id, mention_id, cue) VALUES (?, ?, ?)",
                     rows)
    return len(rows)


def create_and_backfill(db: sqlite_utils.Database) -> None:
    """Migration step: the `speeches` table, filled for every article already stored."""
    db.table("speeches").create({"sentence_id": int, "mention_id": int, "cue": str},
                          pk=("sentence_id", "mention_id"),
                          foreign_keys=[("sentence_id", "sentences", "id"),
                                        ("mention_id", "mentions", "id")],
                          not_null={"cue"})
    db.table("speeches").create_index(["mention_id"])
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    if ids:
        log.info("finding who speaks in %d stored articles (once, for this new version)", len(ids))
    for done, article_id in enumerate(ids, start=1):
        record_article(db.conn, article_id)
        if done % BACKFILL_REPORT_EVERY == 0:
            log.info("speakers: %d of %d articles", done, len(ids))


def statement_ids(conn: sqlite3.Connection, entity_id: int, article_ids: Sequence[int]) -> set[int]:
    """Sentences of these articles in which the entity (person, organisation, country) speaks."""
    if not article_ids:
        return set()
    marks = ",".join("?" * len(article_ids))
    return {r[0] for r in conn.execute(
        "SELECT DISTINCT s.sentence_id FROM speeches s JOIN mentions m ON m.id = s.mention_id "
        f"WHERE m.entity_id = ? AND m.article_id IN ({marks})", [entity_id, *article_ids])}
