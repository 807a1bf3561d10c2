"""Atom feeds of new deals and stage changes, one per country and one per partner.

An entry is one stage step of one deal. Its id depends only on the deal and the step, so the step
has the same id in its country's and its partner's feed, and a rewrite never makes it new again.
"""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

from pipeline import PROJECT_URL, __version__
from pipeline.digest import ATOM_NS, clean_text, html_link, html_text
from pipeline.site.model import STAGE_LABELS, Deal, Step
from pipeline.site.pages import deal_file, step_text

MAX_ENTRIES = 100
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "dealwatch:site")


def render_feed(title: str, page: str, deals: list[Deal]) -> str:
    """Return an Atom feed of the steps of `deals`, newest first; `page` is its HTML page, relative to the feed."""
    ET.register_namespace("", ATOM_NS)
    steps = sorted(((step, deal) for deal in deals for step in deal.steps),
                   key=lambda pair: (pair[0].date, _updated(pair[0]), pair[1].id), reverse=True)[:MAX_ENTRIES]
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", uuid.uuid5(_IDS, f"feed:{title}").urn)
    _sub(feed, "title", f"{title}: national AI deals")
    _sub(feed, "updated", max((_updated(step) for step, _ in steps), default="1970-01-01T00:00:00Z"))
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="alternate", type="text/html", href=page)
    _sub(ET.SubElement(feed, f"{{{ATOM_NS}}}author"), "name", "dealwatch")
    _sub(feed, "generator", "dealwatch", uri=PROJECT_URL, version=__version__)
    for step, deal in steps:
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        key = f"{deal.country}|{deal.body or ''}|{deal.partner}|{step.stage}|{step.date}"
        _sub(entry, "id", uuid.uuid5(_IDS, key).urn)
        _sub(entry, "title", f"{deal.party} – {deal.partner}: {step_text(step)}")
        _sub(entry, "published", f"{step.date}T00:00:00Z")
        _sub(entry, "updated", _updated(step))
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", type="text/html", href=f"../{deal_file(deal)}")
        _sub(entry, "summary", clean_text(step.mentions[0].evidence) or STAGE_LABELS.get(step.stage, step.stage))
        _sub(entry, "content", _content(step), type="html")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _content(step: Step) -> str:
    sentence = step.mentions[0].evidence
    quote = f"<blockquote>“{html_text(sentence)}”</blockquote>" if sentence.strip() else ""
    links = "".join(f"<li>{html_link(m.link)} ({html_text(m.link.outlet)})</li>" for m in step.mentions)
    return f"<p>{html_text(step.date)}: {html_text(step_text(step))}</p>{quote}<ul>{links}</ul>"


def _updated(step: Step) -> str:
    # When dealwatch first stored the step's report: fixed once written, so readers do not see it anew.
    return step.mentions[0].seen_at or f"{step.date}T00:00:00Z"


def _sub(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
    element.text = clean_text(text) if tag != "content" else text
    return element
