"""Coverage-over-time pictures: how many articles a person or event had, day by day.

One function draws the chart for every surface (the web page, a Discord file, a Slack
upload), server-side with matplotlib's Agg backend, so nothing needs a browser or a
display. The alt text is written from the same numbers, so a screen reader hears
what the picture shows.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

#: More days than this are drawn per week, so bars stay readable.
MAX_DAILY_BARS = 120
#: The narrowest time axis drawn.
MIN_SPAN = timedelta(days=7)
#: The busiest days are labelled on the chart and named in the alt text.
KEY_DATES = 3

# matplotlib's pyplot state is global; one chart at a time per process.
_DRAW_LOCK = threading.Lock()


class ChartFormat(StrEnum):
    PNG = "png"
    SVG = "svg"

    @property
    def mime(self) -> str:
        return "image/png" if self is ChartFormat.PNG else "image/svg+xml"


@dataclass(frozen=True, slots=True)
class Chart:
    """A drawn chart: its bytes, how to serve it, and what it says in words."""

    data: bytes
    fmt: ChartFormat
    alt: str

    @property
    def filename(self) -> str:
        return f"coverage.{self.fmt.value}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """Articles per period (day or week), oldest first, and the busiest periods."""

    buckets: tuple[tuple[date, int], ...]
    weekly: bool
    key_dates: tuple[tuple[date, int], ...]
    undated: int

    @property
    def total(self) -> int:
        return sum(n for _, n in self.buckets) + self.undated


def coverage(published: Sequence[datetime | None]) -> Coverage:
    """Count articles per day (per week over long spans), with the busiest periods."""
    days = Counter(p.date() for p in published if p is not None)
    undated = sum(1 for p in published if p is None)
    if not days:
        return Coverage((), False, (), undated)
    first, last = min(days), max(days)
    weekly = (last - first).days + 1 > MAX_DAILY_BARS
    counts: Counter[date] = Counter()
    for day, n in days.items():
        counts[day - timedelta(days=day.weekday()) if weekly else day] += n
    start = first - timedelta(days=first.weekday()) if weekly else first
    step = timedelta(days=7 if weekly else 1)
    buckets = []
    current = start
    while current <= last:
        buckets.append((current, counts.get(current, 0)))
        current += step
    busiest = sorted((b for b in buckets if b[1]), key=lambda b: (-b[1], b[0]))[:KEY_DATES]
    return Coverage(tuple(buckets), weekly, tuple(sorted(busiest)), undated)


def alt_text(name: str, cov: Coverage) -> str:
    """What the chart shows, in one or two sentences."""
    if not cov.buckets:
        return f"No dated articles about {name}."
    unit = "week" if cov.weekly else "day"
    first, last = cov.buckets[0][0], cov.buckets[-1][0]
    text = (f"Articles about {name} per {unit}, {first:%d %b %Y} to {last:%d %b %Y}: "
            f"{cov.total - cov.undated} dated articles")
    if cov.key_dates:
        peaks = ", ".join(f"{d:%d %b %Y} ({n})" for d, n in cov.key_dates)
        text += f"; busiest {unit}s: {peaks}"
    if cov.undated:
        text += f"; {cov.undated} undated"
    return text + "."


def draw(name: str, published: Sequence[datetime | None],
         fmt: ChartFormat = ChartFormat.PNG) -> Chart:
    """Draw the coverage chart of `name` from its articles' publication times."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    cov = coverage(published)
    alt = alt_text(name, cov)
    with _DRAW_LOCK:
        fig, ax = plt.subplots(figsize=(7.2, 2.6), dpi=100)
        try:
            if cov.buckets:
                xs = [d for d, _ in cov.buckets]
                ys = [n for _, n in cov.buckets]
                ax.bar(mdates.date2num(xs), ys, width=6 if cov.weekly else 0.8, color="#3b6ea5")
                for d, n in cov.key_dates:
                    ax.annotate(f"{d:%d %b}", (float(mdates.date2num(d)), n), textcoords="offset points", xytext=(0, 3),
                                ha="center", fontsize=8)
                ax.set_ylim(0, max(ys) * 1.25 + 0.5)
                # at least a week wide, so one busy day is a bar, not a day cut into hours
                pad = max(timedelta(days=1), (MIN_SPAN - (xs[-1] - xs[0])) / 2)
                ax.set_xlim(float(mdates.date2num(xs[0] - pad)), float(mdates.date2num(xs[-1] + pad)))
                locator = mdates.AutoDateLocator(maxticks=8)
                ax.xaxis.set_major_locator(locator)
                ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            else:
                ax.text(0.5, 0.5, "no dated articles", ha="center", va="center",
                        transform=ax.transAxes)
                ax.set_xticks([])
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel("articles / week" if cov.weekly else "articles / day", fontsize=8)
            ax.set_title(f"Coverage of {name}", fontsize=10)
            ax.spines[["top", "right"]].set_visible(False)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt.value, metadata=_metadata(fmt))
        finally:
            plt.close(fig)
    return Chart(buf.getvalue(), fmt, alt)


def _metadata(fmt: ChartFormat) -> dict[str, str | None]:
    """No creation dates or tool versions: the same data gives the same bytes."""
    if fmt is ChartFormat.SVG:
        return {"Date": None, "Creator": None}
    return {"Software": None}


#: Chat platforms that show a picture beside a reply; the CLI and the web page do not
#: need one attached (the web page links its own chart).
PICTURE_PLATFORMS = frozenset({"discord", "slack"})


def attachment(name: str, published: Sequence[datetime | None]):
    """The PNG chart as a reply attachment (Discord shows it in the embed, Slack in the thread)."""
    from bot.core import Attachment

    chart = draw(name, published, ChartFormat.PNG)
    return Attachment(filename=chart.filename, data=chart.data, mime=chart.fmt.mime, alt=chart.alt)
