"""Named entities of one article: spaCy NER, rules for the names it misses, clean-up.

Everything here works on one article and needs no database: it finds mentions,
strips titles and possessives ("President Zelensky's" -> "Zelensky"), records
the role phrase next to a person ("special envoy"), and resolves a bare surname
to the full name the same article used. Merging across articles is the store's job.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.index.gazetteer import gazetteer
from summarizer.lexical import STOPWORDS
from bot.index.text import fold, phrase_key, skeleton, strip_possessive, word_key

KEPT_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC"}

# Words that head a role phrase before or after a name ("special envoy", "Russian President").
_ROLE_HEADS = (r"envoy|secretary|minister|adviser|advisor|ambassador|spokesperson|spokesman|"
               r"spokeswoman|president|vice president|chancellor|commander|general|gen\.|senator|"
               r"sen\.|rep\.|representative|governor|gov\.|aide|ceo|director|chairman|chair|"
               r"mayor|premier|king|queen|pope|prince|negotiator|prosecutor|judge|chief|"
               r"speaker|official|diplomat|lawmaker|leader|head|analyst|scholar|professor")
_ROLE_MODS = (r"special|press|foreign|defen[cs]e|deputy|former|senior|chief|national|security|"
              r"top|vice|prime|finance|interior|trade|state|house|acting|first|lead|interim|"
              r"military|economic|presidential|white|studies")
_CAP = r"[A-Z][\w.'’-]*"
_ROLE_BEFORE = re.compile(
    rf"(?P<role>(?:(?:{_CAP}|(?i:{_ROLE_MODS}))\s+){{0,4}}(?i:{_ROLE_HEADS}))\s*,?\s*$")
_ROLE_AFTER = re.compile(
    rf"^\s*,\s+(?:(?:a|an|the)\s+)?(?P<role>(?:[\w'’-]+\s+){{0,4}}(?i:{_ROLE_HEADS})"
    rf"(?:\s+(?:to|of|for|at)\s+(?:the\s+)?{_CAP}(?:\s+{_CAP}){{0,3}})?)(?=[\s,.;]|$)")
_NAME = r"[A-Z][a-zà-ÿ'’-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-zà-ÿ'’-]+){1,2}"
# "special envoy, Steve Witkoff", "press secretary Karoline Leavitt", "Gen. Dariusz Malinowski"
_NAME_AFTER_ROLE = re.compile(
    rf"(?i:\b(?:{_ROLE_HEADS}))\s*,?\s+(?P<name>{_NAME})")
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Sir|Dame)\.?\s+(?P<name>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)")

# Leading words that are titles, not names ("Mr.", "President", "Russian").
_TITLE_WORDS = {
    "mr", "mrs", "ms", "miss", "dr", "sir", "dame", "president", "vice", "prime", "minister",
    "foreign", "defense", "defence", "secretary", "state", "gen", "general", "sen", "senator",
    "rep", "representative", "gov", "governor", "chancellor", "king", "queen", "prince",
    "princess", "pope", "ambassador", "envoy", "special", "press", "white", "house",
    "spokesperson", "spokesman", "spokeswoman", "lt", "col", "colonel", "adm", "admiral", "capt",
    "captain", "sgt", "judge", "justice", "chief", "deputy", "former", "us", "u.s", "the",
    "premier", "leader", "professor", "prof", "sheikh", "crown", "first", "lady", "speaker",
    "kremlin", "ceo", "director", "mayor", "commander", "late", "dear",
}
#: Single words spaCy tags as people that are not.
_NOT_NAMES = {"god", "allah", "congress", "kremlin", "tomahawk", "tomahawks", "oval", "office",
              "north", "south", "east", "west", "hashtags", "comments", "related", "articles"}
#: Page furniture spaCy tags as organisations.
_NOT_ENTITIES = {"hashtags", "comments", "related articles", "reply", "subscribe", "home"}
_DETERMINERS = re.compile(r"^(?:the|a|an|his|her|their|its|our|said|and)\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity mention in one sentence, already cleaned."""

    sentence: int  # index into the article's sentence list
    surface: str  # as written: "President Volodymyr Zelenskyy's"
    alias: str  # cleaned: "Zelenskyy"
    name: str  # after in-article resolution: the full name, "Volodymyr Zelenskyy"
    label: str  # PERSON, ORG, GPE...
    role: str | None = None  # "special envoy"

    @property
    def key(self) -> str:
        return name_key(self.name) if self.label == "PERSON" else phrase_key(self.name)


def name_key(name: str) -> str:
    """A person's key: name words reduced (Zelenskyy -> zelensky), initials dropped."""
    parts = [word_key(t) for t in name.split() if not re.fullmatch(r"[A-Z]\.?", t)]
    return " ".join(p for p in parts if p)


def name_skeleton(name: str) -> str:
    """Spelling-blind key of a full name (see text.skeleton); "" for a bare surname."""
    parts = [skeleton(t) for t in name.split() if not re.fullmatch(r"[A-Z]\.?", t)]
    parts = [p for p in parts if p]
    return " ".join(parts) if len(parts) > 1 else ""


def surname_key(name: str) -> str:
    key = name_key(name)
    return key.split()[-1] if key else ""


def is_title(token: str) -> bool:
    """A title or office word before a name: "President", "Mr.", "Gen"."""
    return fold(token).rstrip(".") in _TITLE_WORDS or fold(token) in _TITLE_WORDS


_DEMONYMS = set("""russian ukrainian american french british german chinese polish hungarian israeli
iranian turkish indian japanese korean italian spanish canadian mexican european palestinian syrian
saudi egyptian belarusian georgian swiss austrian dutch swedish finnish norwegian danish greek
brazilian venezuelan cuban pakistani afghan iraqi lebanese qatari emirati australian romanian
slovak czech lithuanian latvian estonian moldovan serbian croatian bulgarian irish
libyan tunisian yemeni bahraini jordanian moroccan algerian sudanese somali kenyan nigerian haitian
chilean colombian peruvian argentine argentinian arab arabic kurdish kurd shiite sunni muslim
christian jewish islamic persian african asian latin nordic baltic balkan western eastern
republican democratic democrat gop nato eu un""".split())


def _demonym(token: str) -> bool:
    return fold(strip_possessive(token)).rstrip(".") in _DEMONYMS


def clean_person(text: str) -> tuple[str, str | None] | None:
    """("President Volodymyr Zelenskyy's") -> ("Volodymyr Zelenskyy", "president").

    Returns None when nothing name-like is left."""
    tokens = text.replace("\n", " ").split()
    # cut at a possessive: "Trump’s Peace" -> "Trump"
    for i, tok in enumerate(tokens):
        if re.search(r"['’]s$", tok) and i < len(tokens) - 1:
            tokens = tokens[:i + 1]
            break
    tokens = [strip_possessive(t).strip(",;:\"“”()") for t in tokens]
    tokens = [t for t in tokens if t]
    prefix: list[str] = []
    while len(tokens) > 1 and (is_title(tokens[0]) or _demonym(tokens[0])):
        prefix.append(tokens.pop(0))
    if len(tokens) == 1 and is_title(tokens[0]):
        return None
    while tokens and not tokens[-1][:1].isupper():
        tokens.pop()
    if not tokens or len(tokens) > 4:
        return None
    if any(not re.match(r"[A-ZÀ-ÖØ-ÞĀ-Ž]", t) or re.search(r"\d", t) for t in tokens):
        return None
    if len(tokens) == 1 and (fold(tokens[0]) in _NOT_NAMES or len(tokens[0]) < 3):
        return None
    # "Ras Lanuf Libyan", "Misrata Tripoli": places and peoples the model took for a person
    if _demonym(tokens[-1]) or (len(tokens) > 1 and gazetteer().lookup(tokens[-1], venues=False)):
        return None
    if not name_key(" ".join(tokens)):  # only initials or symbols
        return None
    role_words = [p for p in prefix if fold(p).rstrip(".") not in {"mr", "mrs", "ms", "miss",
                                                                    "dr", "sir", "dame", "the"}]
    role = normalise_role(" ".join(role_words)) if role_words else None
    return " ".join(tokens), role


def clean_other(text: str, label: str) -> tuple[str, str] | None:
    """Clean a non-person entity; places are renamed to the gazetteer's form (U.S. -> United States)."""
    name = _DETERMINERS.sub("", text.replace("\n", " ").strip())
    name = strip_possessive(name).strip(" ,;:\"“”()'’-")
    if not name or len(name) < 2 or not re.search(r"[A-Za-z]", name) or re.search(r"\d{3,}", name):
        return None
    if fold(name) in _NOT_ENTITIES or not name[0].isupper() and not name[0].isdigit():
        return None
    place = gazetteer().lookup(name, venues=False)
    if place and label in {"GPE", "LOC", "PERSON", "ORG", "FAC"}:
        return place.name, "GPE"
    return name, label


def normalise_role(role: str) -> str | None:
    """Role words in lower case, proper words kept: "Russian President" -> "Russian president"."""
    role = _DETERMINERS.sub("", role.strip(" ,"))
    role = re.sub(r"\bU\.S\.(?=\s|$)", "US", role)
    out = []
    for w in role.split():
        lw = fold(w)
        if re.fullmatch(rf"(?:{_ROLE_HEADS}|{_ROLE_MODS})", lw) and lw not in {"white", "house"}:
            out.append(lw)
        else:
            out.append(w)
    text = " ".join(out).strip()
    if not text or not re.search(rf"\b(?:{_ROLE_HEADS})(?:\W|$)", fold(text)):
        return None
    return text if len(text) <= 80 else None


def role_near(sentence: str, start: int, end: int) -> str | None:
    """The role phrase just before ("press secretary Karoline Leavitt") or after
    ("Steven Pifer, a former ambassador to Ukraine") a name at sentence[start:end]."""
    before = _ROLE_BEFORE.search(sentence[max(0, start - 80):start])
    if before:
        role = normalise_role(before.group("role"))
        if role:
            return role
    after = _ROLE_AFTER.match(sentence[end:end + 100])
    if after:
        return normalise_role(after.group("role"))
    return None


def rule_spans(sentence: str) -> list[tuple[int, int, str]]:
    """Person names the statistical model often misses, as (start, end, text)."""
    spans = []
    for rx in (_NAME_AFTER_ROLE, _HONORIFIC):
        for m in rx.finditer(sentence):
            name = m.group("name")
            # stop a greedy name at a title-cased verb or a second title
            parts = name.split()
            while len(parts) > 1 and (is_title(parts[-1]) or fold(parts[-1]) in _NOT_NAMES):
                parts.pop()
            name = " ".join(parts)
            if is_title(parts[0]) or gazetteer().lookup(name, venues=False):
                continue
            spans.append((m.start("name"), m.start("name") + len(name), name))
    return spans


#: Components that give tokens their fine-grained tag, which `_trim_verbs` reads and
#: nothing else does. The NER of the packaged pipelines has its own token encoder, so
#: entities do not depend on them: they run only on the few sentences that need them.
#: The attribute ruler (tag -> coarse part of speech) is never run: `_VERBISH_TAGS`
#: reads the tag itself, for a tenth less of spaCy's time.
_TAGGING = ("tok2vec", "tagger")
_SKIPPED = ("attribute_ruler",)
#: Penn tags of what `_trim_verbs` drops from a name's end: verbs (VERB, AUX) and
#: prepositions and particles (ADP).
_VERBISH_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD", "IN", "RP"})
#: Sentences spaCy processes at once (larger batches amortise its per-batch work).
NLP_BATCH = 256

_CAPITAL = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_FIRST_WORD = re.compile(r"[\"“'‘(]*(\w+)")
_LOWER_WORD = re.compile(r"\b[a-zà-ÿ]+\b")
_CAPITALISED_INSIDE = re.compile(r"(?<=\s)[\"“'‘(]*([A-ZÀ-ÖØ-Þ]\w*)")
#: First words that never start a name.
_PRONOUNS = frozenset("i you he she it we they his her its our their this that these those "
                      "there here what who when where why how".split())


def nameless(sentences: Sequence[str]) -> list[bool]:
    """Which sentences cannot name anyone: nothing capitalised after the first word, and
    a first word that is a pronoun or function word, or that these sentences also use
    in lower case and never capitalise inside a sentence ("He added ...", "Protesters
    said ..." next to "the protesters"). NER is not run on them.

    On 130 Timeline17 articles this skipped 22-25% of sentences for a fifth less NER
    time; the only mentions lost (8 of 18,747) were common words taken for names
    ("Riot", "Cold"). A first word like "Egypt" is capitalised elsewhere, so it is kept."""
    lower = {w for s in sentences for w in _LOWER_WORD.findall(s)}
    lower -= {w.lower() for s in sentences for w in _CAPITALISED_INSIDE.findall(s.strip())}
    out = []
    for sentence in sentences:
        text = sentence.strip()
        first = _FIRST_WORD.match(text)
        if first is None:
            out.append(not _CAPITAL.search(text))
        else:
            out.append(not _CAPITAL.search(text[first.end():])
                       and ((word := first.group(1).lower()) in lower or word in STOPWORDS
                            or word in _PRONOUNS))
    return out


def entity_docs(nlp: Any, sentences: Sequence[str]) -> list[Any]:
    """spaCy docs of `sentences` with their entities, and tags where the clean-up reads
    them: the same mentions as running the whole pipeline, for less than half the work
    (tagging every sentence cost as much as finding its entities). A `nameless`
    sentence gets its tokens only."""
    off = [name for name in (*_TAGGING, *_SKIPPED) if name in nlp.pipe_names]
    skip = nameless(sentences)
    parsed = iter(nlp.pipe([s for s, k in zip(sentences, skip) if not k],
                           batch_size=NLP_BATCH, disable=off))
    docs = [nlp.make_doc(s) if k else next(parsed) for s, k in zip(sentences, skip)]
    present = [name for name in _TAGGING if name in nlp.pipe_names]
    if not present:
        return docs
    needs = [i for i, doc in enumerate(docs) if _needs_tags(doc)]
    tagged = [docs[i] for i in needs]
    for name in present:
        tagged = list(nlp.get_pipe(name).pipe(tagged, batch_size=NLP_BATCH))
    for i, doc in zip(needs, tagged):
        docs[i] = doc
    return docs


def _needs_tags(doc: Any) -> bool:
    """Whether `_trim_verbs` will read a tag in this sentence: a kept entity with a word
    after its first that is not lower case (lower-case ones go regardless)."""
    return any(ent.label_ in KEPT_LABELS and any(not t.is_lower for t in list(ent)[1:])
               for ent in doc.ents)


def extract_mentions(doc_sentences: Sequence[object], sentences: Sequence[str]) -> list[Mention]:
    """Mentions from spaCy docs (one per sentence) plus rules, cleaned; not yet resolved."""
    found: list[Mention] = []
    for i, (doc, sent) in enumerate(zip(doc_sentences, sentences)):
        taken: list[tuple[int, int]] = []
        for start, end, text in rule_spans(sent):
            cleaned = clean_person(text)
            if cleaned:
                taken.append((start, end))
                found.append(Mention(i, text, cleaned[0], cleaned[0], "PERSON",
                                     cleaned[1] or role_near(sent, start, end)))
        for ent in doc.ents:  # type: ignore[attr-defined]
            if ent.label_ not in KEPT_LABELS:
                continue
            if any(ent.start_char < e and s < ent.end_char for s, e in taken):
                continue
            text = _trim_verbs(ent)
            if not text:
                continue
            if ent.label_ == "PERSON" and not gazetteer().lookup(text, venues=False):
                cleaned = clean_person(text)
                if cleaned:
                    role = cleaned[1] or role_near(sent, ent.start_char, ent.end_char)
                    found.append(Mention(i, ent.text, cleaned[0], cleaned[0], "PERSON", role))
                continue
            other = clean_other(text, ent.label_)
            if other:
                found.append(Mention(i, ent.text, other[0], other[0], other[1]))
    return found


def _trim_verbs(ent: object) -> str:
    """Drop trailing verbs and lower-case words spaCy glued onto a name in headlines
    ("Putin Set" -> "Putin")."""
    tokens = list(ent)  # type: ignore[call-overload]
    while len(tokens) > 1 and (tokens[-1].tag_ in _VERBISH_TAGS or tokens[-1].is_lower):
        tokens.pop()
    if not tokens:
        return ""
    doc_text = tokens[0].doc.text
    return doc_text[tokens[0].idx:tokens[-1].idx + len(tokens[-1].text)]


def resolve_in_article(mentions: Sequence[Mention]) -> list[Mention]:
    """A bare surname ("Zelensky", or "Trump" tagged ORG) becomes the full name this
    article used for that surname ("Volodymyr Zelenskyy"), the most frequent if several."""
    full: dict[str, Counter[str]] = {}
    for m in mentions:
        if m.label == "PERSON" and len(m.name.split()) > 1:
            full.setdefault(surname_key(m.name), Counter())[m.name] += 1
    out = []
    for m in mentions:
        single = len(m.name.split()) == 1
        if single and not gazetteer().lookup(m.name, venues=False):
            choices = full.get(word_key(m.name))
            if choices:
                m = replace(m, name=choices.most_common(1)[0][0], label="PERSON")
        out.append(m)
    return out
