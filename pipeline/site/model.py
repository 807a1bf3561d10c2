"""The tracker's material: every deal with its dated mentions and stage history, grouped by country and partner.

Built in one pass over `store.site_mentions`, so the whole site comes from a single query.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline import store
from pipeline.digest import Link, country_name, make_link, party_name

if TYPE_CHECKING:
    from sqlite_utils import Database

STAGES = ("talks", "mou", "agreement", "launched", "stalled")
STAGE_LABELS = {"talks": "talks", "mou": "MoU", "agreement": "agreement", "launched": "launched",
                "stalled": "stalled"}


@dataclass
class Mention:
    """One article reporting a deal at a stage on a date, with the sentence that says so."""

    id: int
    stage: str
    date: str  # YYYY-MM-DD: the event date, else the publication day
    evidence: str
    link: Link
    published_at: str | None
    seen_at: str
    confidence: float | None
    story_id: int | None
    story_title: str
    story_size: int


@dataclass
class Step:
    """A deal reaching a stage: when, from which stage (None for a new deal), and the mentions that report it."""

    stage: str
    previous: str | None
    date: str
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Deal:
    """One (country, partner, body) deal: its stage, its mentions in date order and its stage history."""

    id: int
    country: str
    partner: str
    body: str | None
    stage: str
    mentions: list[Mention] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def party(self) -> str:
        """Return the state side as a reader names it: "Morocco", or "Telangana (India)"."""
        return party_name(country_name(self.country), self.body)

    @property
    def first_date(self) -> str:
        """Return the date of its first mention."""
        return self.mentions[0].date

    @property
    def last_date(self) -> str:
        """Return the date of its latest mention."""
        return self.mentions[-1].date


@dataclass
class Country:
    """A country with at least one deal: national deals apart from its sub-national governments' deals."""

    code: str
    name: str
    national: list[Deal] = field(default_factory=list)
    subnational: list[Deal] = field(default_factory=list)

    @property
    def deals(self) -> list[Deal]:
        """Return every deal, national first."""
        return self.national + self.subnational

    @property
    def stage(self) -> str | None:
        """Return the furthest stage of its national deals (stalled only when every one stalled), else None."""
        return furthest(deal.stage for deal in self.national)


@dataclass
class Partner:
    """A company dealing with at least one state, and its file name."""

    name: str
    slug: str
    deals: list[Deal] = field(default_factory=list)


@dataclass
class Tracker:
    """Everything the site shows."""

    deals: list[Deal]
    countries: list[Country]  # by name
    partners: list[Partner]  # by name, case-insensitively
    as_of: str | None  # when dealwatch last stored a mention, ISO UTC

    def steps(self) -> list[tuple[Step, Deal]]:
        """Return every stage step of every deal, newest first."""
        pairs = [(step, deal) for deal in self.deals for step in deal.steps]
        return sorted(pairs, key=lambda pair: (pair[0].date, pair[0].mentions[0].seen_at, pair[1].id), reverse=True)


def furthest(stages: Iterable[str]) -> str | None:
    """Return the furthest forward stage among `stages`, 'stalled' when all are stalled, None when there are none."""
    chosen = list(stages)
    forward = [stage for stage in chosen if stage in store.STAGE_ORDER]
    if forward:
        return max(forward, key=store.STAGE_ORDER.__getitem__)
    return "stalled" if chosen else None


def load_tracker(db: Database) -> Tracker:
    """Return the tracker's material from the database."""
    deals: list[Deal] = []
    as_of: str | None = None
    for row in store.site_mentions(db):
        if not deals or deals[-1].id != row["deal_id"]:
            deals.append(Deal(id=row["deal_id"], country=row["country"], partner=row["partner"], body=row["body"],
                              stage=row["deal_stage"]))
        deals[-1].mentions.append(_mention(row))
        as_of = max(as_of or row["seen_at"], row["seen_at"])
    countries: dict[str, Country] = {}
    partners: dict[str, list[Deal]] = {}
    for deal in deals:
        deal.steps = stage_steps(deal.mentions)
        country = countries.setdefault(deal.country, Country(deal.country, country_name(deal.country)))
        (country.subnational if deal.body else country.national).append(deal)
        partners.setdefault(deal.partner, []).append(deal)
    for country in countries.values():
        country.national.sort(key=lambda deal: deal.partner.casefold())
        country.subnational.sort(key=lambda deal: ((deal.body or "").casefold(), deal.partner.casefold()))
    slugs = partner_slugs(partners)
    partner_list = [Partner(name, slugs[name], sorted(found, key=lambda deal: (deal.party, deal.id)))
                    for name, found in partners.items()]
    return Tracker(deals=deals, countries=sorted(countries.values(), key=lambda c: c.name),
                   partners=sorted(partner_list, key=lambda p: (p.name.casefold(), p.name)), as_of=as_of)


def stage_steps(mentions: list[Mention]) -> list[Step]:
    """Return a deal's stage history from its dated mentions: a step each time its stage (store's rule) changes.

    Each step keeps the mentions of its stage from its date until the next step: the report that moved
    the deal first, then every outlet that said the same.
    """
    steps: list[Step] = []
    seen: list[tuple[str, str]] = []
    for index, mention in enumerate(mentions):
        seen.append((mention.stage, mention.date))
        if index + 1 < len(mentions) and mentions[index + 1].date == mention.date:
            continue  # a day's reports are read together: the order within a day says nothing
        stage = store.stage_from_mentions(seen)
        day = [m for m in mentions[:index + 1] if m.date == mention.date]
        if not steps or steps[-1].stage != stage:
            steps.append(Step(stage=stage, previous=steps[-1].stage if steps else None, date=mention.date))
            steps[-1].mentions.extend(m for m in day if m.stage == stage)
            if not steps[-1].mentions:  # a step made by no report of its own stage (a stall undone by an old one)
                steps[-1].mentions.extend(day)
        else:
            steps[-1].mentions.extend(m for m in day if m.stage == stage)
    return steps


def partner_slugs(names: Iterable[str]) -> dict[str, str]:
    """Return a distinct, readable file name stem for each partner name ("Mistral AI" -> "mistral-ai")."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]
        if not slug or slug in taken:
            slug = f"{slug or 'partner'}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
        taken.add(slug)
        slugs[name] = slug
    return slugs


def _mention(row: dict[str, Any]) -> Mention:
    return Mention(id=row["id"], stage=row["stage"], date=row["date"], evidence=row["evidence"] or "",
                   link=make_link(row["url"], row["title"], row["source"]), published_at=row["published_at"],
                   seen_at=row["seen_at"] or "", confidence=row["confidence"], story_id=row["story_id"],
                   story_title=row["story_title"] or "", story_size=row["story_size"] or 0)
