"""Places we know: which country a city is in, which US state a US city is in.

Events are grouped by *region* — the country, or the state for US places,
because "Alaska" and "Washington" host different summits while "Budapest" and
"Hungary" name the same one. Display names prefer the most specific place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.index.text import fold

_DATA = Path(__file__).with_name("places.json")

#: Rank of specificity: a city names an event better than its country.
SPECIFICITY = {"city": 3, "state": 2, "country": 1}


@dataclass(frozen=True, slots=True)
class Place:
    name: str  # "Budapest"
    kind: str  # "city" | "state" | "country"
    country: str  # "Hungary"
    region: str  # grouping key: the country, or the US state

    @property
    def specificity(self) -> int:
        return SPECIFICITY[self.kind]


class Gazetteer:
    """Looks places up by any spelling, and finds them in running text."""

    def __init__(self, data: dict) -> None:
        self._places: dict[str, Place] = {}
        #: Keys that name a venue, not the place itself ("White House" -> Washington).
        self._venues: set[str] = set()
        us_state = data.get("us_city_state", {})
        for name in data["countries"]:
            self._add(name, Place(name, "country", name, name))
        for alias, name in data["country_aliases"].items():
            self._alias(alias, name)
        for name, country in data["cities"].items():
            region = us_state.get(name, country) if country == "United States" else country
            self._add(name, Place(name, "city", country, region))
        for name in data["us_states"]:  # after cities: "Washington" is the capital
            self._add(name, Place(name, "state", "United States", name))
        for alias, name in data["place_aliases"].items():
            self._alias(alias, name)
        for venue, name in data.get("venues", {}).items():
            if fold(venue) not in self._places:
                self._venues.add(fold(venue))
                self._alias(venue, name)
        names = sorted(self._places, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w.])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])")

    def _add(self, name: str, place: Place) -> None:
        self._places.setdefault(fold(name), place)

    def _alias(self, alias: str, name: str) -> None:
        target = self._places.get(fold(name))
        if target:
            self._places.setdefault(fold(alias), target)

    def lookup(self, name: str, *, venues: bool = True) -> Place | None:
        """The place a name (any case, accents, leading "the") refers to, if known;
        with venues=False a building ("White House") is not its city."""
        key = re.sub(r"^the\s+", "", fold(name).strip())
        key = re.sub(r"'s$", "", key)
        for k in (key, key.strip(".,;:'\" ")):
            if k in self._places:
                return None if (not venues and k in self._venues) else self._places[k]
        return None

    def find(self, text: str) -> list[tuple[int, int, Place]]:
        """Every known place in `text` as (start, end, place), matching case-insensitively
        but only on capitalised words, so "turkey" the bird or "georgia" in lower-case prose
        stay unmatched."""
        folded = fold(text)
        if len(folded) != len(text):  # a ligature or the like changed lengths
            folded = text.lower()
        out = []
        for m in self._pattern.finditer(folded):
            if not text[m.start()].isupper():
                continue
            out.append((m.start(), m.end(), self._places[m.group(1)]))
        return out


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The bundled gazetteer, read once per process."""
    return Gazetteer(json.loads(_DATA.read_text(encoding="utf-8")))
