"""What exactly-once delivery of a digest needs from a platform, and the words for it.

A digest may be split into several messages ("parts"). Each part carries a tag
naming its claim (the digest log row) and its number, so that when a post's fate
is unknown (a timeout, a dropped connection, a process killed between the
platform's accept and our record of it) a later look at the channel's history can
tell whether it arrived, instead of posting it again blindly.

A platform's `DigestPoster` therefore has to say which of three things happened
to a post: it arrived (a message id), it surely did not (`RateLimited`, or any
other exception raised before the request could reach the platform), or nobody
knows (`DeliveryUncertain`). `find_part` looks a tag up in recent history, and
raises `HistoryUnavailable` when the bot may not read it (missing scope or
permission): then a part that may have arrived is never sent again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from bot.core import Reply

#: Slack message metadata event type of digest messages.
EVENT_TYPE = "briefbot_digest"


class DigestStatus(StrEnum):
    """Where one digest (a row of the digest log) is in its life."""

    CLAIMED = "claimed"      # an owner holds it; nothing posted yet
    SENDING = "sending"      # its parts are being posted
    UNCERTAIN = "uncertain"  # a part may or may not have arrived: look in history first
    SENT = "sent"            # every part arrived
    EMPTY = "empty"          # a quiet channel had nothing new: recorded, not posted
    FAILED = "failed"        # surely not (fully) delivered; retried after a backoff

    @property
    def held(self) -> bool:
        """An owner is working on it (the lease in `claimed_at` matters)."""
        return self in (DigestStatus.CLAIMED, DigestStatus.SENDING)

    @property
    def done(self) -> bool:
        return self in (DigestStatus.SENT, DigestStatus.EMPTY)


class PartStatus(StrEnum):
    """One message of a digest: recorded before it is posted, so a crash leaves a trace."""

    SENDING = "sending"      # the request may be on its way
    UNCERTAIN = "uncertain"  # the request went out and no answer came back
    SENT = "sent"            # the platform answered with a message id


@dataclass(frozen=True, slots=True)
class PartTag:
    """The identity of one digest message: claim (digest log id), part number, day."""

    claim: int
    part: int  # 1-based
    of: int
    local_date: str

    @property
    def key(self) -> str:
        """What a nonce is derived from: the same part always gets the same key."""
        return f"briefbot-digest:{self.claim}:{self.part}:{self.local_date}"

    @property
    def label(self) -> str:
        """The visible form, e.g. in a Discord embed footer: found again by `parse`."""
        return f"digest {self.local_date} · #{self.claim} part {self.part}/{self.of}"

    @property
    def payload(self) -> dict[str, Any]:
        """Slack message metadata payload."""
        return {"claim": self.claim, "part": self.part, "of": self.of, "date": self.local_date}

    def matches(self, claim: Any, part: Any, local_date: Any) -> bool:
        return (str(claim), str(part), str(local_date)) == (
            str(self.claim), str(self.part), self.local_date)

    @classmethod
    def parse(cls, text: str | None) -> PartTag | None:
        m = _LABEL.search(text or "")
        if not m:
            return None
        return cls(int(m["claim"]), int(m["part"]), int(m["of"]), m["date"])


_LABEL = re.compile(r"digest (?P<date>\d{4}-\d{2}-\d{2}) · #(?P<claim>\d+) "
                    r"part (?P<part>\d+)/(?P<of>\d+)")


class DeliveryUncertain(Exception):
    """The post may have reached the channel: resolve it by a history look, never by resending."""


class RateLimited(Exception):
    """The platform refused the post for now (nothing was posted); try again after `retry_after`."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(f"{message}; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class HistoryUnavailable(Exception):
    """The bot may not read this channel's history, so it cannot check what arrived."""


@runtime_checkable
class DigestPoster(Protocol):
    """A platform's side of exactly-once digests (Slack and Discord posters implement it)."""

    platform: str

    async def split(self, channel_id: str, reply: Reply) -> Sequence[Any]:
        """The messages `reply` becomes on this platform, in order (opaque to the runner)."""

    async def send_part(self, channel_id: str, part: Any, tag: PartTag) -> str:
        """Post one message carrying `tag`; its message id, or one of the exceptions above."""

    async def find_part(self, channel_id: str, tag: PartTag, since: datetime) -> str | None:
        """The id of the message carrying `tag` posted after `since`, if it is there."""


# --- the composed reply, kept with the claim so a retry posts the same parts ------------
def reply_to_json(reply: Reply) -> dict[str, Any]:
    return reply.as_json()


def reply_from_json(data: dict[str, Any]) -> Reply:
    return Reply.from_json(data)


