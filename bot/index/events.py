"""Events in one article: summits, meetings, talks, calls and strikes.

Found from the ways news names them — "the Budapest summit", "a meeting in
Hungary", "talks in Moscow", "the Trump-Putin call", "strikes on Lviv" — and
keyed so that different wordings of the same event meet: summits, meetings and
talks by region (a country, or a US state), strikes by place, calls by who spoke.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.index.gazetteer import Place, gazetteer

#: summit, meeting and talks in one place are one event: they share the "meet" group.
GROUP = {"summit": "meet", "meeting": "meet", "talks": "meet", "call": "call", "strike": "strike",
         "mention": "meet"}
#: When a place hosted several wordings, the name uses the first kind present here.
KIND_PREFERENCE = ("summit", "meeting", "talks")

_KIND_WORDS = {
    "summit": "summit", "summits": "summit", "meeting": "meeting", "meetings": "meeting",
    "meet": "meeting", "met": "meeting", "meets": "meeting", "talks": "talks",
    "negotiations": "talks", "strike": "strike", "strikes": "strike", "airstrike": "strike",
    "airstrikes": "strike", "attack": "strike", "attacks": "strike", "bombing": "strike",
    "shelling": "strike",
}
_MEET = r"summits?|meetings?|meet|met|meets|talks|negotiations"
_STRIKE = r"strikes?|airstrikes?|attacks?|bombing|shelling"
# Words that, between "talks" and "in X", mean X is the topic, not the venue.
_GAP_BREAKERS = {"on", "about", "over", "to", "that", "which", "who", "after", "before", "since",
                 "while", "because", "than", "for", "against", "of", "but", "if", "when", "in",
                 "at", "aimed", "during", "where"}
_VERBS = {"meet", "met", "meets"}
_CALL = re.compile(r"\b(?:phone|telephone)\s+(?:call|conversation|talks?)s?\b|"
                   r"\bcalls?\s+(?:between|with)\b|\bspoke\s+by\s+(?:tele)?phone\b|"
                   r"\b(?:had|held|have\s+had|have\s+held)\s+(?:[\w'’-]+\s+){0,3}calls?\b",
                   re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EventMention:
    """One phrase naming an event in one sentence (sentence None = the title)."""

    sentence: int | None
    kind: str  # summit | meeting | talks | call | strike
    phrase: str
    place: Place | None = None
    participants: tuple[str, ...] = ()  # full names, for calls

    @property
    def group(self) -> str:
        return GROUP[self.kind]


def _kind(word: str) -> str:
    return _KIND_WORDS[word.lower()]


def find_events(sentence: str, index: int | None,
                people: Sequence[str] = ()) -> list[EventMention]:
    """Every event phrase in one sentence; `people` are the persons it mentions, in order."""
    out: list[EventMention] = []
    places = gazetteer().find(sentence)
    for start, end, place in places:
        before = sentence[:start]
        after = sentence[end:]
        # "the Budapest summit", "Alaska meeting", "Lviv strikes"
        m = re.match(rf"[\s-]*({_MEET}|{_STRIKE})\b", after, re.IGNORECASE)
        if m and m.group(1).lower() not in {"met", "meet", "meets"}:
            kind = _kind(m.group(1))
            # "Ukraine talks" are talks about Ukraine; a country before "strikes" is its attacker
            if not (place.kind == "country" and kind in {"talks", "strike"}):
                out.append(EventMention(index, kind, sentence[start:end + m.end()], place))
                continue
        # "summit between Putin and Trump in Budapest", "a meeting last week in Alaska"
        venue = _venue_phrase(before)
        if venue is not None:
            out.append(EventMention(index, venue[1], sentence[venue[0]:end], place))
            continue
        # "strikes on the cities of Mukachevo and Lviv", "attack on Kharkiv"
        m = re.search(rf"\b({_STRIKE})\s+(?:on|against|in|targeting|hit|hitting)\s+"
                      rf"(?:the\s+)?(?:(?:city|cities|town|region|capital)\s+(?:of\s+)?)?"
                      rf"(?:[A-Z][\w'’-]*(?:\s+and\s+|,\s*))*$", before, re.IGNORECASE)
        if m and place.kind != "country":
            out.append(EventMention(index, "strike", sentence[m.start():end], place))
    pairs = hyphen_pairs(sentence)
    call = _CALL.search(sentence)
    if pairs:
        out.append(EventMention(index, "call", pairs[0][2], participants=pairs[0][:2]))
    elif call and len(set(people)) >= 2:
        names = tuple(dict.fromkeys(people))[:2]
        out.append(EventMention(index, "call", call.group(0), participants=names))
    return out


def place_links(sentence: str, index: int, people: Sequence[str]) -> list[EventMention]:
    """Weaker evidence: two people "in Alaska" / "at the White House" together, with no event
    word. Such a sentence may discuss an event held there; the store links it only to an
    event already known at that place, never creates one."""
    if len(set(people)) < 2:
        return []
    out = []
    for start, end, place in gazetteer().find(sentence):
        if place.kind != "country" and re.search(r"\b(?:in|to|at)\s+(?:the\s+)?$",
                                                 sentence[:start], re.IGNORECASE):
            out.append(EventMention(index, "mention", sentence[start:end], place))
    return out


def _venue_phrase(before: str) -> tuple[int, str] | None:
    """When `before` ends with "<meeting word> [a few words] in (the)", return where that
    phrase starts and its kind; None if the words between say the place is a topic."""
    tail = re.search(r"\s+in\s+(?:the\s+)?$", before, re.IGNORECASE)
    if not tail:
        return None
    head = before[:tail.start()]
    kinds = list(re.finditer(rf"\b({_MEET})\b", head, re.IGNORECASE))
    if not kinds:
        return None
    last = kinds[-1]
    gap = re.findall(r"[\w'’.-]+", head[last.end():])
    if last.group(1).lower() in _VERBS and (len(gap) > 3 or "with" in gap):
        return None
    if len(gap) > 8 or _GAP_BREAKERS & {w.lower() for w in gap} or re.search(r"[;:!?]|\.\s", head[last.end():]):
        return None
    return last.start(), _kind(last.group(1))


def hyphen_pairs(sentence: str) -> list[tuple[str, str, str]]:
    """"the Trump-Putin call" -> [("Trump", "Putin", "Trump-Putin call")]."""
    return [(m.group(1), m.group(2), m.group(0)) for m in re.finditer(
        r"\b([A-Z][a-z]+)[-–]([A-Z][a-z]+)\s+(?:phone\s+)?(?:call|conversation)s?\b", sentence)]
