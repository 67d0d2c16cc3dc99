"""Removing page furniture from article text by general rules.

Aggregator pages wrap a story in subscription prompts, app banners, comment
forms, share counters, breadcrumbs and photo credits. None of that may reach a
briefing, because every sentence we show is cited verbatim. The rules below look
at the *kind* of line (a call to action addressed to the reader, a line with no
words, a short line made of interface words, an all-caps banner, a caption that
ends in a credit...) rather than at the exact strings of the seed pages, so they
also hold on pages we have never seen.

Kept text is never rewritten: a line survives whole, or loses whole sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.ingest.dates import RELATIVE, ends_with_credit
from summarizer.sentences import split_sentences

#: Verbs that open a call to action addressed to the reader.
CTA_VERBS = {
    "subscribe", "sign", "log", "login", "register", "download", "install", "get", "try", "explore",
    "join", "follow", "click", "tap", "share", "read", "solve", "play", "watch", "listen", "discover",
    "unlock", "start", "continue", "view", "see", "visit", "learn", "shop", "upgrade", "enjoy",
    "ready", "want", "stay", "support", "donate", "comment", "leave", "open",
}
#: Words that only advertising uses; enough on their own to mark a call to action.
_PROMO_STRONG = re.compile(
    r"\b(?:apps?|app store|play store|google play|newsletters?|subscri\w+|sign(?:ing)? up|log ?in|"
    r"download\w*|crossword|puzzles?|wordle|podcasts?|premium|original article|notifications?|"
    r"inbox|comments?)\b",
    re.IGNORECASE,
)
#: Words that address the reader; they mark a call to action only in a short line of its own.
_PROMO_WEAK = re.compile(r"\b(?:you|your|our|us|today|now|free|features?|exploring|updates?|alerts?)\b",
                         re.IGNORECASE)
#: Interface words; a short line made mostly of them is not prose ("Hashtags", "Orange background").
UI_WORDS = {
    "logo", "hashtag", "hashtags", "tag", "tags", "topic", "topics", "comment", "comments", "share",
    "shares", "sharing", "advertisement", "advert", "ad", "ads", "sponsored", "background", "image",
    "images", "photo", "photos", "video", "videos", "gallery", "menu", "search", "home", "print",
    "email", "newsletter", "subscribe", "subscribed", "trending", "related", "recommended",
    "loading", "caption", "credit", "icon", "button", "close", "skip", "next", "previous", "more",
    "articles", "stories", "popular", "most", "read", "follow", "facebook", "twitter", "x",
    "whatsapp", "linkedin", "reddit", "telegram", "copy", "link", "bookmark", "save", "listen",
    "reply", "replies", "login", "register", "account", "profile", "notifications", "opens",
    "tab", "window", "toggle", "expand", "collapse", "back", "top", "article", "story",
    "scroll", "continue", "reading", "mute", "unmute", "min", "mins", "app", "podcast", "live",
}
_FILLER = {"a", "an", "the", "to", "of", "this", "new", "our", "your", "and", "on", "in", "for", "all"}
_COMMENT_WIDGET = re.compile(
    r"\b(?:comments?|replies|reply|commenting|discussion|be the first|"
    r"please (?:enter|fill|log|sign)|your (?:name|e-?mail|comment|website))\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^(?i:by|written by|words by|reporting by)\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*"
                     r"(?:\s*(?:,|\band\b|&|\|)\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*)*\s*$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_CONTACT = re.compile(r"^(?:write to|contact|e-?mail|reach|send|follow|tips?:)", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"^(?:source|sources|via|courtesy(?: of)?)\s*[:\-–—]\s*(?P<name>[^.!?]{2,60})$",
                          re.IGNORECASE)
_ORIGINAL = re.compile(r"\b(?i:read|see|view) the (?i:original|full) (?i:article|story) (?i:on|at) "
                       r"(?P<name>(?:[A-Z][\w&'.-]*\s?){1,5})")
#: Editorial notes about the page itself, not the news.
_EDITORIAL = re.compile(
    r"^(?:\S+\s){0,3}(?:earlier|previous|original) (?:story|version|report|article)s? "
    r"(?:follows|is below|appears below|below)"
    r"|^this (?:article|story|report) (?:was|has been|is) (?:auto(?:matically)?[- ])?"
    r"(?:generated|produced|published|created|syndicated|edited)\b.{0,40}\b(?:feed|agency|automated|wire)"
    r"|^(?:with )?(?:additional )?(?:assistance|reporting|editing|writing) (?:from|by) "
    r"|^(?:©|\(c\)|copyright\b)|\ball rights reserved\b"
    r"|^editor'?s'? note\b|^(?:this|the) (?:article|story|post) (?:has been|was) (?:updated|corrected)\b"
    r"|\bmay not be (?:re)?(?:published|produced|distributed|broadcast)\b",
    re.IGNORECASE,
)
#: Page metadata lines: "5 min read", "Updated 3:45 PM EDT", "Filed under: Politics", "Tags: ...".
_META_LINE = re.compile(
    r"^(?:\d{1,4}\s{0,3}[-–]?\s{0,3}min(?:ute)?s?\s{1,3}read\b|(?:published|updated|posted|last updated|"
    r"first published)\b\s{0,3}(?:on|at)?\s{0,3}:?\s{0,3}"
    r"(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)"
    r"|(?:filed under|topics?|tags?|categories|category|sections?|more on|related topics|keywords)\b"
    r"\s{0,3}:?\s{1,3}\S)",
    re.IGNORECASE,
)
#: Photo credits standing alone: "Photo by Jane Roe/Getty Images", "AP Photo/Evan Vucci".
_CREDIT_LINE = re.compile(
    r"^(?:\(?(?:photo|image|picture|illustration|video|graphic)s?\b.{0,60}(?:/|\bby\b|:)"
    r"|.{0,60}\b(?:getty images|shutterstock|ap photo|afp|reuters|epa|alamy|pool)\b.{0,40}/)",
    re.IGNORECASE,
)
#: Cookie and consent banners.
_CONSENT = re.compile(r"\b(?:cookies?|consent|gdpr|privacy (?:policy|settings|preferences)|"
                      r"value your privacy|do not sell)\b", re.IGNORECASE)
#: What an all-caps banner talks about (an all-caps quote in a story does not).
_BANNER = re.compile(r"\b(?:BREAKING|NEWS|UPDATE[DS]?|DEVELOPING|STORY|EDITOR'?S?|NOTE|CORRECTION|"
                     r"ADVERTISEMENT|SPONSORED|EXCLUSIVE|LIVE|WATCH|VIDEO|PHOTOS?|READ|SUBSCRIBE|"
                     r"DOWNLOAD|APP|REPLY|COMMENTS?|SHARE|SIGN|FOLLOW)\b")
#: Parts are stripped after splitting: "\s*[sep]\s*" was quadratic on long runs of spaces.
_BREADCRUMB_SEP = re.compile(r"[›»>|/→]")
_FUNCTION_S = {
    "this", "his", "its", "as", "us", "whereas", "perhaps", "across", "towards", "besides",
    "always", "unless", "thus", "plus", "less", "news", "has", "is", "was", "does", "yes",
    "afterwards", "sometimes", "various", "numerous", "serious", "famous", "previous",
}
_VERBS = {
    "said", "told", "met", "went", "left", "took", "made", "came", "got", "gave", "won", "lost",
    "held", "led", "sent", "hit", "put", "set", "cut", "fell", "saw", "ran", "began", "became",
    "spoke", "wrote", "knew", "thought", "brought", "bought", "kept", "stood", "sat", "paid",
    "meant", "felt", "built", "fought", "struck", "rose", "drew", "grew", "flew", "threw", "broke",
    "chose", "drove", "shot", "spent", "sold", "will", "would", "can", "could", "may", "might",
    "must", "shall", "should", "do", "did", "does", "be", "been", "being", "am", "are", "is", "was",
    "were", "has", "have", "had", "say", "says", "seem", "appear", "need", "want", "think", "know",
}


@dataclass
class Evidence:
    """What the furniture told us before we removed it: who really published the story."""

    source: str | None = None      # "Source: CNN"
    original: str | None = None    # "Read the original article on Business Insider"


def norm(text: str) -> str:
    """Compare lines regardless of case, curly quotes and spacing."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()


def clean_lines(lines: list[str], *, title: str | None = None,
                evidence: Evidence | None = None) -> list[str]:
    """Keep the article's own lines (paragraphs and section headings), drop the furniture."""
    ev = evidence if evidence is not None else Evidence()
    kept: list[str] = []
    for raw in lines:
        line = _tidy(raw)
        if not line:
            continue
        _collect_evidence(line, ev)
        if is_furniture(line, title=title):
            continue
        line = drop_furniture_sentences(line)
        if line:
            kept.append(line)
    return kept


def clean_text(text: str, *, title: str | None = None, evidence: Evidence | None = None) -> str:
    """`clean_lines` over a text; paragraphs joined by "\\n" as Article.text expects."""
    return "\n".join(clean_lines(text.splitlines(), title=title, evidence=evidence))


def _tidy(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "")
    line = re.sub(r"^\s*(?:[•·▪●■◦*]|-(?=\s))\s*", "", line)
    return re.sub(r"[ \t]+", " ", line).strip()


def _collect_evidence(line: str, ev: Evidence) -> None:
    m = _SOURCE_LINE.match(line)
    if m and ev.source is None and len(m.group("name").split()) <= 6:
        ev.source = m.group("name").strip()
    low = line.lower()
    m = _ORIGINAL.search(line) if ev.original is None and ("original" in low or "full" in low) else None
    if m:
        words: list[str] = []
        for word in m.group("name").split():
            if word.lower() in CTA_VERBS and words:
                break
            words.append(word)
        ev.original = " ".join(words).rstrip(".") or None


#: A word: letters or digits, with inner apostrophes and hyphens ("O'Brien", "well-known").
_WORD = re.compile(r"\w[\w'’-]*")


def words_of(line: str) -> list[str]:
    return _WORD.findall(line)


def has_sentence_end(line: str) -> bool:
    return bool(re.search(r"[.!?…][\"'’”)\]]*$", line))


def is_furniture(line: str, *, title: str | None = None) -> bool:
    """True for a whole line that is page furniture rather than article text."""
    if not re.search(r"[^\W\d_]", line):
        return True                                   # "0", "32", "—": counters and rules
    if re.fullmatch(r"[a-z][a-z0-9-]*", line):
        return True                                   # "logo", "app-storeplay-store": alt text
    if title and norm(line) == norm(title):
        return True                                   # the title repeated in the body
    words = words_of(line)
    if "@" in line and _EMAIL.search(line) and (_CONTACT.match(line) or len(words) < 30):
        return True                                   # "Write to ... at ...@wsj.com"
    if len(words) > 60:
        return False                                  # a paragraph: only sentences can go
    if _is_breadcrumb(line, title):
        return True
    if _SOURCE_LINE.match(line) and len(words) <= 8:
        return True
    if len(words) <= 8 and not has_sentence_end(line) and RELATIVE.search(line):
        return True                                   # "13 minutes ago", "Hindustan Times10 hours ago"
    if len(words) <= 12 and _BYLINE.match(line) and not has_sentence_end(line.rstrip(".")):
        return True                                   # "By Jane Roe and John Doe, Reuters"
    if not re.search(r"[a-z]", line) and not re.fullmatch(r"[A-Z]{1,5}", line) and (
            len(words) <= 6 and not line.startswith(("'", '"', "‘", "“")) or _BANNER.search(line)):
        return True                                   # "LEAVE A REPLY", "DOWNLOAD THE APP"
    if len(words) <= 10 and _COMMENT_WIDGET.search(line):
        return True
    if len(words) <= 14 and not has_sentence_end(line) and (_META_LINE.match(line) or _CREDIT_LINE.match(line)):
        return True                                   # "5 min read", "Tags: ...", "AP Photo/Evan Vucci"
    if len(words) <= 15 and _CONSENT.search(line):
        return True
    if len(words) <= 30 and _is_promo_line(line, alone=len(words) <= 10):
        return True
    if _is_interface_line(line, words):
        return True
    if ends_with_credit(line):
        return True                                   # caption ending in a photo credit
    if _is_verbless_caption(line, words):
        return True
    return len(words) <= 25 and bool(_EDITORIAL.search(line))


def is_call_to_action(sentence: str, *, alone: bool = False) -> bool:
    """An imperative addressed to the reader: "Subscribe.", "Try Our AI Features", "Read the original..."."""
    words = words_of(sentence)
    if not words or sentence[:1] in "'\"‘“":
        return False
    first = words[0].lower().replace("’", "'")
    if first not in CTA_VERBS or len(words) > 25:
        return False
    head = _WORD.search(sentence)  # `words` is not empty, so there is a first word
    rest = sentence[head.end() if head else 0:]   # after the first word, even in "Read:more"
    strong = bool(_PROMO_STRONG.search(rest))
    weak = alone and bool(_PROMO_WEAK.search(rest))
    if first in {"want", "ready", "stay", "see", "start", "continue", "support", "leave", "comment",
                 "view", "learn", "enjoy", "like", "open"} and not (strong or weak):
        return False
    if alone and len(words) <= 6:
        return True
    return strong or weak or (not has_sentence_end(sentence) and len(words) <= 12)


def _is_promo_line(line: str, *, alone: bool) -> bool:
    """A call to action, perhaps after a teaser question: "Want all of The Times? Subscribe." """
    sentences = split_sentences(line)
    if not any(is_call_to_action(s, alone=alone) for s in sentences):
        return False
    return all(is_call_to_action(s, alone=alone) or s.endswith(("?", ":")) or len(words_of(s)) <= 4
               for s in sentences)


def _is_interface_line(line: str, words: list[str]) -> bool:
    if len(words) > 4 or has_sentence_end(line.rstrip(".…")):
        return False
    content = [w.lower() for w in words if w.lower() not in _FILLER]
    ui = sum(1 for w in content if w in UI_WORDS)
    return ui >= 1 and ui * 2 >= len(content)


def _is_breadcrumb(line: str, title: str | None) -> bool:
    parts = [p for p in (part.strip() for part in _BREADCRUMB_SEP.split(line)) if p]
    if len(parts) >= 3 and all(len(p.split()) <= 3 for p in parts[:-1]) and not has_sentence_end(line):
        return True                                   # "Home › World › Europe"
    if title and norm(line).endswith(norm(title)) and norm(line) != norm(title):
        prefix = line[: len(line) - len(title)].strip()
        prefix_words = prefix.split()
        return 0 < len(prefix_words) <= 6 and all(w[:1].isupper() for w in prefix_words)
    return False


def _is_verbless_caption(line: str, words: list[str]) -> bool:
    """ "Russian President Vladimir Putin and Steve Witkoff, President Trump's envoy, in Moscow this week."

    A one-sentence line of names and places with no verb is a photo caption that
    lost its picture; prose always has a verb.
    """
    if not (4 <= len(words) <= 25) or not line.endswith(".") or re.search(r"[\"“”‘:;]", line):
        return False
    if len(split_sentences(line)) != 1 or not words[0][:1].isupper():
        return False
    if sum(1 for w in words if w[:1].isupper()) < 3:
        return False
    for w in words:
        low = w.lower().replace("’", "'")
        if not w[:1].islower():
            continue
        if low in _VERBS or low.endswith(("ed", "ing", "n't")):
            return False
        if low.endswith("s") and low not in _FUNCTION_S and not low.endswith("ss"):
            return False
    return True


def is_furniture_sentence(sentence: str) -> bool:
    """True for a sentence inside a paragraph that is a note to the reader, not news."""
    words = words_of(sentence)
    letters = re.sub(r"[^A-Za-z]", "", sentence)
    if len(words) >= 3 and letters and letters.isupper() and _BANNER.search(sentence):
        return True                                   # "THIS IS A BREAKING NEWS UPDATE."
    if _EDITORIAL.search(sentence) and len(words) <= 25:
        return True
    return is_call_to_action(sentence)


def drop_furniture_sentences(line: str) -> str:
    """Remove furniture sentences glued into a paragraph, keeping the rest verbatim."""
    sentences = split_sentences(line)
    if len(sentences) <= 1:
        return "" if sentences and is_furniture_sentence(sentences[0]) and not _is_prose(line) else line
    kept = [s for s in sentences if not is_furniture_sentence(s)]
    if len(kept) == len(sentences):
        return line
    return " ".join(kept)


def _is_prose(line: str) -> bool:
    return has_sentence_end(line) and len(words_of(line)) > 25
