"""Laying a reply's claims out in chunks under a platform's size limit (Discord, Slack).

Both platforms cut long answers into several embeds or blocks. The rules are the same,
so they live here once: a reply is walked section -> paragraph -> claim, each claim
becomes one `Piece` (its escaped text followed by its own "[1][3]" marks), and pieces
are packed greedily into chunks. A piece is never cut, so a sentence never travels
without its citation; one too long for any chunk is left out whole and reported. Only
briefbot's own uncited text may be split, at sentence gaps, when it alone is too long.
Lengths are measured by the platform's own function (UTF-16 units on Discord).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core import Claim, Section
from summarizer.sentences import split_sentences

Length = Callable[[str], int]
Escape = Callable[[str], str]

#: What separates pieces inside one chunk.
SAME_PARAGRAPH = " "
NEW_LINE = "\n"
NEW_SECTION = "\n\n"


@dataclass
class Piece:
    """A unit never cut: a claim with its marks, a heading, a source line."""

    text: str
    #: Goes before the piece when it follows another in the same chunk.
    sep: str = NEW_LINE
    refs: tuple[int, ...] = ()
    #: Characters of the source's own words, for "a sentence of N characters was left out".
    size: int = 0
    #: 1 for a claim (or part of an uncited one), 0 for headings and source lines.
    claims: int = 0
    #: A heading: moved on to the next chunk rather than left alone at a chunk's end.
    keep_with_next: bool = False


@dataclass
class Chunk:
    """Pieces that go into one embed description, one section block, one message."""

    pieces: list[Piece] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join((p.sep if i else "") + p.text for i, p in enumerate(self.pieces))

    @property
    def claims(self) -> int:
        return sum(p.claims for p in self.pieces)


def claim_text(claim: Claim, escape: Escape) -> str:
    """A claim as shown: its escaped words, then its marks; the marks are never escaped
    text from a source, so nothing in a sentence can pose as a citation."""
    text = escape(claim.text)
    return f"{text} {claim.marks}" if claim.refs else text


def claim_pieces(sections: Iterable[Section], *, escape: Escape, limit: int, length: Length,
                 heading: Escape | None = None) -> list[Piece]:
    """Every section's heading (formatted by `heading`; skipped when None) and claims.

    Sections are expected cleaned (`Reply.cleaned`). An uncited claim longer than
    `limit` is split at sentence gaps; a cited one never is.
    """
    pieces: list[Piece] = []
    for section in sections:
        sep = NEW_SECTION
        if section.heading and heading is not None:
            pieces.append(Piece(heading(section.heading), sep, keep_with_next=True))
            sep = NEW_LINE
        for paragraph in section.paragraphs:
            claims = [c for c in paragraph if c.text]
            if not claims:  # a blank line inside a note keeps its paragraph break
                sep = NEW_SECTION
                continue
            for claim in claims:
                for part in _parts(claim, escape, limit, length):
                    pieces.append(Piece(claim_text(part, escape), sep, claim.refs,
                                        size=len(part.text), claims=1))
                    sep = SAME_PARAGRAPH
            sep = NEW_LINE
    return pieces


def _parts(claim: Claim, escape: Escape, limit: int, length: Length) -> list[Claim]:
    """The claim whole, or (uncited and too long) its sentences, each a part of its own."""
    if claim.refs or length(escape(claim.text)) <= limit:
        return [claim]
    return [Claim(s) for s in split_sentences(claim.text)] or [claim]


def pack(pieces: Iterable[Piece], limit: int, length: Length) -> tuple[list[Chunk], list[Piece]]:
    """Greedily fill chunks of at most `limit` (by `length`) without cutting a piece.

    Returns the chunks and the pieces left out because each alone exceeds `limit`.
    A heading that would end a chunk moves to the next one with the text it heads.
    """
    chunks: list[Chunk] = []
    dropped: list[Piece] = []
    current = Chunk()
    used = 0
    for piece in pieces:
        size = length(piece.text)
        if size > limit:
            dropped.append(piece)
            continue
        extra = size + (length(piece.sep) if current.pieces else 0)
        if current.pieces and used + extra > limit:
            carried: list[Piece] = []
            while current.pieces and current.pieces[-1].keep_with_next and len(current.pieces) > 1:
                carried.insert(0, current.pieces.pop())
            chunks.append(current)
            current = Chunk(carried)
            used = sum(length(p.text) for p in carried) + sum(length(p.sep) for p in carried[1:])
            extra = size + (length(piece.sep) if carried else 0)
            if carried and used + extra > limit:  # the heading and its text never fit together
                chunks.append(current)
                current, used, extra = Chunk(), 0, size
        current.pieces.append(piece)
        used += extra
    if current.pieces:
        chunks.append(current)
    return chunks, dropped
