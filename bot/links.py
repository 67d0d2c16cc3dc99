"""Honest links: what a source's link shows is where it goes.

Whoever writes a followed feed controls both an article's title and its URL, so a
title such as "https://www.bbc.co.uk/news" must never become the visible label of a
link to another site. The rule is decided here, once, and every renderer (Discord,
Slack, the terminal) applies it:

- only http(s) URLs with a plain host name (no user:password@ part) are linked;
- each source shows the domain of its link beside its title (`· bbc.co.uk`);
- the title is the link's label only when every URL or domain name in it is the
  link's own; otherwise the title is shown as plain text with those names defused
  (`evil[.]example`, `https[:]//…`) so no platform links them, and the label of the
  link is the target's domain itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote, urlsplit

from bot.core import Source
from bot.text_hygiene import clean_line, clean_text

#: Longer URLs are not linked (Slack and Discord both truncate or refuse them).
MAX_URL = 1500

#: Characters left as they are in a linked URL; everything else is percent-encoded, so
#: no URL can close a platform's link syntax early: `(` `)` on Discord, `|` `<` `>` on Slack.
_URL_SAFE = ":/?#@!$&*+,;=%~-._"

#: One DNS label, in the ASCII form browsers send (IDN hosts become xn--...).
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")

#: Characters that read as a dot in a host name (full stop, ideographic and full-width
#: full stops, one-dot leader...); after NFKC they are all "." or "。".
_DOTS = re.compile(r"[.\u3002]")
#: A word that reads as a host name: labels joined by dots, ending in a label of two or
#: more letters ("bbc.co.uk", "evil.example", "bbс.com" with a Cyrillic letter), or
#: anything with a scheme ("https://", "file:/").
_HOSTLIKE = re.compile(r"[\w-]+(?:[.\u3002][\w-]+)*[.\u3002][^\W\d_]{2,}[\w-]*"
                       r"|[a-z][a-z0-9+.-]*:/", re.I)
_SCHEME_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)


class LinkLabel(StrEnum):
    """What a source's link is written on."""

    TITLE = "title"  # the title: it names no host but the link's own
    DOMAIN = "domain"  # the domain: the title names another host, so it is shown unlinked
    NONE = "none"  # no followable URL: nothing is linked


def safe_link(url: str | None) -> str | None:
    """`url` as an http(s) address fit to link, or None when it must not be linked.

    Refused: other schemes, user:password@ parts (`https://bbc.co.uk@evil.example`),
    hosts that are not plain DNS names or IPv4 addresses, white space, very long URLs.
    The host is returned in ASCII (IDNA) form and reserved characters are encoded.
    """
    url = clean_text(url).strip()
    if not url or len(url) > MAX_URL or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
        return None
    host = _ascii_host(parts.hostname or "")
    if host is None:
        return None
    netloc = host + (f":{port}" if port is not None else "")
    rest = quote(url[url.find(parts.netloc) + len(parts.netloc):], safe=_URL_SAFE)
    link = f"{parts.scheme.lower()}://{netloc}{rest}"
    return link if len(link) <= MAX_URL else None  # measured as sent, after encoding


def _ascii_host(host: str) -> str | None:
    host = host.rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    labels = host.split(".")
    if not host or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return host


def domain_of(url: str | None) -> str | None:
    """The host a reader is sent to, as shown beside a source ("bbc.co.uk"), or None."""
    link = safe_link(url)
    if link is None:
        return None
    return _shown_host(urlsplit(link).hostname or "")


def looks_like_link(text: str) -> bool:
    """Whether `text` contains anything a reader (or a platform) could take for a URL or
    a domain name: "https://…", "www.…", "bbc.co.uk", also with look-alike dots."""
    return bool(_HOSTLIKE.search(_folded(text)))


def names_other_host(text: str, url: str | None) -> bool:
    """Whether `text` names a URL or host other than `url`'s own (or any, without `url`)."""
    return any(_is_foreign(word, url) for word in text.split())


def defuse(text: str, url: str | None = None) -> str:
    """`text` with every word that names another host made inert: its dots become "[.]"
    and its "://" becomes "[:]//", so it reads as what it is and no platform links it."""
    return " ".join(_defang(w) if _is_foreign(w, url) else w for w in text.split(" "))


def _folded(text: str) -> str:
    """Text as a reader sees it: invisible format characters (soft hyphens, zero-width
    spaces a platform may keep or drop) removed and compatibility forms folded, so
    "ｂｂｃ．ｃｏ．ｕｋ", "bbc․co․uk" and "bbc.\u00adco.uk" all read as "bbc.co.uk"."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFKC", visible)


def _is_foreign(word: str, url: str | None) -> bool:
    if not looks_like_link(word):
        return False
    folded = _folded(word)
    own = domain_of(url)
    if own is None:
        return True
    for m in _SCHEME_URL.finditer(folded):  # a whole URL is honest only if it is the target
        if safe_link(m.group(0).rstrip(".,;:!?)]'\"”’")) != safe_link(url):
            return True
    bare = _SCHEME_URL.sub(" ", folded)
    return any(_shown_host(_ascii_host(_DOTS.sub(".", m.group(0)))) != own
               for m in _HOSTLIKE.finditer(bare))


def _shown_host(host: str | None) -> str | None:
    """A host as shown to readers: "www." dropped from "www.bbc.co.uk", not from "www.com"."""
    if host and host.startswith("www.") and host.count(".") > 1:
        return host[4:]
    return host


def _defang(word: str) -> str:
    return _DOTS.sub("[.]", _folded(word)).replace(":/", "[:]/")


def date_label(published: datetime | None) -> str | None:
    return published.strftime("%d %b %Y") if published else None


@dataclass(frozen=True, slots=True)
class SourceView:
    """A source as every renderer shows it: cleaned, defused, with its link decided.

    `title` and `publisher` are one-line text with foreign host names defused; `url` is
    the only thing a renderer may link, labelled by `label`; `domain` is shown beside.
    """

    n: int
    title: str
    publisher: str | None
    when: str | None
    url: str | None
    domain: str | None
    origin: str | None
    label: LinkLabel


def source_view(source: Source) -> SourceView:
    """Decide, once for all platforms, what a source shows and what it links."""
    url = safe_link(source.url)
    domain = domain_of(url) if url else None
    raw_title = clean_line(source.title) or "untitled"
    title = defuse(raw_title, url)
    publisher = defuse(clean_line(source.publisher), url) or None
    if url is None:
        label = LinkLabel.NONE
    elif title != raw_title:
        label = LinkLabel.DOMAIN
    else:
        label = LinkLabel.TITLE
    return SourceView(n=source.n, title=title, publisher=publisher,
                      when=date_label(source.published), url=url, domain=domain,
                      origin=_origin(source.origin), label=label)


def _origin(origin: str | None) -> str | None:
    """The file an article came from; an address there is shown defused, never followable."""
    origin = clean_line(origin)
    return (defuse(origin) if "://" in _folded(origin) else origin) or None
