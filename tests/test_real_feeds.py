"""parse_feed over the 138 real feed files in ../shared/eval/real/feeds (written by others, not copied here).

MANIFEST.tsv records what feedparser 6.0.14 alone returned for each raw file; these tests hold
parse_feed to at least that, and to the one-line-error contract on the rest.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.parse import ParsedSource, parse_feed

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "real" / "feeds"
FLOOR_FILES_WITH_ENTRIES = 76  # measured 76 of 138; raising the floor is fine, lowering it is a regression
FLOOR_ENTRIES = 873
# feedparser "found" these entries, but none has an http(s) link: they must be dropped, not kept.
OBSERVED = "observed_feedparser_6.0.14"  # MANIFEST.tsv column: what feedparser alone returned
NO_HTTP_LINK = {"rss-parser/missing-fields.atom": "its only entry has no link, just a tag: id"}

pytestmark = pytest.mark.realdata


@dataclass
class Outcome:
    """One real file, what feedparser alone found in it, and what parse_feed made of it."""

    name: str
    feedparser_entries: int
    feedparser_no_link: int
    result: ParsedSource


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    """Return parse_feed's result for every file listed in MANIFEST.tsv (skip when ../shared is absent)."""
    manifest = FEEDS / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip("../shared/eval/real/feeds is not beside this checkout")
    found = []
    started = time.perf_counter()
    with manifest.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            observed = dict(part.split("=", 1) for part in row[OBSERVED].split() if "=" in part)
            result = parse_feed((FEEDS / row["file"]).read_bytes(), f"https://feeds.example/{row['file']}")
            found.append(Outcome(row["file"], int(observed["entries"]), int(observed["no_link"]), result))
    assert time.perf_counter() - started < 30
    return found


def test_every_file_gives_entries_or_a_one_line_error(outcomes: list[Outcome]) -> None:
    """No file raises; an error is one line and comes alone; the rest are entries or valid empty feeds."""
    assert len(outcomes) == 138
    for outcome in outcomes:
        result = outcome.result
        if result.error is not None:
            assert result.entries == [], outcome.name
            assert "\n" not in result.error and 0 < len(result.error) <= 240, outcome.name
        assert result.warning is None or "\n" not in result.warning, outcome.name


def test_feeds_feedparser_reads_still_yield_entries(outcomes: list[Outcome]) -> None:
    """Where feedparser alone found entries with links, parse_feed yields entries too."""
    missing = [
        o.name
        for o in outcomes
        if o.feedparser_entries > o.feedparser_no_link and o.name not in NO_HTTP_LINK and not o.result.entries
    ]
    assert missing == []


def test_linkless_entries_are_dropped_and_said_so(outcomes: list[Outcome]) -> None:
    """Feeds whose every entry lacks a link end in an error that says so, with the drops counted."""
    linkless = [
        o
        for o in outcomes
        if o.feedparser_entries and (o.feedparser_entries == o.feedparser_no_link or o.name in NO_HTTP_LINK)
    ]
    assert linkless
    for outcome in linkless:
        result = outcome.result
        if result.entries:  # an http(s) GUID stood in for the missing link
            assert all(entry.url.startswith(("http://", "https://")) for entry in result.entries)
            continue
        assert result.error is not None and result.error.startswith("no usable entries"), outcome.name
        assert result.dropped.get("no link", 0) >= 1, outcome.name


def test_counts_hold_their_floor(outcomes: list[Outcome], capsys: pytest.CaptureFixture[str]) -> None:
    """At least as many files yield entries, and as many entries, as when measured; print the tally."""
    with_entries = [o for o in outcomes if o.result.entries]
    errors = [o for o in outcomes if o.result.error]
    empty = len(outcomes) - len(with_entries) - len(errors)
    total = sum(len(o.result.entries) for o in outcomes)
    with capsys.disabled():
        print(
            f"\nreal feeds: {len(with_entries)} with entries ({total} entries), "
            f"{len(errors)} errors, {empty} valid but empty"
        )
    assert len(with_entries) >= FLOOR_FILES_WITH_ENTRIES
    assert total >= FLOOR_ENTRIES


@pytest.mark.parametrize(
    ("name", "count", "field", "value"),
    [
        ("miniflux/golem_rss2_iso-8859-1.xml", 40, "summary", "Viele Spieler wünschen sich eine PC-Version"),
        ("miniflux/ibash_rss2_windows-1251.xml", 50, "title", "Цитата #17703"),
        ("miniflux/lecerclepsy_rss2_undeclared_iso-8859-1.xml", 9, "title", "Perturbateurs endocriniens : quels effets"),
        ("node-feedparser/compressed_gzip.xml", 10, "title", "В Бузулуке главные стройплощадки"),
        ("node-feedparser/invalid-characters-gzipped.xml", 25, "title", "NSOperation"),
        ("node-feedparser/talkingpointsmemo_empty_base.atom", 20, "url", "https://feeds.example/livewire/"),
        ("feed-rs/elastic_jsonfeed_1.1.json", 3, "published", "2019-05-31T19:17:58Z"),
        ("feedjira/TechCrunch.xml", 20, "content", "Angie’s List, which offers consumers a way"),
        ("miniflux/bbc_urdu_rss2_utf8.xml", 26, "lang", "ur"),
        ("rss-parser/guardian_us.rss", 55, "published", "2018-01-31T07:26:05Z"),
    ],
)
def test_real_feed_details(outcomes: list[Outcome], name: str, count: int, field: str, value: str) -> None:
    """Spot checks a reader would notice: encodings decoded, gzip inflated, links absolute, dates read."""
    outcome = next(o for o in outcomes if o.name == name)
    assert len(outcome.result.entries) == count
    assert str(getattr(outcome.result.entries[0], field)).startswith(value)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("node-feedparser/notafeed.html", "not a feed: got an HTML page"),
        ("rss-parser/unrecognized.rss", "not a feed: got an HTML page"),
        ("feed-rs/reuters_rss2_invalid.xml", "malformed XML: line 19: no element found"),
        ("miniflux/iso88591_utf8_mismatch.xml", "not a feed: unrecognised XML document <note>"),
    ],
)
def test_real_feed_errors(outcomes: list[Outcome], name: str, error: str) -> None:
    """Unusable real files get the specific one-line reason."""
    outcome = next(o for o in outcomes if o.name == name)
    assert outcome.result.error == error


def test_leading_blank_lines_no_longer_count_as_malformed(outcomes: list[Outcome]) -> None:
    """Feeds with whitespace before the XML declaration (bozo for feedparser) parse without a warning."""
    names = ("feedjira/TechCrunch.xml", "feedjira/TypePadNews.xml", "feed-rs/scattered_atom_leading_whitespace.xml")
    for name in names:
        outcome = next(o for o in outcomes if o.name == name)
        assert outcome.result.entries and outcome.result.warning is None, name
