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
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlite_utils

from bot.index.sentence_text import article_sentences


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
#: speaker_cue's cues, around the name: what every cue contains, the character that may not
#: come just before the name, what follows it (a speech verb), what surrounds it in a tag.
_ANY_CUE = re.compile(rf"{_VERBS}\b|according\s+to", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _has_cue(text: str) -> bool:
    """Whether a sentence has any speech verb: one slow unanchored scan per sentence, not
    one per person it names."""
    return _ANY_CUE.search(text) is not None
_WORD_CHAR = re.compile(r"[\w'’-]")
_EDGE_R_ANY_CASE = re.compile(r"(?![\w-])(?!['’]s\b)", re.IGNORECASE)
_NAME_VERB_TAIL = re.compile(rf"(?![\w-])(?!['’]s\b){_BETWEEN}{_VERBS}\b")
# '"...," said Ukraine's president, Volodymyr Zelensky.' - a speech tag after a quote (in
# any of the quote marks news copy uses, the straight single one included) or a clause
_VERB_NAME_HEAD = re.compile(rf"(?:^|[,\"“”'’»:;—–-])\s*{_VERBS}\s+(?:[\w.'’-]+,?\s+){{0,6}}?\Z")
_VERB_NAME_TAIL = re.compile(r"(?![\w-])(?!['’]s\b)\s*(?:[,.;:!?\"”)]|$|\s+(?:on|in|at|during|"
                             r"after|before|to|when|while|last|this|yesterday|today)\b)")
_ACCORDING_HEAD = re.compile(r"\baccording\s+to\s+(?:[\w.'’-]+,?\s+){0,5}?\Z", re.IGNORECASE)
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
    """How `text` makes the person written `surface` its speaker, or None if it does not.

    The cue patterns are compiled once, around a slot for the name: each place the name
    is written is tested for what must precede and follow it (compiling a pattern per
    name cost milliseconds, more than matching, once an archive knows thousands)."""
    if not surface or not _has_cue(text):  # every cue needs one of these
        return None
    spots = [i for i in _occurrences(text, surface) if i == 0 or not _WORD_CHAR.match(text[i - 1])]
    for i in spots:
        if _NAME_VERB_TAIL.match(text, i + len(surface)):
            return Cue.NAME_VERB
    for i in spots:
        if _VERB_NAME_TAIL.match(text, i + len(surface)) and _VERB_NAME_HEAD.search(text[:i]):
            return Cue.VERB_NAME
    for m in re.finditer(re.escape(surface), text, re.IGNORECASE):
        if _EDGE_R_ANY_CASE.match(text, m.end()) and _ACCORDING_HEAD.search(text[:m.start()]):
            return Cue.ACCORDING_TO
    return None


def _occurrences(text: str, surface: str) -> list[int]:
    out, at = [], text.find(surface)
    while at >= 0:
        out.append(at)
        at = text.find(surface, at + 1)
    return out


def record_article(conn: sqlite3.Connection, article_id: int) -> int:
    """Find and store who speaks in one stored article; returns the rows written.

    Runs inside the caller's transaction (ingest's, or a migration step's)."""
    sentences = article_sentences(conn, article_id)
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
    _record_all(db)


def _record_all(db: sqlite_utils.Database, again: str = "") -> None:
    """Find the speakers of every stored article, logging progress on a large archive."""
    ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id").fetchall()]
    if ids:
        log.info("finding who speaks in %d stored articles%s (once, for this version)",
                 len(ids), again)
    for done, article_id in enumerate(ids, start=1):
        record_article(db.conn, article_id)
        if done % BACKFILL_REPORT_EVERY == 0:
            log.info("speakers: %d of %d articles", done, len(ids))


def refind_all(db: sqlite_utils.Database) -> None:
    """Migration step: find the speakers of every stored article again, after the cues
    learnt the straight single quote ('...,' said Putin) and guillemets."""
    db.execute("DELETE FROM speeches")
    _record_all(db, " again")


def statement_ids(conn: sqlite3.Connection, entity_id: int, article_ids: Sequence[int]) -> set[int]:
    """Sentences of these articles in which the entity (person, organisation, country) speaks."""
    if not article_ids:
        return set()
    marks = ",".join("?" * len(article_ids))
    return {r[0] for r in conn.execute(
        "SELECT DISTINCT s.sentence_id FROM speeches s JOIN mentions m ON m.id = s.mention_id "
        f"WHERE m.entity_id = ? AND m.article_id IN ({marks})", [entity_id, *article_ids])}
