"""Explicit dates in a sentence ("on Sept. 12", "le 12 septembre", "on Thursday"), resolved to YYYY-MM-DD.

Only day-precise dates count: "in May" or "last year" name no day. A date without a year takes
the publication year, or the year before when that would put it more than a week after
publication. A weekday alone ("said on Wednesday") is the last such day on or before publication.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

LOGGER = logging.getLogger(__name__)

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4, "sábado": 5,
    "sabado": 5, "domingo": 6,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
# "12 September 2025", "12 septembre", "1er octobre", "12 de septiembre de 2025"
_DAY_MONTH = re.compile(
    rf"\b(?P<day>[0-3]?\d)(?:er|st|nd|rd|th)?\s+(?:de\s+)?(?P<month>{_MONTH})\.?"
    rf"(?:,?\s+(?:de\s+)?(?P<year>(?:19|20)\d\d))?\b", re.IGNORECASE)
# "Sept. 12", "September 12, 2025", "May 22 (TNW)"
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b"
    rf"(?!\s*(?:%|percent|per cent|billion|million|bn|m\b))(?:,?\s+(?P<year>(?:19|20)\d\d))?", re.IGNORECASE)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")
# "on Tuesday", "signed Tuesday", "a paraphé mardi", "firmó el martes", "este lunes": a weekday of the week
# of publication, read backward from it; not a future one ("next Tuesday", "hasta el viernes", "mardi prochain").
_WEEKDAY_ONLY = re.compile(
    rf"(?<!\w)(?<!next\s)(?<!until\s)(?<!by\s)(?<!before\s)(?<!coming\s)(?<!próximo\s)(?<!hasta\sel\s)"
    rf"(?P<weekday>{_WEEKDAY})\b(?!\s+\d)(?!\s+(?:prochain|next|próximo|que\s+viene))", re.IGNORECASE)


def parse_published(published: str | None) -> date | None:
    """Return the publication date of an ISO date or datetime string, or None."""
    if not published:
        return None
    text = published.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        LOGGER.debug("unreadable publication date %r", published)
        return None


def _build(year: int | None, month: int, day: int, published: date | None) -> date | None:
    if year is None:
        if published is None:
            return None
        year = published.year
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate > published + timedelta(days=7):
            candidate = candidate.replace(year=year - 1) if not (month == 2 and day == 29) else candidate
        return candidate
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(sentence: str, published: date | None) -> list[tuple[int, str]]:
    """Return (offset, YYYY-MM-DD) for every day-precise date written in `sentence`."""
    found: dict[int, str] = {}
    for regex in (_DAY_MONTH, _MONTH_DAY, _ISO):
        for match in regex.finditer(sentence):
            month_text = match.group("month")
            month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
            year = int(match.group("year")) if match.group("year") else None
            value = _build(year, month, int(match.group("day")), published)
            if value is not None and not any(abs(match.start() - o) < 12 for o in found):
                found[match.start()] = value.isoformat()
    if published is not None:
        for match in _WEEKDAY_ONLY.finditer(sentence):
            if any(abs(match.start() - o) < 24 for o in found):
                continue  # "on Thursday, Sept. 25": the full date already says it
            back = (published.weekday() - WEEKDAYS[match.group("weekday").lower()]) % 7
            found[match.start()] = (published - timedelta(days=back)).isoformat()
    return sorted(found.items())
