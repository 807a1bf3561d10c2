"""The daily digest: one day's new deals, stage changes, new stories and partner counts, in four formats.

A digest covers one calendar day in the configured time zone. By default ("seen") it reports what
dealwatch *learned* that day: articles first fetched that day and deal mentions first stored that
day, so each article appears in exactly one daily digest however late its outlet published it.
With basis "published" it reports what was *published* that day instead, for archives brought in
with `dealwatch import`, whose fetch time is the moment of the import.

Rendering only: the material comes from `store.digest_data`, and nothing here writes the database.
Every piece of article text is escaped in HTML and Atom; the HTML page carries no script and a
Content-Security-Policy that would block one anyway.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pycountry

from pipeline import PROJECT_URL, __version__, store
from pipeline.config import DigestSettings
from pipeline.models import PURPOSES

if TYPE_CHECKING:
    from sqlite_utils import Database

LOGGER = logging.getLogger(__name__)
BASES = ("seen", "published")
FEED_DAYS = 14
FEED_NAME = "digest.atom"
ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry; a feed holding one would not parse at all.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Enough to keep article text from making links, emphasis, tables or HTML; the rest is never at a line start.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")


@dataclass
class Link:
    """One article link: where it points, its title, and the outlet (host) that published it."""

    url: str
    title: str
    outlet: str

    @property
    def web(self) -> bool:
        """Return whether the URL may be rendered as a link (only http and https are)."""
        return urlsplit(self.url).scheme.lower() in ("http", "https")


@dataclass
class Evidence:
    """A sentence that justified a deal's stage, with the articles that carried it."""

    sentence: str
    stage: str
    links: list[Link] = field(default_factory=list)


@dataclass
class DealNews:
    """A deal that is new, or whose stage moved, on the digest's day."""

    country: str
    country_name: str
    partner: str
    stage: str
    previous_stage: str | None  # None for a deal first reported that day
    evidence: list[Evidence] = field(default_factory=list)
    body: str | None = None  # the sub-national government ("Telangana") of a sub-national deal
    amount: dict[str, Any] | None = None  # the largest amount the day's reports give: value, currency, usd, status
    purposes: list[str] = field(default_factory=list)  # what the day's reports say the deal is for

    @property
    def party(self) -> str:
        """Return the state side as a reader names it: "Morocco", or "Telangana (India)"."""
        return party_name(self.country_name, self.body)


@dataclass
class StoryNews:
    """A relevant story first seen on the digest's day, with one link per outlet."""

    title: str
    deals: list[str]  # "OpenAI (talks)"
    links: list[Link]
    event: str = ""  # the story's signature as a reader names it: "Morocco – Mistral AI: mou, 2026-03-02"


@dataclass
class CountryNews:
    """The day's new stories about one country."""

    country: str
    name: str
    stories: list[StoryNews]


@dataclass
class PartnerCount:
    """How many deals (countries) and articles mentioned a partner on the digest's day."""

    partner: str
    deals: int
    articles: int


@dataclass
class Digest:
    """Everything one day's digest says."""

    day: str  # YYYY-MM-DD, in `timezone`
    timezone: str
    basis: str  # seen | published
    start: str  # ISO UTC, inclusive
    end: str  # ISO UTC, exclusive
    articles: int = 0
    relevant: int = 0
    new_deals: list[DealNews] = field(default_factory=list)
    stage_changes: list[DealNews] = field(default_factory=list)
    subnational: list[DealNews] = field(default_factory=list)  # new deals and stage changes of sub-national bodies
    countries: list[CountryNews] = field(default_factory=list)
    partners: list[PartnerCount] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        """Return whether the day brought no new deal, stage change or relevant story."""
        return not (self.new_deals or self.stage_changes or self.subnational or self.countries)

    def headline(self) -> str:
        """Return the one-line summary used as a title."""
        if self.nothing_new:
            return f"dealwatch digest {self.day}: nothing new"
        parts = [_count(len(self.new_deals), "new deal"), _count(len(self.stage_changes), "stage change"),
                 _count(sum(len(c.stories) for c in self.countries), "new story", "new stories")]
        if self.subnational:
            parts.insert(2, _count(len(self.subnational), "sub-national deal update"))
        return f"dealwatch digest {self.day}: " + ", ".join(parts)


# --- building ------------------------------------------------------------------------------------

def day_window(day: date, tz: ZoneInfo) -> tuple[str, str]:
    """Return the UTC bounds [start, end) of a calendar day in `tz` (23 or 25 hours long on DST days)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return _utc(start), _utc(end)


def latest_due_day(now: datetime, settings: DigestSettings) -> date:
    """Return the last complete day whose digest is due at `now`: yesterday once today's digest time has passed."""
    local = now.astimezone(ZoneInfo(settings.timezone))
    hour, minute = (int(part) for part in settings.at.split(":"))
    days_back = 1 if local.time() >= time(hour, minute) else 2
    return local.date() - timedelta(days=days_back)


def build_digest(db: Database, day: date, tz_name: str, basis: str = "seen") -> Digest:
    """Return the digest of `day` in time zone `tz_name`, from what the database holds."""
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}, not {basis!r}")
    start, end = day_window(day, ZoneInfo(tz_name))
    data = store.digest_data(db, start, end, basis)
    digest = Digest(day=day.isoformat(), timezone=tz_name, basis=basis, start=start, end=end,
                    articles=int(data["articles"]), relevant=int(data["relevant"]))
    for deal in data["deals"]:
        news = deal_news(deal)
        if news.previous_stage is not None and news.previous_stage == news.stage:
            continue
        if news.body:
            digest.subnational.append(news)
        elif news.previous_stage is None:
            digest.new_deals.append(news)
        else:
            digest.stage_changes.append(news)
    for items in (digest.new_deals, digest.stage_changes, digest.subnational):
        items.sort(key=lambda news: (news.country_name, news.body or "", news.partner.casefold()))
    digest.countries = _country_news(data["stories"])
    digest.partners = _partner_counts(data["deals"])
    return digest


def build_feed(db: Database, last_day: date, tz_name: str, basis: str = "seen",
               days: int = FEED_DAYS) -> list[Digest]:
    """Return the digests worth an Atom entry among the `days` days ending at `last_day`, newest first."""
    digests = (build_digest(db, last_day - timedelta(days=back), tz_name, basis) for back in range(days))
    return [digest for digest in digests if not digest.nothing_new]


def deal_news(deal: dict[str, Any]) -> DealNews:
    """Return one deal of `store.digest_data` as the digest shows it: stage move and evidence with links."""
    stage = deal["to_stage"]
    mentions = [m for m in deal["mentions"] if m["stage"] == stage] or deal["mentions"]
    evidence: dict[str, Evidence] = {}
    for mention in mentions:
        sentence = clean_text(mention["evidence"])
        item = evidence.setdefault(sentence.casefold(), Evidence(sentence=sentence, stage=mention["stage"]))
        link = make_link(mention["url"], mention["title"], mention["source"])
        if all(existing.url != link.url for existing in item.links):
            item.links.append(link)
    amounts = [m["amount"] for m in deal["mentions"] if m.get("amount")]
    said = {p for m in deal["mentions"] for p in m.get("purposes", [])}
    return DealNews(country=deal["country"], country_name=country_name(deal["country"]), partner=deal["partner"],
                    stage=stage, previous_stage=deal["from_stage"], evidence=list(evidence.values()),
                    body=deal.get("body"),
                    amount=max(amounts, key=lambda a: a["usd"] if a["usd"] is not None else -1.0, default=None),
                    purposes=[p for p in PURPOSES if p in said])


def _country_news(stories: list[dict[str, Any]]) -> list[CountryNews]:
    by_country: dict[str, list[StoryNews]] = {}
    for story in stories:
        news = StoryNews(
            title=clean_text(story["title"] or (story["articles"][0]["title"] if story["articles"] else "")),
            deals=[f"{d['partner']} ({d['stage']})" for d in story["deals"]],
            links=_outlet_links(story["articles"]),
            event=_event_text(story),
        )
        for country in dict.fromkeys(d["country"] for d in story["deals"]) or [""]:
            by_country.setdefault(country, []).append(news)
    ordered = sorted(by_country, key=lambda code: (code == "", country_name(code)))
    return [CountryNews(country=code, name=country_name(code) if code else "Other", stories=by_country[code])
            for code in ordered]


def _event_text(story: dict[str, Any]) -> str:
    """Return the event a story reports (its stored signature), or "" when it has none."""
    if not story["country"]:
        return ""
    when = f", {story['event_date']}" if story["event_date"] else ""
    return f"{country_name(story['country'])} – {story['partners']}: {story['stage']}{when}"


def _outlet_links(articles: list[dict[str, Any]]) -> list[Link]:
    """Return one link per outlet among a story's articles (every URL each was seen under), earliest first."""
    links: dict[str, Link] = {}
    for article in articles:
        seen_under = [make_link(url, article["title"], article["source"])
                      for url in dict.fromkeys([article["url"], *(article["urls"] or "").split()])]
        # A local file (the demo, an archive) is no outlet; name it only when it is all there is.
        for link in [link for link in seen_under if link.web] or seen_under[:1]:
            links.setdefault(link.outlet, link)
    return list(links.values())


def _partner_counts(deals: list[dict[str, Any]]) -> list[PartnerCount]:
    countries: dict[str, set[str]] = {}
    articles: dict[str, set[int]] = {}
    for deal in deals:
        countries.setdefault(deal["partner"], set()).add(deal["country"])
        articles.setdefault(deal["partner"], set()).update(m["article_id"] for m in deal["mentions"])
    counts = [PartnerCount(partner, len(countries[partner]), len(articles[partner])) for partner in countries]
    return sorted(counts, key=lambda c: (-c.deals, -c.articles, c.partner.casefold()))


def make_link(url: str, title: str | None, source: str | None) -> Link:
    """Return an article's link, titled by the article (else its URL), its outlet named by host (else source)."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return Link(url=url, title=clean_text(title or url), outlet=host or (source or "unknown"))


def party_name(country: str, body: str | None) -> str:
    """Return the state side of a deal as a reader names it: "Morocco", or "Telangana (India)"."""
    return f"{body} ({country})" if body else country


def country_name(code: str) -> str:
    """Return a country's common English name for its ISO 3166-1 alpha-2 code (or EU), else the code."""
    if code == "EU":
        return "European Union"
    found = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    return str(getattr(found, "common_name", None) or found.name) if found else code


# --- rendering -----------------------------------------------------------------------------------

def render_markdown(digest: Digest) -> str:
    """Return the digest as Markdown, with article text escaped so it cannot inject markup."""
    lines = [f"# dealwatch digest — {digest.day}", "", f"_{_scope(digest)}_", ""]
    if digest.nothing_new:
        return "\n".join(lines + [f"Nothing new on {digest.day}.", ""])
    for heading, items in _deal_sections(digest):
        if not items:
            continue
        lines += [f"## {heading} ({len(items)})", ""]
        for deal in items:
            lines.append(f"- **{_md(deal.party)} – {_md(deal.partner)}**: {_md(_stage_text(deal) + _details(deal))}")
            for evidence in deal.evidence:
                links = ", ".join(_md_link(link) for link in evidence.links)
                quote = f"“{_md(evidence.sentence)}” " if evidence.sentence else ""
                lines.append(f"  - {quote}{links}")
        lines.append("")
    if digest.countries:
        lines += ["## New stories", ""]
        for country in digest.countries:
            lines += [f"### {_md(country.name)}", ""]
            for story in country.stories:
                deals = f" — {_md(story.event or ', '.join(story.deals))}" if story.event or story.deals else ""
                lines.append(f"- **{_md(story.title)}**{deals}")
                lines.append("  - " + " · ".join(_md_link(link, link.outlet) for link in story.links))
            lines.append("")
    if digest.partners:
        lines += ["## Partners", "", "| partner | deals | articles |", "| --- | ---: | ---: |"]
        lines += [f"| {_md(p.partner)} | {p.deals} | {p.articles} |" for p in digest.partners]
        lines.append("")
    return "\n".join(lines)


def render_json(digest: Digest) -> str:
    """Return the digest as a JSON document."""
    payload = {"version": 1, "generator": f"dealwatch {__version__}", **asdict(digest),
               "nothing_new": digest.nothing_new}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def render_html(digest: Digest) -> str:
    """Return the digest as one self-contained HTML page (no script, no external resource), readable on a phone."""
    title = html_text(digest.headline())
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'none'">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="dealwatch {html_text(__version__)}">
<title>{title}</title>
<style>
body {{ font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 42rem; margin: 0 auto;
       padding: 1rem; color: #1a1a1a; background: #fff; overflow-wrap: anywhere; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }}
h3 {{ font-size: 1.05rem; }} .scope, .outlets {{ color: #555; font-size: .9rem; }}
blockquote {{ margin: .3rem 0 .3rem 0; padding-left: .8rem; border-left: 3px solid #ccc; }}
.stage {{ font-weight: 600; }} table {{ border-collapse: collapse; }}
td, th {{ padding: .2rem .6rem; border-bottom: 1px solid #eee; text-align: left; }}
td.n {{ text-align: right; }} a {{ color: #0645ad; }}
@media (prefers-color-scheme: dark) {{ body {{ color: #eee; background: #111; }} a {{ color: #8ab4f8; }}
  .scope, .outlets {{ color: #aaa; }} }}
</style>
</head>
<body>
<h1>{title}</h1>
{html_fragment(digest)}
<footer class="scope"><p>Made by <a href="{html_text(PROJECT_URL)}">dealwatch</a> {html_text(__version__)}.</p></footer>
</body>
</html>
"""


def html_fragment(digest: Digest) -> str:
    """Return the digest's body as an HTML fragment (also the content of its Atom entry); all text escaped."""
    parts = [f'<p class="scope">{html_text(_scope(digest))}</p>']
    if digest.nothing_new:
        parts.append(f"<p>Nothing new on {html_text(digest.day)}.</p>")
        return "\n".join(parts)
    for heading, items in _deal_sections(digest):
        if not items:
            continue
        parts.append(f"<h2>{heading} ({len(items)})</h2>\n<ul>")
        parts += [f"<li>{deal_html(deal)}\n</li>" for deal in items]
        parts.append("</ul>")
    if digest.countries:
        parts.append("<h2>New stories</h2>")
        for country in digest.countries:
            parts.append(f"<h3>{html_text(country.name)}</h3>\n<ul>")
            for story in country.stories:
                deals = f" — {html_text(story.event or ', '.join(story.deals))}" if story.event or story.deals else ""
                outlets = " · ".join(html_link(link, link.outlet) for link in story.links)
                parts.append(f'<li><strong>{html_text(story.title)}</strong>{deals}<br><span class="outlets">{outlets}'
                             "</span></li>")
            parts.append("</ul>")
    if digest.partners:
        parts.append('<h2>Partners</h2>\n<table><tr><th>partner</th><th>deals</th><th>articles</th></tr>')
        parts += [f'<tr><td>{html_text(p.partner)}</td><td class="n">{p.deals}</td><td class="n">{p.articles}</td></tr>'
                  for p in digest.partners]
        parts.append("</table>")
    return "\n".join(parts)


def deal_html(deal: DealNews) -> str:
    """Return one deal's digest entry as HTML: party – partner, stage move, quoted evidence with links."""
    parts = [f"<strong>{html_text(deal.party)} – {html_text(deal.partner)}</strong>: "
             f'<span class="stage">{html_text(_stage_text(deal))}</span>{html_text(_details(deal))}']
    for evidence in deal.evidence:
        links = ", ".join(html_link(link) for link in evidence.links)
        quote = f"“{html_text(evidence.sentence)}” " if evidence.sentence else ""
        parts.append(f"<blockquote>{quote}{links}</blockquote>")
    return "\n".join(parts)


def deal_text(deal: DealNews) -> str:
    """Return one deal's digest entry as plain text, each link's title followed by its URL."""
    lines = [f"{clean_text(deal.party)} – {clean_text(deal.partner)}: {_stage_text(deal)}{_details(deal)}"]
    for evidence in deal.evidence:
        if evidence.sentence:
            lines += ["", f"“{evidence.sentence}”"]
        lines += [f"  {link.title}" + (f" <{clean_text(link.url)}>" if link.web else "") for link in evidence.links]
    return "\n".join(lines)


def render_atom(digests: list[Digest], feed_key: str, now: datetime, html_links: bool = True) -> str:
    """Return an Atom feed with one entry per digest; `feed_key` (e.g. the database path) makes its ids unique."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"dealwatch:{feed_key}")
    entries_updated = [_entry_updated(d, now) for d in digests]
    _sub(feed, "id", namespace.urn)
    _sub(feed, "title", "dealwatch digest")
    _sub(feed, "subtitle", "National AI deals: new deals, stage changes and new stories, day by day")
    _sub(feed, "updated", max(entries_updated, default=_utc(now)))
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _sub(author, "name", "dealwatch")
    _sub(feed, "generator", "dealwatch", uri=PROJECT_URL, version=__version__)
    for digest, updated in zip(digests, entries_updated):
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        _sub(entry, "id", uuid.uuid5(namespace, f"{digest.basis}:{digest.day}").urn)
        _sub(entry, "title", digest.headline())
        _sub(entry, "updated", updated)
        if html_links:
            ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", type="text/html",
                          href=file_name(date.fromisoformat(digest.day), "html", digest.basis))
        _sub(entry, "summary", _scope(digest))
        _sub(entry, "content", _xml_text(html_fragment(digest)), type="html")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


RENDERERS = {"md": render_markdown, "html": render_html, "json": render_json}


# --- writing -------------------------------------------------------------------------------------

def file_name(day: date, fmt: str, basis: str = "seen") -> str:
    """Return a digest's file name: digest-YYYY-MM-DD.FMT, or digest.atom for the feed (suffixed unless basis seen)."""
    suffix = "" if basis == "seen" else f"-{basis}"
    return f"digest{suffix}.atom" if fmt == "atom" else f"digest-{day.isoformat()}{suffix}.{fmt}"


def render_formats(db: Database, day: date, settings: DigestSettings, formats: tuple[str, ...],
                   basis: str = "seen", feed_key: str = "", now: datetime | None = None) -> dict[str, str]:
    """Return {format: text} for the digest of `day`; 'atom' is the feed of the FEED_DAYS days ending at `day`."""
    digest = build_digest(db, day, settings.timezone, basis)
    rendered: dict[str, str] = {}
    for fmt in formats:
        if fmt == "atom":
            older = build_feed(db, day - timedelta(days=1), settings.timezone, basis, FEED_DAYS - 1)
            feed = ([] if digest.nothing_new else [digest]) + older
            html_links = "html" in formats or "html" in settings.formats
            rendered[fmt] = render_atom(feed, feed_key, now or datetime.now(timezone.utc), html_links)
        else:
            rendered[fmt] = RENDERERS[fmt](digest)
    LOGGER.info("digest day=%s basis=%s: %s", digest.day, basis, digest.headline().split(": ", 1)[1])
    return rendered


def write_digest(db: Database, day: date, settings: DigestSettings, out: Path,
                 formats: tuple[str, ...] | None = None, basis: str = "seen", feed_key: str = "",
                 now: datetime | None = None) -> list[Path]:
    """Write the digest of `day` into `out` in each format, each file replaced atomically; return the paths."""
    rendered = render_formats(db, day, settings, formats or settings.formats, basis, feed_key, now)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt, text in rendered.items():
        path = out / file_name(day, fmt, basis)
        write_atomically(path, text)
        written.append(path)
    return written


def digest_written(out: Path, day: date, formats: tuple[str, ...]) -> bool:
    """Return whether every per-day file of `day`'s digest exists in `out` (the Atom feed is rewritten anyway)."""
    daily = [fmt for fmt in formats if fmt != "atom"]
    return bool(daily) and all((out / file_name(day, fmt)).exists() for fmt in daily)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename."""
    # A feed reader or web server polling the folder must never see half a file.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


# --- helpers -------------------------------------------------------------------------------------

def _deal_sections(digest: Digest) -> tuple[tuple[str, list[DealNews]], ...]:
    """Return the digest's deal sections in reading order; sub-national governments come apart, after the states."""
    return (("New deals", digest.new_deals), ("Stage changes", digest.stage_changes),
            ("Sub-national governments", digest.subnational))


def _scope(digest: Digest) -> str:
    what = "first seen by dealwatch" if digest.basis == "seen" else "published"
    counts = f"{digest.articles} new articles, {digest.relevant} about national AI deals"
    if digest.basis == "published":
        counts = f"{digest.articles} articles, {digest.relevant} about national AI deals"
    return f"Articles {what} on {digest.day} ({digest.timezone}): {counts}."


def _stage_text(deal: DealNews) -> str:
    return deal.stage if deal.previous_stage is None else f"{deal.previous_stage} → {deal.stage}"


# How the digest writes a currency before a figure; other currencies are written with their ISO code.
_CURRENCY_SIGNS = {"USD": "US$", "EUR": "€", "GBP": "£", "CAD": "C$", "AUD": "A$", "INR": "₹", "JPY": "¥", "BRL": "R$"}


def _details(deal: DealNews) -> str:
    """Return what follows a deal's stage: "; €1bn (US$1.13bn), committed; compute, skills", or ""."""
    parts = []
    if deal.amount:
        parts.append(f"{amount_text(deal.amount)}, {deal.amount['status']}")
    if deal.purposes:
        parts.append(", ".join(deal.purposes))
    return "".join(f"; {part}" for part in parts)


def amount_text(amount: dict[str, Any]) -> str:
    """Return an amount as a reader writes it: "US$1.7bn", or "MAD 1.5bn (US$161m)" with the dollar value."""
    def written(value: float, currency: str) -> str:
        sign = _CURRENCY_SIGNS.get(currency)
        figure = next((f"{value / unit:.3g}{suffix}" for unit, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"))
                       if abs(value) >= unit), f"{value:,.0f}")
        return f"{sign}{figure}" if sign else f"{currency} {figure}"

    text = written(amount["value"], amount["currency"])
    if amount["currency"] != "USD" and amount.get("usd") is not None:
        text += f" ({written(amount['usd'], 'USD')})"
    return text


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def clean_text(text: str) -> str:
    """Return text on one line, without characters XML cannot hold."""
    return " ".join(_XML_INVALID.sub("", text or "").split())


def html_text(text: str) -> str:
    """Return text on one line, escaped for HTML content and attribute values."""
    return html.escape(clean_text(text), quote=True)


def html_link(link: Link, label: str | None = None) -> str:
    """Return an escaped link to an article; plain text when its URL is not http(s) (javascript:, file:...)."""
    text = html_text(label or link.title)
    if not link.web:
        return text
    return f'<a href="{html_text(link.url)}" title="{html_text(link.title)}" rel="noopener noreferrer">{text}</a>'


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", clean_text(text))


def _md_link(link: Link, label: str | None = None) -> str:
    text = _md(label or link.title)
    if not link.web:
        return text
    # Angle-bracket destinations allow any URL except <, > and line breaks, which we percent-encode.
    return f"[{text}](<{quote(clean_text(link.url), safe=':/?#[]@!$&()*+,;=%~-._')}>)"


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
    element.text = _xml_text(text)
    return element


def _entry_updated(digest: Digest, now: datetime) -> str:
    # A finished day's entry keeps one timestamp, so feed readers do not mark it unread on every rewrite.
    return min(digest.end, _utc(now))


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
