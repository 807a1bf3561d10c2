"""Normalisation: canonical URLs, dates, text, language and content hashes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.models import Entry, ExtractedPage
from pipeline.normalise import (canonical_url, clean_text, content_hash, is_teaser, language_code, make_article,
                                to_utc_iso)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example.COM:443/a/b?utm_source=rss&id=3&fbclid=x#top", "https://news.example.com/a/b?id=3"),
        ("http://news.example:80", "http://news.example/"),
        ("http://news.example:8080/x?gclid=1", "http://news.example:8080/x"),
        ("https://news.example/x?b=2&a=1", "https://news.example/x?b=2&a=1"),
        ("urn:dealwatch:corpus:1", "urn:dealwatch:corpus:1"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@settings(deadline=None, max_examples=200)
@given(st.from_regex(r"https?://[a-zA-Z0-9.]{1,20}(:[0-9]{1,5})?(/[a-z0-9_%.~-]{0,10}){0,3}(\?[a-z_=&0-9]{0,20})?(#.*)?",
                     fullmatch=True))
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("Thu, 25 Sep 2025 14:00:00 +0100", "2025-09-25T13:00:00Z"),
        ("2025-09-26T10:15:00+01:00", "2025-09-26T09:15:00Z"),
        ("2025-09-26T10:15:00Z", "2025-09-26T10:15:00Z"),
        ("2025-09-26", "2025-09-26T00:00:00Z"),
        ("not a date", None),
        ("", None),
    ],
)
def test_dates_become_utc_iso(value: str, iso: str | None) -> None:
    assert to_utc_iso(value) == iso


def test_clean_text_keeps_paragraphs_and_collapses_spaces() -> None:
    assert clean_text("  One\u00a0 two \r\n\r\n\r\n three\tfour  ") == "One two\n\nthree four"


@settings(deadline=None)
@given(st.text())
def test_clean_text_is_idempotent(text: str) -> None:
    assert clean_text(clean_text(text)) == clean_text(text)


def test_language_from_declaration_or_text() -> None:
    assert language_code("en-US") == "en"
    assert language_code(None, "Le gouvernement et la société ont signé un accord pour les données du pays") == "fr"
    assert language_code(None, "El gobierno y la empresa firmaron un acuerdo para los datos del país según") == "es"
    assert language_code(None, "too short") is None


def test_content_hash_ignores_case_punctuation_and_chrome_after_the_body() -> None:
    body = " ".join(f"word{i}" for i in range(400))
    assert content_hash("A", body) == content_hash("B", body.upper().replace(" ", ", "))
    assert content_hash("A", body) == content_hash("A", body + " Comments are closed.")
    assert content_hash("A", "short body") != content_hash("B", "short body")


def test_teaser_detection() -> None:
    assert is_teaser(Entry(url="https://x.example/a", summary="Two lines of teaser."))
    assert not is_teaser(Entry(url="https://x.example/a", content=" ".join(["word"] * 300)))


def test_make_article_prefers_page_text_and_canonical_but_keeps_feed_title_and_date() -> None:
    entry = Entry(url="https://x.example/a?utm_source=rss", title=" Feed  title ", summary="Teaser.",
                  published="Fri, 26 Sep 2025 09:15:00 GMT", lang=None)
    page = ExtractedPage(title=None, text="Body paragraph one.\n\nBody paragraph two.", published=None,
                         lang="en", canonical_url="https://x.example/canonical")
    article = make_article(entry, "src", "2025-09-26T10:00:00Z", page)
    assert article.url == "https://x.example/canonical"
    assert "https://x.example/a" in article.urls
    assert (article.title, article.published_at, article.lang) == ("Feed title", "2025-09-26T09:15:00Z", "en")
    assert article.text.startswith("Body paragraph one.") and article.summary == "Teaser."


def test_a_url_without_a_host_is_left_as_it_is() -> None:
    assert canonical_url("http://.//") == "http://.//"
