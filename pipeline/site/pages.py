"""The site's HTML pages: home, one per country, partner and deal. Every piece of text from the web is escaped.

Pages link to each other with relative URLs, so the folder works from any web server path or
straight from the disk; they load nothing (styles are inline, pictures are inline SVG) and run no
script, which their Content-Security-Policy also forbids.
"""

from __future__ import annotations

from pipeline import __version__
from pipeline.digest import html_link, html_text
from pipeline.site.model import STAGE_LABELS, STAGES, Country, Deal, Mention, Partner, Step, Tracker, furthest
from pipeline.site.timeline import render_timeline, stage_bar
from pipeline.site.worldmap import on_map, render_map

LATEST_STEPS = 20
ARTICLES_PER_STEP = 5  # on country pages; the deal page lists them all

STYLE = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #5b6570; --line: #dfe3e8; --link: #0b57a4;
  --talks: #a8ddb5; --mou: #43a2ca; --agreement: #0868ac; --launched: #062a55; --stalled: #e6550d;
  --sub: #c9b3dd; --land: #e3e6ea; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: var(--ink);
  background: #fff; overflow-wrap: anywhere; }
header.site, main, footer.site { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header.site { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; align-items: baseline; padding-top: .8rem;
  padding-bottom: .6rem; border-bottom: 1px solid var(--line); }
header.site .brand { font-weight: 700; color: var(--ink); text-decoration: none; }
header.site nav a { margin-right: .9rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 1.2rem 0 .4rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .3rem; }
a { color: var(--link); }
.lead, .meta, .note { color: var(--muted); }
.meta, .note { font-size: .9rem; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: .4rem; padding: .3rem .7rem; }
.counts b { font-size: 1.2rem; margin-right: .25rem; }
figure { margin: 1rem 0; }
svg.map { display: block; width: 100%; height: auto; background: #f5f8fb; border-radius: .4rem; }
svg.map path, svg.map circle { stroke: #fff; stroke-width: .5; }
svg.map .land { fill: var(--land); }
svg.map .dot { stroke: #fff; stroke-width: 1; }
svg.map a:hover path, svg.map a:hover circle, svg.map a:focus path { opacity: .75; }
.legend { display: flex; flex-wrap: wrap; gap: .2rem 1rem; padding: 0; margin: .4rem 0; list-style: none;
  font-size: .9rem; }
.legend li::before { content: ""; display: inline-block; width: .9rem; height: .9rem; margin-right: .35rem;
  vertical-align: -.1rem; border-radius: .2rem; background: var(--swatch); }
.s-talks { --swatch: var(--talks); fill: var(--talks); }
.s-mou { --swatch: var(--mou); fill: var(--mou); }
.s-agreement { --swatch: var(--agreement); fill: var(--agreement); }
.s-launched { --swatch: var(--launched); fill: var(--launched); }
.s-stalled { --swatch: var(--stalled); fill: var(--stalled); }
.sub { --swatch: var(--sub); fill: var(--sub); }
.none { --swatch: var(--land); }
.stage { display: inline-block; font-size: .8rem; font-weight: 600; padding: 0 .45rem; border-radius: .7rem;
  color: #fff; background: var(--swatch); white-space: nowrap; }
.stage.s-talks { color: #0b3b1c; }
svg.timeline { display: block; overflow: visible; font-size: 13px; }
svg.timeline .tick { stroke: var(--line); }
svg.timeline .tick-label { fill: var(--muted); font-size: 12px; }
svg.timeline .track { stroke: #b8c0c8; stroke-width: 2; }
svg.timeline .row-label { fill: var(--ink); font-weight: 600; }
svg.timeline .mark { stroke: #fff; stroke-width: 1.5; }
svg.bar .empty { fill: var(--land); }
svg.bar { vertical-align: middle; flex: none; }
ol.history, ol.mentions, ul.changes { padding-left: 0; list-style: none; }
ol.history > li, ol.mentions > li, ul.changes > li { margin: 0 0 1rem; padding-left: .8rem;
  border-left: 3px solid var(--line); }
blockquote { margin: .25rem 0; font-style: italic; }
ul.articles { margin: .2rem 0; padding-left: 1.1rem; font-size: .92rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; }
ul.bars { list-style: none; padding: 0; }
ul.bars li { display: flex; flex-wrap: wrap; align-items: center; gap: .2rem .7rem; padding: .35rem 0;
  border-bottom: 1px solid var(--line); }
ul.bars .who { flex: 1 1 10rem; }
.pair { display: inline-flex; align-items: center; gap: .5rem; white-space: nowrap; }
.nowrap { white-space: nowrap; }
footer.site { margin-top: 3rem; padding-top: .8rem; padding-bottom: 2rem; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .85rem; }
"""


def layout(title: str, body: str, root: str, *, feed: str | None = None, as_of: str | None = None,
           sections: bool = True) -> str:
    """Return a whole page; `root` is the relative path from the page to the site's top ("" or "../").

    `sections` is False for the home page of an empty database, which has no sections to link to.
    """
    nav = (f'\n<nav><a href="{root}index.html#countries">Countries</a><a href="{root}index.html#partners">Partners</a>'
           f'<a href="{root}index.html#latest">Latest</a></nav>' if sections else "")
    alternate = (f'\n<link rel="alternate" type="application/atom+xml" title="{html_text(title)}" '
                 f'href="{html_text(feed)}">' if feed else "")
    updated = f"Data as of {html_text(as_of[:10])}. " if as_of else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="dealwatch {html_text(__version__)}">
<title>{html_text(title)} · dealwatch tracker</title>{alternate}
<style>{STYLE}</style>
</head>
<body>
<header class="site"><a class="brand" href="{root}index.html">dealwatch tracker</a>{nav}</header>
<main>
{body}
</main>
<footer class="site"><p>{updated}Every step is sourced to a sentence and a link, found in the news by
dealwatch {html_text(__version__)}, and may be wrong: check the articles.
Country outlines: Natural Earth (public domain).</p></footer>
</body>
</html>
"""


# --- paths ---------------------------------------------------------------------------------------

def country_file(country: Country | str) -> str:
    """Return a country page's path from the site's top."""
    code = country if isinstance(country, str) else country.code
    return f"country/{file_stem(code)}.html"


def partner_file(partner: Partner) -> str:
    """Return a partner page's path from the site's top."""
    return f"partner/{partner.slug}.html"


def deal_file(deal: Deal) -> str:
    """Return a deal page's path from the site's top."""
    return f"deal/{deal.id}.html"


def file_stem(code: str) -> str:
    """Return the file name stem of a country code: the code in lower case, letters only."""
    stem = "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())
    return stem or "unknown"


# --- pieces --------------------------------------------------------------------------------------

def stage_badge(stage: str) -> str:
    """Return a coloured label for a stage."""
    return f'<span class="stage s-{html_text(stage)}">{html_text(STAGE_LABELS.get(stage, stage))}</span>'


def legend(counts: dict[str, int] | None = None, *, map_extras: bool = False) -> str:
    """Return the stage legend (with counts when given); the map's adds sub-national-only and no-deal swatches."""
    items = [f'<li class="s-{stage}">{STAGE_LABELS[stage]}{f" ({counts[stage]})" if counts else ""}</li>'
             for stage in STAGES]
    if map_extras:
        items += ['<li class="sub">sub-national deals only</li>', '<li class="none">no deal found</li>']
    return f'<ul class="legend">{"".join(items)}</ul>'


def step_text(step: Step) -> str:
    """Return what a step did: "new deal", or "talks → MoU"."""
    if step.previous is None:
        return "new deal"
    return f"{STAGE_LABELS.get(step.previous, step.previous)} → {STAGE_LABELS.get(step.stage, step.stage)}"


def quote(mention: Mention) -> str:
    """Return the evidence sentence as a block quote, or nothing when there is none."""
    return f"<blockquote>“{html_text(mention.evidence)}”</blockquote>" if mention.evidence.strip() else ""


def article_item(mention: Mention) -> str:
    """Return one article as a list item: its title linked (http(s) only), outlet and publication day."""
    day = f", {html_text(mention.published_at[:10])}" if mention.published_at else ""
    return f"<li>{html_link(mention.link)} <span class=\"meta\">— {html_text(mention.link.outlet)}{day}</span></li>"


def step_body(step: Step, root: str, deal: Deal, *, limit: int | None = None) -> str:
    """Return a stage step: date, stage, what changed, the sentence that justified it and its articles."""
    shown = step.mentions if limit is None else step.mentions[:limit]
    more = len(step.mentions) - len(shown)
    rest = (f'<li class="meta"><a href="{root}{deal_file(deal)}">{more} more report{"s" if more > 1 else ""}'
            "</a></li>" if more else "")
    articles = "".join(article_item(m) for m in shown)
    return (f'<p class="meta"><time datetime="{html_text(step.date)}">{html_text(step.date)}</time> '
            f"{stage_badge(step.stage)} {html_text(step_text(step))}</p>{quote(step.mentions[0])}"
            f'<ul class="articles">{articles}{rest}</ul>')


def deal_summary(deal: Deal, root: str, heading: str, extra: str = "") -> str:
    """Return a deal's block on a country page: heading (then `extra`), stage and stage history."""
    steps = "".join(f"<li>{step_body(step, root, deal, limit=ARTICLES_PER_STEP)}</li>" for step in deal.steps)
    reports = len(deal.mentions)
    return (f'<section id="deal-{deal.id}"><h3><a href="{root}{deal_file(deal)}">{html_text(heading)}</a> '
            f"{stage_badge(deal.stage)}{extra}</h3>"
            f'<p class="meta">{reports} report{"s" if reports != 1 else ""}, {html_text(deal.first_date)} to '
            f'{html_text(deal.last_date)}</p><ol class="history">{steps}</ol></section>')


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# --- pages ---------------------------------------------------------------------------------------

def home_page(tracker: Tracker) -> str:
    """Return the home page: counts, the world map and legend, the latest stage changes, every country and partner."""
    by_stage = {stage: sum(1 for deal in tracker.deals if deal.stage == stage) for stage in STAGES}
    counts = "".join(f"<li><b>{count}</b>{word if count == 1 else plural}</li>" for count, word, plural in (
        (len(tracker.countries), "country", "countries"), (len(tracker.partners), "partner", "partners"),
        (len(tracker.deals), "deal", "deals")))
    hrefs = {country.code: country_file(country) for country in tracker.countries}
    off_map = [country for country in tracker.countries if not on_map(country.code)]
    off_note = ""
    if off_map:
        names = ", ".join(f'<a href="{country_file(c)}">{html_text(c.name)}</a>' for c in off_map)
        off_note = f'<p class="note">Not on the map: {names}.</p>'
    body = [
        "<h1>National AI deals, country by country</h1>",
        '<p class="lead">Governments and state bodies making deals with AI companies, as found in the news: '
        "who deals with whom, and how far each deal got, from talks to launch.</p>",
        f'<ul class="counts">{counts}</ul>',
        f'<figure>{render_map(tracker.countries, hrefs)}<figcaption>{legend(by_stage, map_extras=True)}'
        f'<p class="note">Each country is coloured by the furthest stage of its national deals '
        f"(stalled when every one stalled); the numbers count deals at each stage.</p></figcaption></figure>{off_note}",
    ]
    if not tracker.deals:
        body.append("<p><strong>No deals yet.</strong> Run <code>dealwatch run</code>, then write the site again.</p>")
        return layout("National AI deals", "\n".join(body), "", as_of=tracker.as_of, sections=False)
    changes = []
    for step, deal in tracker.steps()[:LATEST_STEPS]:
        changes.append(f'<li><p><a href="{deal_file(deal)}"><strong>{html_text(deal.party)} – '
                       f"{html_text(deal.partner)}</strong></a></p>{step_body(step, '', deal, limit=3)}</li>")
    body.append(f'<h2 id="latest">Latest stage changes</h2><ul class="changes">{"".join(changes)}</ul>')
    sub_only = '<span class="meta">sub-national only</span>'
    rows = "".join(
        f'<tr><td><a href="{country_file(c)}">{html_text(c.name)}</a></td><td class="n">{len(c.deals)}</td>'
        f"<td>{stage_badge(c.stage) if c.stage else sub_only}</td></tr>" for c in tracker.countries)
    body.append(f'<h2 id="countries">Countries</h2><table><thead><tr><th>country</th><th class="n">deals</th>'
                f"<th>furthest stage</th></tr></thead><tbody>{rows}</tbody></table>")
    partner_rows = "".join(
        f'<li><span class="who"><a href="{partner_file(p)}">{html_text(p.name)}</a> '
        f'<span class="meta">{_plural(len(p.deals), "deal")}</span></span>'
        f"{_stage_pair(furthest(d.stage for d in p.deals) or 'talks')}</li>" for p in tracker.partners)
    body.append(f'<h2 id="partners">Partners</h2><p class="note">Each partner\'s furthest stage with any state.</p>'
                f'<ul class="bars">{partner_rows}</ul>')
    return layout("National AI deals", "\n".join(body), "", as_of=tracker.as_of)


def country_page(country: Country, partners: dict[str, Partner], as_of: str | None) -> str:
    """Return a country's page: its timeline, then each deal's stage history, sub-national deals apart."""
    rows = ([(deal.partner, deal) for deal in country.national]
            + [(f"{deal.body} · {deal.partner}", deal) for deal in country.subnational])
    stage = (f"furthest national stage {stage_badge(country.stage)}" if country.stage
             else "sub-national deals only")
    body = [f"<h1>{html_text(country.name)}</h1>",
            f'<p class="lead">{_plural(len(country.deals), "deal")} with '
            f'{_plural(len({d.partner for d in country.deals}), "partner")}; {stage}. '
            f'<a href="{file_stem(country.code)}.atom">Subscribe (Atom)</a></p>',
            "<h2>Timeline</h2>",
            f"<figure>{render_timeline(rows, _mark_href, f'Timeline of the AI deals of {country.name}')}"
            f"<figcaption>{legend()}</figcaption></figure>"]
    if country.national:
        body.append("<h2>Deals</h2>")
        body += [deal_summary(deal, "../", deal.partner, f' <small><a href="../{partner_file(partners[deal.partner])}">'
                              "all its deals</a></small>") for deal in country.national]
    if country.subnational:
        body.append("<h2>Sub-national governments</h2>")
        body += [deal_summary(deal, "../", f"{deal.body} – {deal.partner}") for deal in country.subnational]
    return layout(country.name, "\n".join(body), "../", feed=f"{file_stem(country.code)}.atom", as_of=as_of)


def partner_page(partner: Partner, as_of: str | None) -> str:
    """Return a partner's page: every state it deals with and how far each deal got."""
    items = "".join(
        f'<li><span class="who"><a href="../{country_file(deal.country)}">{html_text(deal.party)}</a> '
        f'<span class="meta nowrap">{html_text(deal.last_date)}</span></span>'
        f"{_stage_pair(deal.stage, _history_link(deal))}</li>" for deal in partner.deals)
    countries = len({deal.country for deal in partner.deals})
    body = (f"<h1>{html_text(partner.name)}</h1>"
            f'<p class="lead">{_plural(len(partner.deals), "deal")} in {_plural(countries, "country", "countries")}. '
            f'<a href="{partner.slug}.atom">Subscribe (Atom)</a></p>'
            f'<h2>States and how far each deal got</h2>{legend()}<ul class="bars">{items}</ul>')
    return layout(partner.name, body, "../", feed=f"{partner.slug}.atom", as_of=as_of)


def deal_page(deal: Deal, partner: Partner, as_of: str | None) -> str:
    """Return a deal's page: its stage history and every mention with its stage, date, evidence, source and story."""
    title = f"{deal.party} – {deal.partner}"
    mentions = []
    for mention in deal.mentions:
        confidence = f" · confidence {mention.confidence:.2f}" if mention.confidence is not None else ""
        story = ""
        if mention.story_id is not None:
            others = mention.story_size - 1
            also = f", with {_plural(others, 'other article')}" if others > 0 else ""
            story = f'<p class="meta">Story: {html_text(mention.story_title)}{also}</p>'
        mentions.append(
            f'<li id="m{mention.id}"><p class="meta"><time datetime="{html_text(mention.date)}">'
            f"{html_text(mention.date)}</time> {stage_badge(mention.stage)}{confidence}</p>{quote(mention)}"
            f'<ul class="articles">{article_item(mention)}</ul>{story}</li>')
    steps = "".join(f"<li>{step_body(step, '../', deal)}</li>" for step in deal.steps)
    body = (f"<h1>{html_text(title)}</h1>"
            f'<p class="lead">{stage_badge(deal.stage)} · {_plural(len(deal.mentions), "report")}, '
            f"{html_text(deal.first_date)} to {html_text(deal.last_date)} · "
            f'<a href="../{country_file(deal.country)}">{html_text(deal.party)}</a> · '
            f'<a href="../{partner_file(partner)}">{html_text(deal.partner)}</a></p>'
            f"<figure>{render_timeline([(deal.partner, deal)], _mark_href, f'Timeline of {title}')}</figure>"
            f'<h2>Stage history</h2><ol class="history">{steps}</ol>'
            f'<h2>Every mention</h2><ol class="mentions">{"".join(mentions)}</ol>')
    return layout(title, body, "../", as_of=as_of)


def _mark_href(deal: Deal, mention_id: int) -> str:
    return f"../{deal_file(deal)}#m{mention_id}"


def _history_link(deal: Deal) -> str:
    return f'<a href="../{deal_file(deal)}">history</a>'


def _stage_pair(stage: str, after: str = "") -> str:
    return f'<span class="pair">{stage_bar(stage)}{stage_badge(stage)}{after}</span>'
