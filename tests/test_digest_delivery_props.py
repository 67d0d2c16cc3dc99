"""Trust boundaries of exactly-once digests, property-tested.

What comes back from a platform's history (footers, content, metadata) is text
anyone could have written; the kept draft is JSON read back after a crash; the
Slack splitter must never lose, reorder or repeat a section.
"""

from __future__ import annotations

import json
from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.poster import tagged
from adapters.discord.render import CONTENT_MAX, Outgoing, render
from adapters.slack.poster import carries, split_reply
from adapters.slack.render import render as slack_render
from bot.core import Claim, Reply, Section, Source
from bot.digests.delivery import PartTag, reply_from_json, reply_to_json

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
tags = st.builds(lambda c, p, extra, d: PartTag(c, p, p + extra, d.isoformat()),
                 st.integers(1, 10**9), st.integers(1, 50), st.integers(0, 10),
                 st.dates())
WORDS = ("talks", "summit", "resumed", "minister", "floods", "rose", "said", "officials",
         "Budapest", "heatwave", "ceasefire", "delegations", "on", "the", "in")
words = st.lists(st.sampled_from(WORDS), min_size=3, max_size=40).map(" ".join)
claims = st.builds(lambda w, refs: Claim(f"{w.capitalize()}.", tuple(refs)),
                   words, st.lists(st.integers(1, 30), max_size=3))
paragraphs = st.lists(claims, min_size=1, max_size=8).map(tuple)
sections = st.builds(Section, st.lists(paragraphs, min_size=1, max_size=3).map(tuple),
                     st.one_of(st.none(), words))
sources = st.builds(Source, st.integers(1, 30), st.integers(1, 10**6), text,
                    st.one_of(st.none(), text),
                    st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
                    st.one_of(st.none(), st.just("https://news.example/a")),
                    st.one_of(st.none(), text))
replies = st.builds(Reply, st.lists(sections, min_size=1, max_size=12).map(tuple),
                    st.one_of(st.none(), words.map("Digest · {}".format)),
                    st.lists(sources, max_size=4).map(tuple))


@settings(max_examples=200, deadline=None)
@given(tags, text, text)
def test_a_tag_is_found_again_inside_any_surrounding_text(tag, before, after):
    assert PartTag.parse(f"{before}\n{tag.label} · {after}") == tag or tag.label in before


@settings(max_examples=200, deadline=None)
@given(text)
def test_any_text_from_history_parses_to_a_tag_or_nothing(junk):
    found = PartTag.parse(junk)
    assert found is None or found.label in junk


@settings(max_examples=40, deadline=None)
@given(replies)
def test_the_kept_draft_reads_back_as_the_same_reply(reply):
    kept = json.loads(json.dumps(reply_to_json(reply)))
    assert reply_from_json(kept) == reply


@settings(max_examples=25, deadline=None)
@given(replies, st.integers(4, 50))
def test_slack_split_keeps_every_section_once_in_order_and_each_part_fits(reply, max_blocks):
    parts = split_reply(reply, max_blocks)
    assert [s for p in parts for s in p.sections] == list(reply.sections)
    assert parts[0].title == reply.title and parts[-1].sources == reply.sources
    assert all(p.sources == () for p in parts[:-1])
    if len(parts) > 1:
        for p in parts:
            assert len(p.sections) == 1 or len(slack_render(p).blocks) <= max_blocks


@settings(max_examples=60, deadline=None)
@given(tags, st.text(max_size=CONTENT_MAX), st.text(max_size=2048))
def test_a_discord_part_carries_its_tag_within_discords_limits(tag, content, notes):
    plain = tagged(Outgoing(content=content), tag)
    assert len(plain.content) <= CONTENT_MAX and PartTag.parse(plain.content) == tag
    embedded = render(Reply.plain("Talks resumed. [1]", title="Digest"))[0]
    embedded.embeds[-1].set_footer(text=notes)
    footer = tagged(embedded, tag).embeds[-1].footer.text
    assert len(footer) <= 300 and PartTag.parse(footer) == tag
    assert embedded.embeds[-1].footer.text == notes  # the rendered part itself is untouched


def test_tags_name_claim_part_and_day():
    tag = PartTag(12, 2, 3, "2026-12-01")
    assert tag.label == "digest 2026-12-01 · #12 part 2/3"
    assert tag.payload == {"claim": 12, "part": 2, "of": 3, "date": "2026-12-01"}
    assert tag.matches("12", 2, "2026-12-01") and not tag.matches(12, 1, "2026-12-01")
    assert PartTag.parse("digest 2026-12-01 · #12 part 2") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(tags, tags, json_values, json_values)
def test_a_slack_history_message_is_ours_only_if_its_metadata_names_the_part(tag, other, meta,
                                                                              junk):
    # Whatever shape history holds, looking at it never fails and never claims a stranger.
    if carries({"ts": "1.2", "metadata": meta, "text": junk}, tag):
        assert meta["event_type"] == "briefbot_digest"
        assert str(meta["event_payload"]["claim"]) == str(tag.claim)
    assert not carries(junk, tag) or isinstance(junk, dict)
    own = {"ts": "1.3", "metadata": {"event_type": "briefbot_digest", "event_payload": tag.payload}}
    assert carries(own, tag)
    assert carries(own, other) == (other.matches(tag.claim, tag.part, tag.local_date))
    assert not carries({**own, "metadata": {**own["metadata"], "event_type": "other_app"}}, tag)
