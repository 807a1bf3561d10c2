"""SVG pictures of deals over time: a country's timeline (a row per deal, a mark per dated mention) and stage bars.

The timeline's horizontal positions are percentages of its width and its text is in pixels, so the
one picture fills a phone or a desktop column with labels that stay readable at both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from pipeline.digest import html_text
from pipeline.site.model import STAGE_LABELS, Deal

LEFT, RIGHT = 3.0, 97.0  # the part of the width the dates span, in percent: marks at the ends stay whole
AXIS_HEIGHT = 22
ROW_HEIGHT = 42
MARK_RADIUS = 6
MAX_TICKS = 5
FORWARD = ("talks", "mou", "agreement", "launched")
# Tick spacings, shortest first: (days, months, years), one of them set.
_STEPS = ((1, 0, 0), (2, 0, 0), (7, 0, 0), (14, 0, 0), (0, 1, 0), (0, 2, 0), (0, 3, 0), (0, 6, 0), (0, 0, 1),
          (0, 0, 2), (0, 0, 5), (0, 0, 10), (0, 0, 25), (0, 0, 50))


def render_timeline(rows: list[tuple[str, Deal]], mark_href: Callable[[Deal, int], str], title: str) -> str:
    """Return the SVG timeline of `rows` (label, deal); `mark_href(deal, mention_id)` links each mark to its mention."""
    dates = [date.fromisoformat(m.date) for _, deal in rows for m in deal.mentions]
    start, end = min(dates), max(dates)
    if start == end:
        start, end = start - timedelta(days=7), end + timedelta(days=7)
    span = (end - start).days

    def x(day: date) -> str:
        return f"{LEFT + (RIGHT - LEFT) * (day - start).days / span:.2f}%"

    height = AXIS_HEIGHT + ROW_HEIGHT * len(rows) + 6
    parts = [f'<svg class="timeline" width="100%" height="{height}" role="img" aria-labelledby="tl-title">',
             f'<title id="tl-title">{html_text(title)}</title>']
    for tick, label in ticks(start, end):
        share = (tick - start).days / span
        anchor = "start" if share < 0.08 else "end" if share > 0.92 else "middle"
        parts.append(f'<line class="tick" x1="{x(tick)}" x2="{x(tick)}" y1="{AXIS_HEIGHT - 4}" y2="{height}"/>'
                     f'<text class="tick-label" x="{x(tick)}" y="13" text-anchor="{anchor}">{label}</text>')
    for index, (label, deal) in enumerate(rows):
        top = AXIS_HEIGHT + ROW_HEIGHT * index
        track = top + 28
        parts.append(f'<text class="row-label" x="{LEFT:g}%" y="{top + 13}">{html_text(label)}</text>'
                     f'<line class="track" x1="{LEFT:g}%" x2="{RIGHT:g}%" y1="{track}" y2="{track}"/>')
        marks: dict[tuple[str, str], list[int]] = {}
        for mention in deal.mentions:
            marks.setdefault((mention.date, mention.stage), []).append(mention.id)
        for (day, stage), ids in marks.items():
            reports = f" ({len(ids)} reports)" if len(ids) > 1 else ""
            tip = html_text(f"{label}: {STAGE_LABELS.get(stage, stage)} on {day}{reports}")
            parts.append(f'<a href="{html_text(mark_href(deal, ids[0]))}"><circle class="mark s-{html_text(stage)}" '
                         f'cx="{x(date.fromisoformat(day))}" cy="{track}" r="{MARK_RADIUS}"><title>{tip}</title>'
                         "</circle></a>")
    parts.append("</svg>")
    return "".join(parts)


def ticks(start: date, end: date) -> list[tuple[date, str]]:
    """Return at most MAX_TICKS round dates within [start, end], with their labels, at the finest spacing that fits."""
    for days, months, years in _STEPS:
        found = list(_tick_dates(start, end, days, months, years))
        if len(found) <= MAX_TICKS:
            return [(tick, f"{tick.day} {tick:%b}" if days else f"{tick:%b %Y}" if months else f"{tick:%Y}")
                    for tick in found]
    return []


def _tick_dates(start: date, end: date, days: int, months: int, years: int) -> list[date]:
    found: list[date] = []
    if days:
        tick = start + timedelta(days=(-start.weekday()) % 7) if days >= 7 else start
        while tick <= end and len(found) <= MAX_TICKS:
            found.append(tick)
            tick += timedelta(days=days)
        return found
    step = months or 12 * years
    index = start.year * 12 + start.month - 1
    if start.day > 1:
        index += 1
    index = -(-index // step) * step  # round up to a multiple of the step (January for years)
    while len(found) <= MAX_TICKS:
        tick = date(index // 12, index % 12 + 1, 1)
        if tick > end:
            break
        found.append(tick)
        index += step
    return found


def stage_bar(stage: str) -> str:
    """Return a small SVG bar of four segments (talks to launched) filled up to `stage`; stalled is one orange bar."""
    reached = FORWARD.index(stage) + 1 if stage in FORWARD else 0
    label = html_text(STAGE_LABELS.get(stage, stage))
    parts = [f'<svg class="bar" width="104" height="12" role="img" aria-label="{label}">']
    if stage == "stalled":
        parts.append('<rect class="s-stalled" x="0" y="2" width="104" height="8" rx="2"/>')
    else:
        for index in range(len(FORWARD)):
            fill = f"s-{stage}" if index < reached else "empty"
            parts.append(f'<rect class="{fill}" x="{index * 26}" y="2" width="24" height="8" rx="2"/>')
    parts.append("</svg>")
    return "".join(parts)
