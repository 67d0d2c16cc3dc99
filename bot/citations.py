"""Turning chosen source sentences into cited text: a `Claim` per sentence.

Numbers are given to articles in the order a reader first meets them, and each
`Source` carries what is needed to check the claim (title, publisher, date,
URL, and the file the article came from).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.core import Claim, Source

if TYPE_CHECKING:  # pragma: no cover
    from bot.index.store import ArticleRow, Index
    from summarizer.types import Sentence


class Citations:
    """Assigns [n] to articles as they are cited and builds the Source list."""

    def __init__(self, index: Index) -> None:
        self._index = index
        self._numbers: dict[int, int] = {}
        self._rows: dict[int, ArticleRow] = {}
        self._known: dict[int, ArticleRow] = {}

    def know(self, rows: Iterable[ArticleRow]) -> None:
        """Rows the caller already loaded (with one `Index.articles` call), so citing them
        costs no query each: on PostgreSQL every query is a round trip. Numbers are still
        given only by `number`, in the order the reader meets them."""
        self._known.update((r.id, r) for r in rows)

    def number(self, article_id: int) -> int:
        if article_id not in self._numbers:
            row = self._known.get(article_id) or self._index.article(article_id)
            if row is None:  # pragma: no cover - sentences always belong to a stored article
                raise KeyError(article_id)
            self._rows[article_id] = row
            self._numbers[article_id] = len(self._numbers) + 1
        return self._numbers[article_id]

    def claim(self, sentence: Sentence, also: Iterable[Sentence] = ()) -> Claim:
        """The sentence exactly as stored, cited to its article and to the articles of
        `also` (other sources reporting the same fact), each number once."""
        refs = [self.number(sentence.article_id)]
        for other in also:
            n = self.number(other.article_id)
            if n not in refs:
                refs.append(n)
        return Claim(sentence.text.strip(), tuple(refs))

    def claims(self, sentences: Iterable[Sentence]) -> tuple[Claim, ...]:
        return tuple(self.claim(s) for s in sentences)

    def row(self, article_id: int) -> ArticleRow:
        self.number(article_id)
        return self._rows[article_id]

    def sources(self) -> tuple[Source, ...]:
        out = []
        for article_id, n in sorted(self._numbers.items(), key=lambda kv: kv[1]):
            row = self._rows[article_id]
            out.append(Source(n=n, article_id=row.id, title=row.title, publisher=row.publisher,
                              published=row.published, url=row.url, origin=row.origin))
        return tuple(out)


def publishers(row: ArticleRow) -> list[str]:
    """Every distinct publisher that carried the story, main one first."""
    names: list[str] = []
    for name in [row.publisher, *(s.publisher for s in row.sources)]:
        if name and name not in names:
            names.append(name)
    return names


def newest_first(rows: Sequence[ArticleRow]) -> list[ArticleRow]:
    """Dated articles newest first, undated ones last (their order kept)."""
    dated = sorted((r for r in rows if r.published), key=lambda r: r.published or r.added_at,
                   reverse=True)
    return dated + [r for r in rows if not r.published]
