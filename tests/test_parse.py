"""Tests for pipeline.parse: feeds, listing pages, sitemaps and GDELT answers, from bytes only."""

from __future__ import annotations

import dataclasses
import gzip
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import parse
from pipeline.parse import (
    ParsedSource,
    gdelt_query_url,
    html_to_text,
    language_code,
    parse_feed,
    parse_gdelt,
    parse_listing,
    parse_sitemap,
    parse_source,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FEED_CASES = sorted((FIXTURES / "feeds").glob("*.expected.json"))
LISTING_CASES = sorted((FIXTURES / "listings").glob("*.expected.json"))


def _body_of(expected_path: Path) -> bytes:
    """Return the bytes of the fixture that sits beside NAME.expected.json (NAME.<any extension>)."""
    stem = expected_path.name.removesuffix(".expected.json")
    bodies = [p for p in expected_path.parent.glob(f"{stem}.*") if not p.name.endswith(".expected.json")]
    assert len(bodies) == 1, f"expected one fixture body for {stem}, found {bodies}"
    return bodies[0].read_bytes()


def _check(result: ParsedSource, expected: dict[str, Any]) -> None:
    """Assert a parse result matches a golden file: every listed entry field, and the outcome fields."""
    got = [dataclasses.asdict(entry) for entry in result.entries]
    assert len(got) == len(expected["entries"]), [e["url"] for e in got]
    for entry, want in zip(got, expected["entries"]):
        assert {key: entry[key] for key in want} == want
    if expected["error"] is None:
        assert result.error is None
    else:
        assert result.error == expected["error"]
        assert result.entries == []
    if expected["warning"] is None:
        assert result.warning is None
    else:
        assert result.warning is not None and expected["warning"] in result.warning
    assert result.dropped == expected["dropped"]
    assert result.child_sitemaps == expected.get("child_sitemaps", [])


@pytest.mark.parametrize("case", FEED_CASES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_feed_fixture(case: Path) -> None:
    """Each self-describing fixture in fixtures/feeds parses to its golden result through parse_source."""
    expected = json.loads(case.read_text(encoding="utf-8"))
    result = parse_source(
        expected.get("kind", "feed"),
        _body_of(case),
        expected.get("url", "https://feed.example/feed.xml"),
        expected.get("content_type", "application/rss+xml"),
        {},
    )
    _check(result, expected)


@pytest.mark.parametrize("case", LISTING_CASES, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_listing_fixture(case: Path) -> None:
    """Each listing page in fixtures/listings yields the links its selector picks."""
    expected = json.loads(case.read_text(encoding="utf-8"))
    result = parse_source(
        "html", _body_of(case), expected["url"], "text/html", {"link_selector": expected["selector"]}
    )
    _check(result, expected)


# --- hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["billion-laughs.xml", "quadratic-blowup.xml"])
def test_entity_bombs_are_refused_quickly(name: str) -> None:
    """An entity-expansion bomb comes back as a refusal within a blink, not a hang or a memory blow-up."""
    body = (FIXTURES / "feeds" / name).read_bytes()
    started = time.perf_counter()
    result = parse_feed(body, "https://bomb.example/feed")
    assert time.perf_counter() - started < 1.0
    assert result.entries == [] and result.error is not None and result.error.startswith("refused:")


def _laughs(prefix: str) -> bytes:
    """Return a billion-laughs feed whose entity chain starts with the given first declaration."""
    chain = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 9))
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{prefix}{chain}]>'
        '<rss version="2.0"><channel><item><title>&l8;</title><link>https://b.example/1</link></item>'
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        _laughs('<!ENTITY l0 "<b>lol</b>">'),  # markup in the seed entity: expat alone took ~10 s
        _laughs('<!ENTITY l0 "lol">'),  # all declarations on one line, which feedparser's regex misses
        _laughs('<!ENTITY l0 "lol">').replace(b"</channel></rss>", b"<oops></channel>"),  # loose-parser path
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "&#38;b;"><!ENTITY b "x">]><r>&a;</r>'.encode(),
        _laughs('<!ENTITY l0 "lol">').decode().encode("utf-16"),
    ],
    ids=["markup-seed", "one-line", "malformed", "char-ref-ampersand", "utf-16"],
)
def test_entity_bomb_variants_are_refused(body: bytes) -> None:
    """Bomb variants that dodge a naive check are still refused before any parser expands them."""
    result = parse_feed(body, "https://bomb.example/feed")
    assert result.error is not None and "entit" in result.error and result.entries == []


def _doctype_feed(subset: str, title: str) -> bytes:
    """Return a one-item RSS feed with the given DOCTYPE internal subset and item title."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{subset}\n]>\n<rss version="2.0"><channel><item>'
        f"<title>{title}</title><link>https://b.example/1</link></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # XML keeps the first declaration; a small redeclaration must not hide the big one.
        (_doctype_feed(f'<!ENTITY a "{"a" * 5000}"><!ENTITY a "b">', "&a;" * 400), "would expand to 2,000,000"),
        # feedparser's loose parser expands "&a" with no ";" as well.
        (_doctype_feed(f'<!ENTITY a "{"a" * 5000}">', "&a " * 400 + "<oops>"), "would expand to 2,000,000"),
        (_doctype_feed('<!ENTITY a "x">' * 300, "&a;"), "300 entity declarations"),
        (_doctype_feed(f'<!ENTITY a "{"a" * 70000}">', "&a;"), "unterminated or oversized value"),
    ],
    ids=["redeclared", "no-semicolon", "too-many", "oversized"],
)
def test_entity_budget_cannot_be_dodged(body: bytes, reason: str) -> None:
    """Tricks that would hide a large expansion from the entity budget are refused too."""
    result = parse_feed(body, "https://bomb.example/feed")
    assert result.error is not None and reason in result.error


def test_entity_guard_is_linear_on_adversarial_input() -> None:
    """Hundreds of unterminated declarations in a 5 MB body are refused fast, not scanned quadratically."""
    body = ('<!DOCTYPE rss [' + '<!ENTITY a "' * 250).encode() + b"x" * 5_000_000
    started = time.perf_counter()
    result = parse_feed(body, "https://bomb.example/feed")
    assert time.perf_counter() - started < 2.0
    assert result.error is not None and result.error.startswith("refused:")


def test_sitemap_entity_bomb_is_refused() -> None:
    """A sitemap carrying a billion-laughs DOCTYPE is refused like a feed, not salvaged."""
    body = _laughs('<!ENTITY l0 "lol">').replace(b"<rss", b"<urlset").replace(b"</rss>", b"</urlset>")
    result = parse_sitemap(body, "https://bomb.example/sitemap.xml")
    assert result.error is not None and result.error.startswith("refused:")


def test_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A gzip body that inflates past the cap is an error, not a memory blow-up."""
    monkeypatch.setattr(parse, "MAX_INFLATED_BYTES", 100_000)
    result = parse_feed(gzip.compress(b" " * 1_000_000), "https://gz.example/feed")
    assert result.error == "gzip body inflates beyond 100,000 bytes" and result.entries == []


def test_truncated_gzip_is_salvaged_with_a_warning() -> None:
    """A gzip body cut short still yields what it holds, with a warning."""
    feed = (FIXTURES / "feeds" / "rss20.xml").read_bytes()
    packed = gzip.compress(feed, mtime=0)
    result = parse_feed(packed[: len(packed) - 12], "https://news.example/feed.xml")
    assert [entry.title for entry in result.entries][:1] == ["UAE & OpenAI sign Stargate deal"]
    assert result.warning is not None and "gzip body is truncated" in result.warning


def test_corrupt_gzip_is_an_error() -> None:
    """Bytes that start like gzip but are not: a one-line error."""
    result = parse_feed(b"\x1f\x8b\x08\x00garbage-garbage-garbage", "https://gz.example/feed")
    assert result.error is not None and result.error.startswith("corrupt gzip body")


def test_multi_member_gzip_is_read_whole() -> None:
    """A gzip file made of two members (concatenated .gz files) is inflated in full."""
    sitemap = b"<urlset><url><loc>https://m.example/1</loc></url><url><loc>https://m.example/2</loc></url></urlset>"
    body = gzip.compress(sitemap[:40]) + gzip.compress(sitemap[40:])
    result = parse_sitemap(body, "https://m.example/s.xml.gz")
    assert [entry.url for entry in result.entries] == ["https://m.example/1", "https://m.example/2"]


# --- feeds: details not covered by the fixtures ------------------------------------------------


def test_json_feed_detected_by_content_type_needs_a_version() -> None:
    """JSON that is not a JSON Feed gets a clear error rather than an empty result."""
    result = parse_feed(b'{"items": []}', "https://j.example/feed.json", "application/feed+json")
    assert result.error == "not a feed: JSON without a jsonfeed.org version"


def test_malformed_feed_error_is_one_line() -> None:
    """A broken document with no entries reports the XML error and its line."""
    body = b'<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n</rss'
    result = parse_feed(body, "https://x.example/f")
    assert result.error is not None and result.error.startswith("malformed XML: line 4:")
    assert "\n" not in result.error


def _one_item_feed(title: str) -> str:
    """Return an RSS 2.0 document with one item titled title."""
    return f'<rss version="2.0"><channel><item><title>{title}</title><link>https://c.example/1</link></item></channel></rss>'


def test_wrong_http_charset_loses_to_valid_utf8() -> None:
    """A server that labels UTF-8 as ISO-8859-1 does not turn "é" into "Ã©"."""
    body = _one_item_feed("Société Générale").encode("utf-8")
    result = parse_feed(body, "https://c.example/f", "text/xml; charset=ISO-8859-1")
    assert result.entries[0].title == "Société Générale"
    assert result.warning == "declared encoding ISO-8859-1 is wrong: decoded as utf-8"


def test_right_latin1_declaration_is_kept() -> None:
    """Bytes that really are ISO-8859-1, declared so, decode without any warning."""
    body = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + _one_item_feed("Société")).encode("latin-1")
    result = parse_feed(body, "https://c.example/f")
    assert result.entries[0].title == "Société" and result.warning is None


def test_local_feed_relative_links_become_file_urls() -> None:
    """A feed read from a local path resolves relative item links beside it (the offline demo)."""
    body = b'<rss version="2.0"><channel><item><title>t</title><link>story.html</link></item></channel></rss>'
    result = parse_feed(body, "/srv/dealwatch/seeds/feed.xml")
    assert [entry.url for entry in result.entries] == ["file:///srv/dealwatch/seeds/story.html"]


# --- text, languages, GDELT URL, dispatch ------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "paragraphs", "text"),
    [
        ("<p>One</p><p>Two</p>", True, "One\n\nTwo"),
        ("<p>One</p><p>Two</p>", False, "One Two"),
        ("a<br>b<br/>c", True, "a\nb\nc"),
        ("<div>x<!-- hidden <p>y</p> --></div>", True, "x"),
        ("<style>p{color:red}</style><p>Shown</p><script>alert(1)</script>", True, "Shown"),
        ("Tom &amp; Jerry &lt;3 &eacute;", False, "Tom & Jerry <3 é"),
        ("5 < 6 and 7 > 3", False, "5 < 6 and 7 > 3"),
        ("<p>a\n   b</p>\n\n<p>\n</p><p>c</p>", True, "a b\n\nc"),
        ("unclosed <!-- comment <b>bold</b>", False, "unclosed"),
        ("", True, ""),
    ],
)
def test_html_to_text(markup: str, paragraphs: bool, text: str) -> None:
    """HTML fragments become plain text: markup, comments and scripts gone, entities decoded."""
    assert html_to_text(markup, paragraphs=paragraphs) == text


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en-US", "en"),
        ("FR", "fr"),
        ("pt_BR", "pt"),
        ("deu", "de"),
        ("English", "en"),
        ("Chinese", "zh"),
        ("Greek", "el"),
        ("Swahili", "sw"),
        ("zz", None),
        ("Klingonese", None),
        ("", None),
        (None, None),
    ],
)
def test_language_code(value: str | None, code: str | None) -> None:
    """Language tags, ISO 639-2 codes and English names map to two-letter codes, or None."""
    assert language_code(value) == code


def test_gdelt_query_url_encodes_the_query() -> None:
    """The GDELT URL carries the query, quotes and parentheses intact, and the fixed artlist options."""
    url = gdelt_query_url('("OpenAI" OR "Mistral AI") sourcecountry:MO', timespan="24h", max_records=50)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://api.gdeltproject.org/api/v2/doc/doc"
    assert " " not in url and '"' not in url
    assert parse_qs(parts.query) == {
        "query": ['("OpenAI" OR "Mistral AI") sourcecountry:MO'],
        "mode": ["artlist"],
        "format": ["json"],
        "maxrecords": ["50"],
        "timespan": ["24h"],
        "sort": ["datedesc"],
    }


@pytest.mark.parametrize(
    "kwargs", [{"query": "  "}, {"query": "ai", "timespan": "yesterday"}, {"query": "ai", "max_records": 251}]
)
def test_gdelt_query_url_rejects_bad_arguments(kwargs: dict[str, Any]) -> None:
    """An empty query, a timespan GDELT does not know or too many records is a ValueError."""
    with pytest.raises(ValueError):
        gdelt_query_url(**kwargs)


def test_gdelt_plain_text_error_is_one_line_and_bounded() -> None:
    """A long multi-line GDELT complaint becomes one line of bounded length."""
    result = parse_gdelt(("Invalid query.\n" * 200).encode(), "https://api.gdeltproject.org/x")
    assert result.error is not None and "\n" not in result.error and len(result.error) <= 240


@pytest.mark.parametrize(
    ("kind", "options", "error"),
    [
        ("html", {}, "html source needs a link_selector option"),
        ("html", {"link_selector": "a[href"}, "bad link_selector"),
        ("rss", {}, "unknown source kind 'rss'"),
    ],
)
def test_parse_source_reports_config_problems(kind: str, options: dict[str, Any], error: str) -> None:
    """Missing or broken options and unknown kinds come back as one-line errors, not exceptions."""
    result = parse_source(kind, b"<html><a href='/x'>x</a></html>", "https://s.example/", "text/html", options)
    assert result.error is not None and result.error.startswith(error)


def test_listing_ignores_xml_warning_from_bs4() -> None:
    """An XML body given to the listing parser does not raise bs4's XMLParsedAsHTMLWarning."""
    body = b'<?xml version="1.0"?><root><a href="https://x.example/1">One</a></root>'
    result = parse_listing(body, "https://x.example/", "a")
    assert [entry.url for entry in result.entries] == ["https://x.example/1"]


# --- never raise ----------------------------------------------------------------------------

# Fragments that steer random bodies into the parsers' deeper paths (XML, JSON, gzip, BOMs, entities).
_FRAGMENTS = [
    b"<?xml version='1.0' encoding='utf-8'?>", b"<rss version='2.0'>", b"<channel>", b"<item>", b"<title>",
    b"</title>", b"<link>", b"https://h.example/a", b"</link>", b"</item>",
    b"<feed xmlns='http://www.w3.org/2005/Atom'>", b"<entry>", b"<urlset>", b"<url>", b"<loc>", b"</loc>",
    b"<!DOCTYPE r [<!ENTITY e 'x'>]>", b"&e;", b"&amp;", b"\x1f\x8b\x08", b"{",
    b'"version": "https://jsonfeed.org/version/1"', b'"articles": [', b"\xff\xfe", b"\xe9",
    b"<![CDATA[", b"]]>", b"<html>", b"\x00",
]
_XMLISH = st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map(b"".join)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=2000), _XMLISH))
def test_parsers_never_raise(body: bytes) -> None:
    """Any bytes give a ParsedSource; an error is one line and comes with no entries."""
    for result in (
        parse_feed(body, "https://h.example/feed"),
        parse_sitemap(body, "https://h.example/sitemap.xml"),
        parse_gdelt(body, "https://api.gdeltproject.org/x"),
        parse_listing(body, "https://h.example/", "a"),
    ):
        assert isinstance(result, ParsedSource)
        if result.error is not None:
            assert "\n" not in result.error and result.entries == []
        for entry in result.entries:
            assert entry.url.startswith(("http://", "https://"))
