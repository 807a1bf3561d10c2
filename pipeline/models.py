"""Plain records passed between the stages of the data flow.

Each arrow of the pipeline (fetch → parse → extract → normalise → classify →
dedupe → store) hands one of these dataclasses to the next stage; none of them
holds a database handle or an HTTP client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    """One configured source: where to fetch, how often, and how."""

    name: str
    kind: str  # feed | html | sitemap | gdelt
    url: str  # http(s) URL, file:// URL or resolved local path
    every_seconds: int = 1800
    full_text: str = "auto"  # auto | always | never
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        """Return False when the config switched this source off (`enabled = false`)."""
        return self.options.get("enabled", True) is not False


@dataclass
class FetchResult:
    """What one HTTP (or file) fetch returned, or why it failed."""

    url: str
    status: str  # ok | not_modified | error
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    http_status: int | None = None
    final_url: str | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    duration_ms: int = 0


@dataclass
class Entry:
    """One item found in a source (feed entry, listing link, sitemap URL)."""

    url: str
    title: str = ""
    summary: str = ""  # teaser text, already stripped of markup
    content: str = ""  # full body text when the source carries it (feed content:encoded)
    published: str | None = None  # ISO 8601 UTC
    guid: str | None = None
    lang: str | None = None


@dataclass
class ExtractedPage:
    """What the extractor made of one article page."""

    title: str | None
    text: str
    published: str | None  # ISO 8601 (UTC when the page gives a time zone)
    lang: str | None
    canonical_url: str | None
    body_hash_source: str = ""  # text of the article body element, for exact-duplicate hashing


@dataclass
class Amount:
    """The money an article gives for one deal: as written, in US dollars, and how firm it is."""

    value: float  # in units of `currency`: 1.7e9 for "$1.7bn"
    currency: str  # ISO 4217
    usd: float | None  # at the yearly average rate of the article's year; None when no rate is known
    status: str  # committed (signed, awarded, granted, invested) | announced (pledged, planned, "up to", talks)


PURPOSES = ("compute", "models", "skills", "research", "public-services", "investment")


@dataclass
class DealMention:
    """One (country, partner, stage) deal reported by an article, with its evidence."""

    country: str  # ISO 3166-1 alpha-2 or EU
    partner: str  # canonical registry name, or the name as written when unknown
    stage: str  # talks | mou | agreement | launched | stalled
    event_date: str | None = None  # YYYY-MM-DD
    evidence: str = ""
    known: bool = True  # False when the partner is not in the registry
    level: str = "national"  # national | subnational (a state, province, region or city government)
    body: str | None = None  # the sub-national government, e.g. "Telangana", when level is subnational
    confidence: float = 1.0  # how likely the (country, partner, stage) is right, 0-1 (calibrated on blind sets)
    amount: Amount | None = None  # the deal's amount in this article, when it gives one
    purposes: list[str] = field(default_factory=list)  # what the deal is for, among PURPOSES, in that order


@dataclass
class Classification:
    """The classifier's verdict on one article."""

    relevant: bool
    deals: list[DealMention] = field(default_factory=list)
    version: str = ""
    candidates: list[DealMention] = field(default_factory=list)  # below the confidence threshold


@dataclass
class Article:
    """A normalised article, ready for classification, clustering and storage."""

    url: str  # canonical
    title: str
    text: str
    source: str
    fetched_at: str
    summary: str = ""
    lang: str | None = None
    published_at: str | None = None
    content_hash: str = ""
    urls: list[str] = field(default_factory=list)  # every URL it was seen under
    classification: Classification | None = None
