"""Main text, title, date, language and canonical URL from one article page (pure: no I/O).

trafilatura finds the main text and most metadata; this module adds what it lacks for the
pipeline: robust decoding of raw (possibly gzip-compressed) bytes, publication times kept to
the second and converted to UTC, the canonical URL made absolute, and a chrome-free copy of the
article body element for exact-duplicate hashing.
"""

from __future__ import annotations

import codecs
import copy
import json
import logging
import re
import unicodedata
import zlib
from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import pycountry
import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipeline.models import ExtractedPage

LOGGER = logging.getLogger(__name__)

# Larger pages are either not articles or decompression bombs; trafilatura refuses them too.
MAX_HTML_BYTES = 20_000_000
# Measured with bench/extract.py on the 69 real pages (benchmark F1): balanced 0.958, favor_precision
# 0.954, favor_recall 0.955, include_tables=False 0.948. fast=True also gave 0.958 about 25% quicker,
# but it skips trafilatura's fallback extractors, which rescue pages its main heuristics miss.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "favor_precision": False,
    "favor_recall": False,
}
# A body element shorter than this is a teaser card or a header, not the article.
MIN_BODY_CHARS = 200

_CHARSET_RE = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CHARSET_SCAN_BYTES = 65_536
# WHATWG maps these labels to supersets; browsers decode them that way and so do publishers' CMSs.
# A UTF-16 label in a <meta> of an ASCII-readable page cannot be true; the HTML spec reads it as UTF-8.
_CHARSET_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "iso8859_1": "cp1252", "ascii": "cp1252",
                      "iso8859_9": "cp1254", "tis_620": "cp874", "euc_kr": "cp949", "shift_jis": "cp932",
                      "utf_16": "utf_8", "utf_16_le": "utf_8", "utf_16_be": "utf_8"}
_WEB_CHARSET_RANK = {name: rank for rank, name in enumerate(
    ("utf_8", "cp1252", "cp1251", "cp932", "shift_jis", "euc_jp", "gb18030", "euc_kr", "cp949", "cp1250",
     "cp1256", "cp1254", "cp1253", "cp874", "big5", "koi8_r", "cp1255", "cp1257", "cp1258"))}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Characters libxml2 rejects or truncates on (NUL, C0 controls, lone surrogates, non-characters).
_INVALID_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WS_RE = re.compile(r"\s+")
_TITLE_SEPARATOR_RE = re.compile(r"(\s+[-|–—·»:]\s+|\s*[|：]\s*|\s*--+\s*)")

_PUBLISHED_META = ("article:published_time", "og:article:published_time", "article:published",
                   "datepublished", "og:published_time", "publishdate", "publish-date", "publish_date",
                   "pubdate", "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
                   "dc.date", "date")
_LANG_META = ("content-language", "language", "dc.language", "og:locale")
_JSONLD_MAX_NODES = 5_000

_BODY_XPATHS = (
    # Most specific first: the schema.org body, then common CMS body containers, then <article>.
    etree.XPath("//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' articleBody ')]"),
    etree.XPath("//*[" + " or ".join(
        f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
        for name in ("entry-content", "article-body", "article__body", "articleBody", "article-content",
                     "story-body", "post-content", "td-post-content", "body-text")) + "]"),
    etree.XPath("//article"),
)
# Not body text: embeds, widgets, chrome, and the headline (a syndicated copy may be retitled).
_NON_BODY_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "form", "button", "input",
                  "select", "textarea", "nav", "aside", "footer", "header", "figure", "object", "embed",
                  "video", "audio", "canvas", "h1")
# Not "paywall": publishers wrap the rest of the body in it (Barron's, Dainik Bhaskar in the real pages).
_CHROME_ATTR_RE = re.compile(
    r"share|social|related|comment|newsletter|subscribe|promo|advert|sponsor|\bads?\b|cookie|consent"
    r"|recommend|popular|byline|author|\btags?\b|breadcrumb|toolbar",
    re.IGNORECASE)
_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul"})


def extract_page(html: bytes, url: str | None = None) -> ExtractedPage:
    """Return the title, main text, publication date, language and canonical URL of an article page."""
    text = decode_html(html)
    tree = load_html(text) if text.strip() else None
    if tree is None:
        return ExtractedPage(title=None, text="", published=None, lang=None, canonical_url=None)
    document = _run_trafilatura(tree, url)
    main_text = _paragraphs(document.text if document is not None else "")
    return ExtractedPage(
        title=clean_title(tree, (document.title if document is not None else None) or _fallback_title(tree)),
        text=main_text,
        published=find_published(tree) or _date_only(document.date if document is not None else None),
        lang=find_lang(tree),
        canonical_url=find_canonical_url(tree, url),
        body_hash_source=find_body_text(tree) or main_text,
    )


def decode_html(data: bytes) -> str:
    """Return page bytes (gzip-compressed or not) as text, distrusting a declared charset that does not fit."""
    data = _gunzip(data) if data[:2] == b"\x1f\x8b" else data[:MAX_HTML_BYTES]
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _clean_chars(data.decode(encoding, errors="replace"))
    declared = _declared_charset(data)
    for decoder in (_decode_declared, _decode_utf8, _decode_detected):
        text = decoder(data, declared)
        if text is not None:
            return _clean_chars(text)
    return _clean_chars(data.decode("utf-8", errors="replace"))


def _gunzip(data: bytes) -> bytes:
    """Return gzip members decompressed up to the size cap; a truncated or corrupt stream yields what it held."""
    out = bytearray()
    while data[:2] == b"\x1f\x8b" and len(out) < MAX_HTML_BYTES:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, MAX_HTML_BYTES - len(out))
        except zlib.error as err:
            LOGGER.info("corrupt gzip body after %d bytes: %s", len(out), err)
            break
        if not inflater.eof:
            break
        data = inflater.unused_data
    return bytes(out)


def _declared_charset(data: bytes) -> str | None:
    """Return the Python codec name of the charset the page declares, or None."""
    head = data[:_CHARSET_SCAN_BYTES]
    match = _XML_ENCODING_RE.match(head) or _CHARSET_RE.search(head)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name.replace("-", "_")
    except LookupError:
        return None
    return _CHARSET_SUPERSETS.get(name, name)


def _decode_declared(data: bytes, declared: str | None) -> str | None:
    """Return the bytes decoded strictly with the declared charset, or None when that does not fit."""
    if declared is None or declared == "utf_8":
        return None
    if _is_multibyte_utf8(data):
        # Valid multi-byte UTF-8 is almost never legitimate text in another charset: the declaration lies
        # (a CMS template saying GB2312 or ISO-8859-1 over UTF-8 content) and decoding by it gives mojibake.
        return None
    try:
        text = data.decode(declared)
    except (UnicodeDecodeError, LookupError):
        return None
    return None if "\ufffd" in text else text


def _decode_utf8(data: bytes, declared: str | None) -> str | None:
    """Return the bytes as UTF-8 when they are, or mostly are, valid UTF-8; else None."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # A UTF-8 page with a few stray bytes is still UTF-8: a detector's single-byte guess would garble
    # every accented letter. A legacy page mislabelled UTF-8 has almost no valid multi-byte sequences.
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for char in text if char > "\x7f") - text.count("\ufffd")
    return text if valid > invalid else None


def _decode_detected(data: bytes, declared: str | None) -> str | None:
    """Return the bytes decoded with charset-normalizer's best guess, or None when it has none."""
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        return None
    # Latin-script text often scores the same in several code pages (cp1250, cp1252, cp1257...);
    # the ranking then is arbitrary, so break ties by how common each charset is on the web.
    ties = [m for m in results if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    chosen = min(ties, key=lambda m: _WEB_CHARSET_RANK.get(m.encoding, len(_WEB_CHARSET_RANK)))
    return str(chosen)


def _is_multibyte_utf8(data: bytes) -> bool:
    """Return whether the bytes are valid UTF-8 holding at least one non-ASCII character."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _clean_chars(text: str) -> str:
    """Return text without the control characters libxml2 chokes on."""
    return _INVALID_CHARS_RE.sub("", text)


def _run_trafilatura(tree: HtmlElement, url: str | None) -> Any:
    """Return trafilatura's Document for the tree (it works on its own copy), or None when it finds nothing."""
    try:
        return trafilatura.bare_extraction(tree, url=url, with_metadata=True, **TRAFILATURA_OPTIONS)
    except Exception:  # noqa: BLE001 - third-party boundary: one odd page must not stop a run
        LOGGER.warning("trafilatura failed on %s", url or "a page", exc_info=True)
        return None


def _paragraphs(text: str | None) -> str:
    """Return text as paragraphs (one per non-empty line) separated by blank lines."""
    lines = (_WS_RE.sub(" ", line).strip() for line in (text or "").splitlines())
    return "\n\n".join(line for line in lines if line)


def clean_title(tree: HtmlElement, title: str | None) -> str | None:
    """Return the title without a trailing site name or section ('Title - Site', 'Title | Section | Site')."""
    if not title:
        return None
    title = _WS_RE.sub(" ", title).strip()
    site_names = {_squash(name) for name in _meta_values(tree, ("og:site_name", "application-name"))}
    headings = {_squash(h.text_content()) for h in tree.iter("h1")}
    while True:
        parts = _TITLE_SEPARATOR_RE.split(title)
        if len(parts) < 3:
            return title
        # Strip only what is known to be chrome: the site's own name, or whatever surrounds a part that
        # the page repeats as its <h1>; a colon inside a real headline ('Macron: ...') stays.
        head, tail = "".join(parts[:-2]).strip(), parts[-1].strip()
        first, rest = parts[0].strip(), "".join(parts[2:]).strip()
        if head and (_squash(tail) in site_names or _squash(head) in headings):
            title = head
        elif rest and (_squash(first) in site_names or _squash(rest) in headings):
            title = rest
        else:
            return title


def _squash(text: str) -> str:
    """Return text without whitespace and case, for comparing titles across markup."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _fallback_title(tree: HtmlElement) -> str | None:
    """Return og:title or <title> when trafilatura found no document at all."""
    for value in (_meta_values(tree, ("og:title",)), tree.xpath("//title/text()")):
        for candidate in value:
            title = _WS_RE.sub(" ", str(candidate)).strip()
            if title:
                return title
    return None


def find_published(tree: HtmlElement) -> str | None:
    """Return the publication date from article:published_time, JSON-LD or microdata, in ISO 8601 (UTC)."""
    candidates = [*_meta_values(tree, _PUBLISHED_META[:1]), *_jsonld_values(tree, "datePublished"),
                  *tree.xpath("//*[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished']/@content"),
                  *_meta_values(tree, _PUBLISHED_META[1:])]
    for candidate in candidates:
        published = normalise_date(str(candidate))
        if published:
            return published
    return None


def normalise_date(value: str) -> str | None:
    """Return an ISO 8601 date: UTC 'YYYY-MM-DDTHH:MM:SSZ' when zoned, as given when naive, or 'YYYY-MM-DD'."""
    value = value.strip()
    if not value or not value[:4].isdigit():
        return _parse_rfc2822(value)
    has_time = ":" in value or "T" in value[8:]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if not 1990 <= parsed.year <= 2100:
        return None
    if not has_time:
        return parsed.date().isoformat()
    if parsed.tzinfo is None:
        return parsed.strftime("%Y-%m-%dT%H:%M:%S")
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_rfc2822(value: str) -> str | None:
    """Return an RFC 2822 date ('Fri, 26 Sep 2025 10:15:00 +0100') as UTC ISO 8601, or None."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return parsed.strftime("%Y-%m-%dT%H:%M:%S")
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_only(value: str | None) -> str | None:
    """Return trafilatura's (htmldate's) 'YYYY-MM-DD' when it is a real date, else None."""
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def find_lang(tree: HtmlElement) -> str | None:
    """Return the page's two-letter language code from <html lang>, meta tags or JSON-LD, else None."""
    root = tree.getroottree().getroot()
    candidates = [root.get("lang") or "", root.get("xml:lang") or "",
                  *_meta_values(tree, _LANG_META), *_jsonld_values(tree, "inLanguage")]
    for candidate in candidates:
        code = two_letter_lang(str(candidate))
        if code:
            return code
    return None


def two_letter_lang(tag: str) -> str | None:
    """Return the ISO 639-1 code of a language tag ('en-US', 'fr_FR', 'eng'), or None when it names none."""
    primary = re.split(r"[-_\s,;]", tag.strip().lower(), maxsplit=1)[0]
    if len(primary) == 2 and primary.isalpha():
        language = pycountry.languages.get(alpha_2=primary)
    elif len(primary) == 3 and primary.isalpha():
        language = pycountry.languages.get(alpha_3=primary)
    else:
        return None
    return getattr(language, "alpha_2", None)


def find_canonical_url(tree: HtmlElement, url: str | None) -> str | None:
    """Return <link rel=canonical>, else og:url, made absolute against the page URL; None when absent."""
    hrefs = [str(link.get("href", "")) for link in tree.xpath("//link[@rel and @href]")
             if "canonical" in str(link.get("rel", "")).lower().split()]
    base = url or ""
    base_href = tree.xpath("//base/@href")
    if base_href:
        base = urljoin(base, str(base_href[0]).strip())
    for href in [*hrefs, *_meta_values(tree, ("og:url",))]:
        absolute = _absolute_url(base, href.strip())
        if absolute:
            return absolute
    return None


def _absolute_url(base: str, href: str) -> str | None:
    """Return href resolved against base when that gives an http(s) URL with a host, else None."""
    if not href:
        return None
    try:
        absolute = urljoin(base, href)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    return absolute if parts.scheme in ("http", "https") and parts.hostname else None


def find_body_text(tree: HtmlElement) -> str:
    """Return the article body element's text without in-article chrome, as blank-line paragraphs; '' when none."""
    for xpath in _BODY_XPATHS:
        elements = [e for e in xpath(tree) if isinstance(e, HtmlElement)]
        if not elements:
            continue
        # Several matches are teaser cards or nested wrappers: the article is the one with most text.
        best = _element_paragraphs(max(elements, key=lambda e: len(e.text_content())))
        if len(best) >= MIN_BODY_CHARS:
            return best
    return ""


def _element_paragraphs(element: HtmlElement) -> str:
    """Return an element's text with chrome removed and whitespace normalised, one paragraph per block."""
    body = copy.deepcopy(element)
    body.tail = None
    for node in list(body.iterdescendants()):
        if _is_chrome(node) and node.getparent() is not None:
            node.drop_tree()
    for node in body.iter():
        node.text = _WS_RE.sub(" ", node.text) if isinstance(node.text, str) else node.text
        node.tail = _WS_RE.sub(" ", node.tail) if isinstance(node.tail, str) else node.tail
    # Mark block boundaries after flattening source whitespace, so line breaks in the HTML source
    # (which differ between copies) never split a paragraph, while <p>a</p><p>b</p> still does.
    for node in body.iter():
        if isinstance(node.tag, str) and node.tag.lower() in _BLOCK_TAGS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
    text = unicodedata.normalize("NFC", body.text_content())
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


def _is_chrome(node: Any) -> bool:
    """Return whether an element inside the body is not body text (share bar, embed, related links...)."""
    if not isinstance(node.tag, str):
        return True
    if node.tag.lower() in _NON_BODY_TAGS:
        return True
    marks = f"{node.get('class', '')} {node.get('id', '')} {node.get('role', '')}"
    return bool(_CHROME_ATTR_RE.search(marks))


def _meta_values(tree: HtmlElement, keys: tuple[str, ...]) -> list[str]:
    """Return the content of <meta> tags whose property, name, itemprop or http-equiv is one of keys, in key order."""
    found: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attribute) or "").strip().lower()
            if key in keys:
                found.setdefault(key, []).append(content.strip())
    return [value for key in keys for value in found.get(key, [])]


def _jsonld_values(tree: HtmlElement, key: str) -> list[str]:
    """Return the string values of `key` in the page's JSON-LD blocks, article objects first."""
    preferred: list[str] = []
    others: list[str] = []
    for node in _jsonld_objects(tree):
        value = node.get(key)
        if isinstance(value, dict):
            value = value.get("@value") or value.get("name") or value.get("alternateName")
        if isinstance(value, str) and value.strip():
            kinds = node.get("@type")
            kinds = " ".join(kinds) if isinstance(kinds, list) else str(kinds or "")
            (preferred if "Article" in kinds or "Posting" in kinds else others).append(value.strip())
    return preferred + others


def _jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Yield every JSON object found in the page's ld+json scripts, breadth first, up to a node budget."""
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        raw = script.text.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip().rstrip(";")
        try:
            pending: deque[Any] = deque([json.loads(raw, strict=False)])
        except (ValueError, RecursionError):
            continue
        seen = 0
        while pending and seen < _JSONLD_MAX_NODES:
            item = pending.popleft()
            seen += 1
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                yield item
                pending.extend(v for v in item.values() if isinstance(v, (dict, list)))
