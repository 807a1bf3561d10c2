"""Canonical URLs, clean text, UTC dates, language codes and content hashes; pure functions of one article."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.models import Article, Entry, ExtractedPage

TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ocid"}
DEFAULT_PORTS = {"http": 80, "https": 443}
WORD = re.compile(r"\w+", re.UNICODE)
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
HASH_TOKENS = 300
TEASER_WORDS = 150  # a feed entry with less body than this is only a teaser

# A few high-frequency function words per language: enough to tell the languages dealwatch reads apart
# when neither the feed nor the page declares one.
STOPWORDS = {
    "en": {"the", "and", "of", "to", "in", "is", "that", "for", "with", "on", "was", "said"},
    "fr": {"le", "la", "les", "des", "et", "du", "est", "une", "dans", "pour", "avec", "sur"},
    "es": {"el", "la", "los", "las", "del", "y", "que", "una", "por", "para", "con", "según"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "ein", "eine", "für", "auf", "den"},
    "it": {"il", "di", "che", "della", "per", "una", "con", "sono", "gli", "nel", "alla", "è"},
    "pt": {"o", "os", "da", "do", "que", "uma", "para", "com", "não", "dos", "das", "em"},
}


def canonical_url(url: str) -> str:
    """Return `url` with lower-case scheme and host, no default port, fragment or tracking parameters."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return url  # "http://./": no host to canonicalise
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def clean_text(text: str) -> str:
    """Return `text` NFC-normalised, each paragraph on one line with spaces collapsed, paragraphs split by a blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (" ".join(block.split()) for block in PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def clean_line(text: str) -> str:
    """Return `text` on one line with whitespace collapsed (titles)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def to_utc_iso(value: str | None) -> str | None:
    """Return an ISO 8601 UTC timestamp with a time (a bare date means its midnight UTC) for a date string, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:  # a bare date or a time without offset: UTC, as feeds mean it in practice
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def language_code(declared: str | None, text: str = "") -> str | None:
    """Return a two-letter language code from a declared tag ('en-US' → 'en'), else a guess from `text`."""
    if declared:
        code = re.split(r"[-_]", declared.strip().lower())[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    words = [w.lower() for w in WORD.findall(text[:3000])]
    if len(words) < 8:
        return None
    scores = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= max(3, len(words) // 25) else None


def content_hash(title: str, body: str) -> str:
    """Return a hash of an article's body words (its title too when the body is short) for exact-copy matching."""
    # Words average under six characters, so this window holds the first HASH_TOKENS words.
    tokens = WORD.findall(body[:HASH_TOKENS * 12].lower())[:HASH_TOKENS]
    if len(tokens) < 25:
        tokens = WORD.findall(title.lower()) + tokens
    return hashlib.sha1(" ".join(tokens).encode("utf-8")).hexdigest() if tokens else ""


def is_teaser(entry: Entry) -> bool:
    """Return whether a feed entry carries only a teaser, so its page is worth fetching."""
    return len(WORD.findall(entry.content or entry.summary)) < TEASER_WORDS


def make_article(entry: Entry, source: str, fetched_at: str, page: ExtractedPage | None = None) -> Article:
    """Return the normalised article for a feed entry and, when fetched, its extracted page."""
    feed_body = clean_text(entry.content or "")
    page_text = clean_text(page.text) if page else ""
    text = page_text if len(page_text) > len(feed_body) else feed_body
    summary = clean_text(entry.summary)
    if not text:
        text = summary
    url = canonical_url(entry.url)
    urls = [url]
    if page and page.canonical_url and urlsplit(page.canonical_url).scheme in ("http", "https"):
        url = canonical_url(page.canonical_url)
        urls.insert(0, url)
    title = clean_line(entry.title) or (clean_line(page.title or "") if page else "")
    published = to_utc_iso(entry.published) or (to_utc_iso(page.published) if page else None)
    hash_body = (page.body_hash_source if page and page.body_hash_source else "") or feed_body or text
    return Article(
        url=url,
        title=title,
        text=text,
        source=source,
        fetched_at=fetched_at,
        summary=summary,
        lang=language_code(entry.lang or (page.lang if page else None), text or title),
        published_at=published,
        content_hash=content_hash(title, hash_body),
        urls=list(dict.fromkeys(urls)),
    )
