"""Text folding shared by dedup, entity matching and topic lookup.

One place decides what "the same words" means, so a name stored from an
article and the same name typed by a user with other accents, case or
possessives meet on the same key.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'", "–": "-", "—": "-"})
_POSSESSIVE = re.compile(r"(?:'s|s')$", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case, strip diacritics (Łuków -> lukow), unify apostrophes and dashes."""
    if text.isascii():  # most text: nothing to decompose, only the backtick to unify
        return text.replace("`", "'").lower()
    return fold_unicode(text)


def fold_unicode(text: str) -> str:
    """`fold` for any text (the ASCII shortcut aside): decompose and drop combining marks."""
    text = text.translate(_APOSTROPHES).replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower()


def words(text: str) -> list[str]:
    """Folded alphanumeric words, in order."""
    return re.findall(r"[a-z0-9]+", fold(text))


def strip_possessive(token: str) -> str:
    """"Trump's" -> "Trump", "Witkoffs'" stays for plural possessives of names ending in s."""
    token = token.translate(_APOSTROPHES)
    return _POSSESSIVE.sub("", token) if "'" in token else token


def word_key(token: str) -> str:
    """One name word reduced so transliteration variants meet: Zelenskyy/Zelenskiy -> zelensky."""
    w = re.sub(r"[^a-z0-9]", "", fold(strip_possessive(token)))
    w = re.sub(r"(?:iy|yi|yy|ij|ii)$", "y", w)
    if len(w) > 3 and w[-1] == w[-2] and w[-1].isalpha():  # doubled trailing letter
        w = w[:-1]
    return w


def phrase_key(text: str) -> str:
    """A folded key for any name or phrase: words joined by single spaces."""
    return " ".join(words(text))


def skeleton(word: str) -> str:
    """A spelling-blind form for transliterated names: first letter, then consonants without
    h/w/y, doubles collapsed. Gaddafi, Gadhafi -> gdf; Muammar, Moammar -> mmr."""
    w = re.sub(r"[^a-z]", "", fold(word))
    if not w:
        return ""
    rest = re.sub(r"[aeiouhwy]", "", w[1:])
    return re.sub(r"(.)\1+", r"\1", w[0] + rest)
