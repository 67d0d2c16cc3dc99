"""`who <name>`: who a person (or organisation) is and what they did recently.

The role comes from a sentence of a source that states it, shown and cited,
never from the bot's own words.
"""

from __future__ import annotations

import asyncio
import re

from bot.citations import Citations
from bot.commands._common import no_coverage, resolve, tidy_topic, within
from bot.core import Reply, Request, Section
from bot.registry import registry
from bot.services import Services
from summarizer.filters import unbalanced_quote
from summarizer.lexical import dangles
from summarizer.types import Sentence

RECENT_BUDGET_WORDS = 90
#: A profile reads the person's newest articles: enough for a role and recent deeds,
#: bounded however often the name appears in the archive.
NEWEST_ARTICLES = 60
#: Leads listed for a name whose articles retention has pruned to their lead sentence.
PRUNED_LEADS = 5


@registry.command("who", "Who someone is and what they did recently, with sources",
                  arg="name", arg_description="A person or organisation, e.g. Steve Witkoff",
                  arg_required=True, usage="who Steve Witkoff", windowed=True)
async def who(req: Request, services: Services) -> Reply:
    name = tidy_topic(req.text)
    entity = await asyncio.to_thread(services.index.entity, name)
    if entity is None:
        topic = await resolve(services, name)
        entity = topic.entity
    if entity is None:
        return no_coverage(services, name, req.window)
    keep = None
    if req.window is not None:  # "who is X this week": what they did in that week
        keep = set(await asyncio.to_thread(within, services, entity.article_ids, req.window))
        if not keep:
            return no_coverage(services, name, req.window)
    return await asyncio.to_thread(_profile, services, entity, keep)


def _profile(services: Services, entity, keep: set[int] | None = None) -> Reply:
    index = services.index
    sentences = index.entity_sentences(entity.id, NEWEST_ARTICLES if keep is None else -1)
    pruned = not sentences  # retention kept only the leads of the articles naming them
    if pruned:
        sentences = index.sentences(entity.article_ids[:NEWEST_ARTICLES])
    if keep is not None:
        sentences = [s for s in sentences if s.article_id in keep]
    cites = Citations(index)
    sections = []
    role_sentence = None
    for role, _count in index.roles(entity.id):
        role_sentence = _role_sentence(sentences, role, entity.aliases or [entity.name])
        if role_sentence is not None:
            sections.append(Section.cited([cites.claim(role_sentence)],
                                            heading=f"{entity.name}: {role}"))
            break
    rest = [s for s in sentences if role_sentence is None or s.id != role_sentence.id]
    summary = services.summarizer.summarize(rest, query=entity.name,
                                            budget_words=RECENT_BUDGET_WORDS, prefer_recent=True)
    if summary.sentences:
        sections.append(Section.cited([cites.claim(s, also=summary.also.get(s.id, ()))
                                       for s in summary.sentences], heading="Recently"))
    if not sections and pruned and sentences:  # the headlines' leads of those articles
        sections.append(Section.lines([cites.claim(s) for s in sentences[:PRUNED_LEADS]],
                                      heading="In the archive"))
    if not sections:
        return no_coverage(services, entity.name)
    others = [a for a in entity.aliases if a != entity.name][:6]
    about = f"{entity.type.title()} in {len(entity.article_ids)} article" \
            f"{'s' if len(entity.article_ids) != 1 else ''}"
    if others:
        about += "; also written " + ", ".join(others)
    sections.append(Section.note(about + "."))
    return Reply(title=f"Who is {entity.name}", sections=tuple(sections), sources=cites.sources())


def _role_sentence(sentences: list[Sentence], role: str, aliases: list[str]) -> Sentence | None:
    """The sentence that best states the role: with the role right beside the name
    ("special envoy Steve Witkoff", "Witkoff, the special envoy"), reading on its own
    (not "But even Trump..." or the tail of a quote), and short; newest first on ties."""
    names = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True) if a)
    role_re = re.escape(role)
    beside = re.compile(rf"{role_re}[\s,]+(?:{names})\b|\b(?:{names}),\s+(?:the\s+|a\s+)?"
                        rf"(?:[\w'’-]+\s+){{0,3}}{role_re}", re.IGNORECASE) if names else None
    best, best_key = None, None
    for rank, s in enumerate(sentences):
        if role.lower() not in s.text.lower():
            continue
        # a piece of a quote running over several sentences, even with its speaker named,
        # or a clause cut from a sentence (a lower-case or closing-quote opener)
        fragment = unbalanced_quote(s.text) or s.text[:1].islower() or s.text[:1] in "”’"
        key = (not (beside and beside.search(s.text)), dangles(s.text) or fragment,
               len(s.text.split()) > 40, rank)
        if best_key is None or key < best_key:
            best, best_key = s, key
    return best
