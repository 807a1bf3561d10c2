"""Turn fetched bodies into Entry records: feeds, HTML listing pages, sitemaps and GDELT answers.

Pure functions of bytes: no network and no files. A parser never raises on bad input; it returns a
ParsedSource whose one-line ``error`` says why nothing usable came out, or whose ``warning`` says
what had to be salvaged.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import html
import io
import json
import logging
import re
import time
import warnings
import xml.sax
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urldefrag, urlencode, urljoin, urlsplit

import feedparser
import pycountry
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import Tag
from lxml import etree
from soupsieve import SelectorSyntaxError

from pipeline.models import Entry

LOGGER = logging.getLogger(__name__)

# A gzip body is inflated at most to this size: a few KiB of gzip can inflate to gigabytes.
MAX_INFLATED_BYTES = 64 * 1024 * 1024
# Text that declared XML entities may add when expanded; beyond it the body is refused as a bomb.
MAX_ENTITY_EXPANSION = 1_000_000
# More entity declarations than this is refused outright (real feeds declare a handful at most).
MAX_ENTITY_DECLARATIONS = 256
GDELT_DOC_API = "https://api.gdeltproject.org/api/v2/doc/doc"
GDELT_MAX_RECORDS = 250


@dataclass
class ParsedSource:
    """What one parser made of one fetched body."""

    entries: list[Entry]
    warning: str | None = None  # salvaged input (malformed XML, wrong declared encoding), one line
    error: str | None = None  # one line, set when nothing usable came out (then entries == [])
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> count
    child_sitemaps: list[str] = field(default_factory=list)  # sitemap index children (absolute URLs)


class _Unusable(Exception):
    """A body that cannot yield entries; the message is the one-line error."""


# ---------------------------------------------------------------------------------------------
# Small shared helpers: text, dates, languages, URLs, bytes.

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_HIDDEN_ELEMENT = re.compile(
    r"<(script|style|noscript|template|applet|object|iframe)\b.*?(?:</\1\s*>|\Z)", re.S | re.I
)
# Tags end at the first ">" before any other "<": "[^>]*" would rescan to the end of the text for
# every unclosed "<a", quadratic on hostile input (40 KB of "<a" took 1 s).
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|pre|table|thead|tbody|tr|section|article|"
    r"header|footer|aside|nav|main|figure|figcaption|address|hr|center)\b[^<>]*>",
    re.I,
)
_BREAK_TAG = re.compile(r"<br\b[^<>]*>", re.I)
_ANY_TAG = re.compile(r"</?[A-Za-z!?][^<>]*>")
# Private-use characters mark paragraph and line breaks while the markup is being removed.
_PARA = "\ue000"
_LINE = "\ue001"
_BLANK_LINE = re.compile(r"\r?\n[ \t\r\f\v]*\n")


def _one_line(text: str, limit: int = 240) -> str:
    """Return text on one line with runs of whitespace collapsed, cut to limit characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def html_to_text(markup: str, *, paragraphs: bool = False) -> str:
    """Return the plain text of an HTML fragment: paragraphs split by blank lines, or one line."""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        text = _COMMENT.sub(" ", markup)
        text = _HIDDEN_ELEMENT.sub(" ", text)
        text = _BLOCK_TAG.sub(_PARA, text)
        text = _BREAK_TAG.sub(_LINE, text)
        text = html.unescape(_ANY_TAG.sub("", text))
    if not paragraphs:
        return " ".join(text.replace(_PARA, " ").replace(_LINE, " ").split())
    return _join_blocks(text)


def _plain_paragraphs(text: str) -> str:
    """Return plain text as paragraphs (split at blank lines) separated by one blank line."""
    return _join_blocks(_BLANK_LINE.sub(_PARA, text))


def _join_blocks(text: str) -> str:
    """Return text marked with paragraph and line marks as paragraphs separated by one blank line."""
    out = []
    for block in text.split(_PARA):
        lines = [" ".join(line.split()) for line in block.split(_LINE)]
        para = "\n".join(line for line in lines if line)
        if para:
            out.append(para)
    return "\n\n".join(out)


def _struct_to_iso(value: time.struct_time | None) -> str | None:
    """Return feedparser's UTC struct_time as YYYY-MM-DDTHH:MM:SSZ, or None when absent or absurd."""
    if value is None or not 1900 <= value.tm_year <= 9999:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", value)


def _iso_utc(text: str | None) -> str | None:
    """Return an ISO 8601 (or RFC 822) date or datetime as UTC YYYY-MM-DDTHH:MM:SSZ, or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        try:  # RFC 822 dates turn up where ISO 8601 is due (JSON Feeds in the wild)
            moment = email.utils.parsedate_to_datetime(text.strip())
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:  # sitemaps and feeds without an offset mean UTC in practice
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# Language names GDELT and feeds use that pycountry files under another name.
_LANGUAGE_ALIASES = {
    "greek": "el",
    "punjabi": "pa",
    "sinhalese": "si",
    "pashto": "ps",
    "farsi": "fa",
    "filipino": "tl",
}


@functools.lru_cache(maxsize=1024)
def language_code(value: str | None) -> str | None:
    """Return the ISO 639-1 code for a language tag, code or English name ("en-US", "eng", "English")."""
    text = (value or "").strip().lower()
    if not text:
        return None
    head = re.split(r"[-_\s]", text, maxsplit=1)[0]
    if len(head) == 2 and head.isascii() and head.isalpha():
        return head if pycountry.languages.get(alpha_2=head) is not None else None
    if text in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[text]
    for candidate in (head, text, f"{text} (macrolanguage)"):
        try:
            found = pycountry.languages.lookup(candidate)
        except LookupError:
            continue
        code = getattr(found, "alpha_2", None)
        if code:
            return str(code)
    return None


def _base_url(url: str) -> str:
    """Return the fetch URL usable as a base for relative links: local paths become file:// URLs."""
    if url.startswith("/") and not url.startswith("//"):
        return PurePosixPath(url).as_uri()
    return url


def _absolute_link(link: str | None, base: str) -> str | None:
    """Return link resolved against base when it is an http(s) URL (file:// for local sources), else None."""
    if not link:
        return None
    link = link.strip().replace("\n", "").replace("\r", "").replace("\t", "")
    if not link or link.startswith("#"):
        return None
    try:
        absolute = urljoin(base, link)
        parts = urlsplit(absolute)
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return None
    if parts.scheme in ("http", "https") and parts.netloc:
        return absolute
    if parts.scheme == "file" and base.startswith("file:"):
        return absolute
    return None


def _http_url(value: Any) -> str | None:
    """Return value when it is already an absolute http(s) URL (a GUID usable as a link), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def _inflate(body: bytes) -> tuple[bytes, str | None]:
    """Return the body gunzipped when it starts with the gzip magic, and a warning when it was cut short."""
    if body[:3] != b"\x1f\x8b\x08":
        return body, None
    pieces: list[bytes] = []
    size = 0
    rest = body
    while rest[:2] == b"\x1f\x8b":  # a gzip file may hold several members
        inflater = zlib.decompressobj(wbits=31)
        try:
            piece = inflater.decompress(rest, MAX_INFLATED_BYTES - size + 1)
        except zlib.error as exc:
            raise _Unusable(f"corrupt gzip body: {exc}") from exc
        size += len(piece)
        if size > MAX_INFLATED_BYTES:
            raise _Unusable(f"gzip body inflates beyond {MAX_INFLATED_BYTES:,} bytes")
        pieces.append(piece)
        if not inflater.eof:
            return b"".join(pieces), "gzip body is truncated"
        rest = inflater.unused_data
    return b"".join(pieces), None


def _looks_like_html(text: str) -> bool:
    """Return whether the start of a decoded body is an HTML page rather than XML or JSON."""
    head = text[:4096].lower()
    return any(marker in head for marker in ("<!doctype html", "<html", "<head>", "<body"))


def _add(dropped: dict[str, int], reason: str) -> None:
    """Count one dropped item under reason."""
    dropped[reason] = dropped.get(reason, 0) + 1


def _joined(*notes: str | None) -> str | None:
    """Return the non-empty notes joined into one line, or None."""
    kept = [note for note in notes if note]
    return _one_line("; ".join(kept)) if kept else None


# ---------------------------------------------------------------------------------------------
# Encodings: choose the codec ourselves, so feedparser never acts on an encoding we did not vet.

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# "<?" (or "<" then NULs) in an ASCII-incompatible encoding with no byte-order mark.
_UNMARKED = (
    (b"\x00\x00\x00\x3c", "utf-32-be"),
    (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\x00\x3c\x00\x3f", "utf-16-be"),
    (b"\x3c\x00\x3f\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
_XML_DECL_ENCODING = re.compile(rb"""\A\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][\w.:-]*)["']""")
_ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\r\n"


@functools.lru_cache(maxsize=128)
def _ascii_codec(name: str) -> str | None:
    """Return the canonical codec name when name is a known ASCII-compatible encoding, else None."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    if codec == "gb2312":  # declared GB2312 is nearly always GBK/GB18030 in practice
        codec = "gb18030"
    try:
        same = _ASCII_PROBE.decode(codec) == _ASCII_PROBE.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return None
    return codec if same else None


def _charset_param(content_type: str) -> str | None:
    """Return the charset parameter of a Content-Type header value, or None."""
    match = re.search(r"""charset\s*=\s*["']?([^"';\s]+)""", content_type, re.I)
    return match.group(1) if match else None


def _decode(body: bytes, content_type: str) -> tuple[str, str | None]:
    """Return the body as text (by BOM, vetted declaration, UTF-8 or cp1252) and a warning if mislabelled."""
    for marker, codec in _BOMS:
        if body.startswith(marker):
            return body[len(marker) :].decode(codec, errors="replace"), None
    for marker, codec in _UNMARKED:
        if body.startswith(marker):
            return body.decode(codec, errors="replace"), None
    if body.isascii():
        return body.decode("ascii"), None
    match = _XML_DECL_ENCODING.match(body[:512])
    declared = _charset_param(content_type) or (match.group(1).decode("ascii") if match else None)
    vetted = _ascii_codec(declared) if declared else None
    # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says (servers mislabel it often);
    # windows-1252 leaves five bytes undefined, which latin-1 takes.
    for codec in dict.fromkeys(c for c in ("utf-8", vetted, "windows-1252") if c):
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            continue
        break
    else:
        text, codec = body.decode("latin-1"), "latin-1"
    if declared and codec != vetted:
        return text, f"declared encoding {declared} is wrong: decoded as {codec}"
    return text, None


# ---------------------------------------------------------------------------------------------
# XML entity bombs: feedparser's loose parser expands a 50 KB entity referenced 100,000 times into
# gigabytes, and expat took 10 s to stop a nested "billion laughs" (see tests); refuse both first.

# Names and values are read to a bounded length, so scanning many declarations stays linear.
_ENTITY_START = re.compile(r"""<!ENTITY\s+(%\s*)?([^\s"'%>]{1,1025})(?:\s+(["']|SYSTEM\b|PUBLIC\b))?""")
_ENTITY_VALUE = {'"': re.compile(r'"([^"]{0,65536})"'), "'": re.compile(r"'([^']{0,65536})'")}
_CHAR_REF = re.compile(r"&#(?:x([0-9a-fA-F]+)|([0-9]+));")
# A reference by name; feedparser's loose parser also expands one with no closing ";".
_ENTITY_REF = re.compile(r"&([^\s;&<>\"'#=/]+)")


def _char_of(match: re.Match[str]) -> str:
    """Return the character a numeric character reference stands for ("" when out of range)."""
    hexa, decimal = match.groups()
    point = int(hexa, 16) if hexa else int(decimal)
    return chr(point) if point < 0x110000 else ""


def _entity_refusal(text: str) -> str | None:
    """Return why the document's entity declarations are refused as an expansion bomb, or None."""
    if "<!ENTITY" not in text:
        return None
    count = text.count("<!ENTITY")
    if count > MAX_ENTITY_DECLARATIONS:
        return f"refused: {count} entity declarations (XML entity bomb?)"
    sizes: dict[str, int] = {}
    for match in _ENTITY_START.finditer(text):
        _, name, opener = match.groups()
        if len(name) > 1024:
            return "refused: entity declaration with an absurdly long name (XML entity bomb?)"
        if opener not in _ENTITY_VALUE:  # external (never loaded: expat's loading is off) or not a declaration
            continue
        quoted = _ENTITY_VALUE[opener].match(text, match.end() - 1)
        if quoted is None:
            return f"refused: entity '{name}' has an unterminated or oversized value (XML entity bomb?)"
        value = quoted.group(1)
        if ("&" in value or "%" in value) and re.search("[&%]", _CHAR_REF.sub(_char_of, value)):
            # A character reference to "&" or "%" turns into a live reference when the entity is used.
            return f"refused: entity '{name}' references other entities (XML entity-expansion bomb)"
        sizes[name] = max(sizes.get(name, 0), len(value))  # a redeclaration must not hide a big value
    if not any(sizes.values()):
        return None
    uses = Counter(_ENTITY_REF.findall(text))
    expansion = sum(size * uses[name] for name, size in sizes.items())
    if expansion > MAX_ENTITY_EXPANSION:
        return f"refused: declared entities would expand to {expansion:,} characters (XML entity bomb)"
    return None


# ---------------------------------------------------------------------------------------------
# Feeds: RSS, Atom and RDF through feedparser; JSON Feed by hand.


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedSource:
    """Return the entries of an RSS 0.9x/1.0/2.0, Atom or JSON Feed body, or a one-line error."""
    try:
        body, gzip_warning = _inflate(body)
        text, encoding_warning = _decode(body, content_type)
        base = _base_url(url)
        if not text.strip():
            raise _Unusable("empty body")
        stripped = text.lstrip()
        # The body decides; a JSON content type only routes bodies that are not markup either.
        if stripped.startswith("{") or ("json" in content_type.lower() and not stripped.startswith("<")):
            parsed = _parse_json_feed(stripped, base)
        else:
            parsed = _parse_xml_feed(text, base)
    except _Unusable as exc:
        return ParsedSource(entries=[], error=_one_line(str(exc)))
    if parsed.error is None:
        parsed.warning = _joined(gzip_warning, encoding_warning, parsed.warning)
    return parsed


def _parse_xml_feed(text: str, base: str) -> ParsedSource:
    """Return the entries feedparser finds in an XML feed body already decoded to text."""
    refusal = _entity_refusal(text)
    if refusal:
        raise _Unusable(refusal)
    if text[:1].isspace() and text.lstrip().startswith("<?xml"):
        text = text.lstrip()  # expat rejects whitespace before the declaration; spare a loose re-parse
    try:
        result = feedparser.parse(
            # Re-encoded as declared UTF-8, so feedparser reads exactly the text the guard above vetted.
            io.BytesIO(text.encode("utf-8", errors="replace")),
            response_headers={
                # feedparser mangles file:// bases ("file://srv/..."); local links are joined below instead.
                "content-location": base if base.startswith(("http://", "https://")) else "",
                "content-type": "application/xml; charset=utf-8",
            },
            # Markup is stripped to plain text here, so sanitising and rewriting it is wasted work
            # (2.4x slower over the real-feed set); script and style bodies are dropped by html_to_text.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # third-party parser on hostile input: one bad feed must not stop a run
        LOGGER.warning("feedparser failed on %s: %r", base, exc)
        raise _Unusable(f"feed parser failed: {type(exc).__name__}: {exc}") from exc
    bozo = _bozo_reason(result)
    feed_lang = dict.get(result.feed, "language") if isinstance(result.feed, dict) else None
    dropped: dict[str, int] = {}
    entries = []
    for raw in result.entries:
        entry = _feed_entry(raw, base, feed_lang, dropped)
        if entry is not None:
            entries.append(entry)
    if entries:
        warning = f"malformed XML, salvaged {len(entries)} entries: {bozo}" if bozo else None
        return ParsedSource(entries=entries, warning=warning, dropped=dropped)
    if result.entries:
        return _all_dropped(len(result.entries), dropped)
    if result.get("version") and not bozo:
        return ParsedSource(entries=[], dropped=dropped)  # a valid feed with no items yet
    if _looks_like_html(text):
        raise _Unusable("not a feed: got an HTML page")
    if not text.lstrip().startswith("<"):
        raise _Unusable("not a feed: the body is neither XML nor JSON")
    if bozo:
        raise _Unusable(f"malformed XML: {bozo}")
    raise _Unusable(f"not a feed: unrecognised XML document {_root_name(text)}")


def _all_dropped(count: int, dropped: dict[str, int]) -> ParsedSource:
    """Return the error result for a source whose every item was dropped."""
    reasons = ", ".join(f"{reason}: {number}" for reason, number in sorted(dropped.items()))
    error = f"no usable entries: all {count} dropped ({reasons})"
    return ParsedSource(entries=[], error=error, dropped=dropped)


def _bozo_reason(result: Any) -> str | None:
    """Return feedparser's XML error as one line, or None when the strict parse succeeded."""
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}: {exc.getMessage()}"
    return _one_line(str(exc) or type(exc).__name__)


def _root_name(text: str) -> str:
    """Return the first element name of an XML text as "<name>", or "" when there is none."""
    match = re.search(r"<([A-Za-z_][\w:.-]*)", text[:65536])
    return f"<{match.group(1)}>" if match else ""


def _detail_text(detail: Any, value: str, *, paragraphs: bool = False) -> str:
    """Return a feedparser text construct as plain text, stripping markup only when it is HTML."""
    kind = detail.get("type", "") if isinstance(detail, dict) else ""
    if "html" in kind:
        return html_to_text(value, paragraphs=paragraphs)
    return _plain_paragraphs(value) if paragraphs else " ".join(value.split())


def _feed_entry(raw: Any, base: str, feed_lang: Any, dropped: dict[str, int]) -> Entry | None:
    """Return one feedparser entry as an Entry, or None (counted in dropped) when it has no usable link."""
    # Plain dict look-ups: FeedParserDict.get maps "updated" to "published" with a DeprecationWarning.
    fields: dict[str, Any] = dict(raw)
    guid = fields.get("id")
    guid = (guid.strip() or None) if isinstance(guid, str) else None
    link = _absolute_link(fields.get("link"), base) or _http_url(guid)
    if link is None:
        _add(dropped, "no link")
        return None
    contents = fields.get("content") or []
    content = ""
    if contents:
        longest = max(contents, key=lambda part: len(part.get("value") or ""))
        content = _detail_text(longest, longest.get("value") or "", paragraphs=True)
    title_detail = fields.get("title_detail")
    summary_detail = fields.get("summary_detail")
    lang = feed_lang
    for detail in (title_detail, summary_detail, *contents):
        if isinstance(detail, dict) and detail.get("language"):
            lang = detail["language"]
            break
    published = fields.get("published_parsed") or fields.get("updated_parsed") or fields.get("created_parsed")
    return Entry(
        url=link,
        title=_detail_text(title_detail, fields.get("title") or ""),
        # Without summary_detail, feedparser's summary is only a copy of the content: not a teaser.
        summary=_detail_text(summary_detail, fields.get("summary") or "") if summary_detail else "",
        content=content,
        published=_struct_to_iso(published),
        guid=guid,
        lang=language_code(lang if isinstance(lang, str) else None),
    )


def _parse_json_feed(text: str, base: str) -> ParsedSource:
    """Return the items of a JSON Feed 1.0/1.1 document as entries."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise _Unusable(f"malformed JSON: {exc}") from exc
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise _Unusable("not a feed: JSON without a jsonfeed.org version")
    items = document.get("items")
    if not isinstance(items, list):
        raise _Unusable("not a feed: JSON Feed without an items list")
    feed_lang = document.get("language") if isinstance(document.get("language"), str) else None
    if feed_lang is not None and not _is_text(feed_lang):
        feed_lang = None
    dropped: dict[str, int] = {}
    entries = []
    for item in items:
        if not isinstance(item, dict):
            _add(dropped, "not an object")
            continue
        if not _is_text(item):  # one bad item is dropped; it must not fail the whole feed on every run
            _add(dropped, "not text (lone surrogate escape)")
            continue
        entry = _json_feed_entry(item, base, feed_lang)
        if entry is None:
            _add(dropped, "no link")
        else:
            entries.append(entry)
    if items and not entries:
        return _all_dropped(len(items), dropped)
    return ParsedSource(entries=entries, dropped=dropped)


def _is_text(value: Any) -> bool:
    """Return whether a decoded JSON value holds only encodable text (no lone surrogate such as "\\ud800")."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


def _text_field(item: dict[str, Any], key: str) -> str:
    """Return item[key] when it is a string, else ""."""
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _json_feed_entry(item: dict[str, Any], base: str, feed_lang: str | None) -> Entry | None:
    """Return one JSON Feed item as an Entry, or None when it has no usable link."""
    guid = item.get("id")
    guid_text = None
    if isinstance(guid, (str, int)) and not isinstance(guid, bool):  # JSON Feed ids are often numbers
        guid_text = str(guid).strip() or None
    link = (
        _absolute_link(_text_field(item, "url"), base)
        or _absolute_link(_text_field(item, "external_url"), base)
        or _http_url(guid_text)
    )
    if link is None:
        return None
    content_html = _text_field(item, "content_html")
    if content_html:
        content = html_to_text(content_html, paragraphs=True)
    else:
        content = _plain_paragraphs(_text_field(item, "content_text"))
    item_lang = _text_field(item, "language")
    return Entry(
        url=link,
        title=html_to_text(_text_field(item, "title")),
        summary=html_to_text(_text_field(item, "summary")),
        content=content,
        published=_iso_utc(_text_field(item, "date_published") or _text_field(item, "date_modified")),
        guid=guid_text,
        lang=language_code(item_lang or feed_lang),
    )


# ---------------------------------------------------------------------------------------------
# HTML listing pages.


def parse_listing(body: bytes, url: str, link_selector: str, content_type: str = "") -> ParsedSource:
    """Return the article links that link_selector picks out of an HTML listing page."""
    try:
        body, gzip_warning = _inflate(body)
    except _Unusable as exc:
        return ParsedSource(entries=[], error=_one_line(str(exc)))
    if not body.strip():
        return ParsedSource(entries=[], error="empty body")
    charset = _charset_param(content_type)
    if charset:  # a wrong HTTP charset is common; trust it only when the bytes are not valid UTF-8
        charset = "utf-8" if _is_utf8(body) else _ascii_codec(charset)
    with warnings.catch_warnings():
        # The body is whatever the server sent; bs4 warns when it looks like XML or like a file name.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        try:
            soup = BeautifulSoup(body, "lxml", from_encoding=charset)
        except ValueError:  # bs4 passes a garbled <meta charset> on to lxml, which rejects it
            text = body.decode("utf-8" if _is_utf8(body) else "windows-1252", "replace")
            soup = BeautifulSoup(text, "lxml")
    try:
        selected = soup.select(link_selector)
    except (SelectorSyntaxError, ValueError) as exc:
        return ParsedSource(entries=[], error=_one_line(f"bad link_selector {link_selector!r}: {exc}"))
    base_tag = soup.find("base", href=True)
    base = _base_url(url)
    if isinstance(base_tag, Tag):
        base = _absolute_link(str(base_tag["href"]), base) or base
    entries, dropped = _listing_entries(selected, base)
    if not entries:
        reasons = "".join(f", {reason}: {count}" for reason, count in sorted(dropped.items()))
        error = f"no article links: selector {link_selector!r} matched {len(selected)} elements{reasons}"
        return ParsedSource(entries=[], error=_one_line(error), dropped=dropped)
    return ParsedSource(entries=entries, warning=gzip_warning, dropped=dropped)


def _is_utf8(body: bytes) -> bool:
    """Return whether the bytes are valid UTF-8."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _listing_entries(selected: Iterable[Tag], base: str) -> tuple[list[Entry], dict[str, int]]:
    """Return one entry per distinct article link among the selected elements, and the drop counts."""
    by_url: dict[str, Entry] = {}
    dropped: dict[str, int] = {}
    for element in selected:
        anchor = element if element.name == "a" and element.has_attr("href") else element.find("a", href=True)
        if not isinstance(anchor, Tag):
            _add(dropped, "no link")
            continue
        href = str(anchor.get("href") or "")
        link = _absolute_link(href, base)  # None for javascript:, mailto: and fragment-only hrefs
        if link is None:
            _add(dropped, "not an article link")
            continue
        link = urldefrag(link).url
        title = " ".join(anchor.get_text(" ").split()) or " ".join(str(anchor.get("title") or "").split())
        known = by_url.get(link)
        if known is None:
            by_url[link] = Entry(url=link, title=title)
        else:
            _add(dropped, "duplicate link")
            if not known.title:
                known.title = title
    return list(by_url.values()), dropped


# ---------------------------------------------------------------------------------------------
# Sitemaps.


def _safe_xml_parser(*, recover: bool) -> etree.XMLParser:
    """Return an lxml parser that expands no entities, loads nothing and keeps libxml2's size limits."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=recover
    )


def parse_sitemap(body: bytes, url: str) -> ParsedSource:
    """Return the URLs of a sitemap (news fields included) or, for a sitemap index, its children."""
    try:
        body, gzip_warning = _inflate(body)
    except _Unusable as exc:
        return ParsedSource(entries=[], error=_one_line(str(exc)))
    start = body.lstrip()[:8]
    if not start:
        return ParsedSource(entries=[], error="empty body")
    base = _base_url(url)
    if start.startswith((b"http://", b"https://")):
        parsed = _parse_text_sitemap(body, base)
    else:
        parsed = _parse_xml_sitemap(body, url, base)
    if parsed.error is None:
        parsed.warning = _joined(gzip_warning, parsed.warning)
    return parsed


def _parse_text_sitemap(body: bytes, base: str) -> ParsedSource:
    """Return the entries of a plain-text sitemap (one URL a line), or an error when it is not one."""
    text = body.decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    links = [_absolute_link(line, base) for line in lines if line.startswith(("http://", "https://"))]
    if not lines or len(links) != len(lines):
        return ParsedSource(entries=[], error="not a sitemap: neither XML nor a list of URLs")
    unique = dict.fromkeys(link for link in links if link)
    return ParsedSource(entries=[Entry(url=link) for link in unique])


def _parse_xml_sitemap(body: bytes, url: str, base: str) -> ParsedSource:
    """Return the entries or child sitemaps of an XML sitemap, salvaging malformed XML when possible."""
    refusal = _entity_refusal(_decode(body, "")[0])
    if refusal:
        return ParsedSource(entries=[], error=refusal)
    warning = None
    try:
        root = etree.fromstring(body, _safe_xml_parser(recover=False))
    except etree.XMLSyntaxError as exc:
        reason = f"line {exc.lineno}: {_one_line(exc.msg or str(exc))}"
        try:
            root = etree.fromstring(body, _safe_xml_parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            if _looks_like_html(body[:4096].decode("utf-8", errors="replace")):
                return ParsedSource(entries=[], error="not a sitemap: got an HTML page")
            return ParsedSource(entries=[], error=f"malformed XML: {reason}")
        warning = f"malformed XML, salvaged: {reason}"
    # Local name by hand: recover mode can produce tags ("rdf:R") that etree.QName rejects.
    name = root.tag.rpartition("}")[2].rpartition(":")[2] if isinstance(root.tag, str) else ""
    if name == "sitemapindex":
        children = [_absolute_link(loc, base) for loc in _texts(root, "{*}sitemap/{*}loc")]
        unique = list(dict.fromkeys(child for child in children if child))
        return ParsedSource(entries=[], warning=warning, child_sitemaps=unique)
    if name == "urlset":
        return _urlset_entries(root, base, warning)
    if name in ("rss", "feed", "RDF"):  # search engines accept RSS and Atom feeds as sitemaps
        return parse_feed(body, url)
    if name == "html":
        return ParsedSource(entries=[], error="not a sitemap: got an HTML page")
    return ParsedSource(entries=[], error=_one_line(f"not a sitemap: root element <{name}>"))


def _texts(root: Any, path: str) -> list[str]:
    """Return the stripped, non-empty texts of the elements at path under root."""
    return [text.strip() for text in (el.text for el in root.iterfind(path)) if text and text.strip()]


def _urlset_entries(root: Any, base: str, warning: str | None) -> ParsedSource:
    """Return one entry per distinct <url> of a urlset, with news:title, date and language when given."""
    by_url: dict[str, Entry] = {}
    dropped: dict[str, int] = {}
    for node in root.iterfind("{*}url"):
        link = _absolute_link(node.findtext("{*}loc"), base)
        if link is None:
            _add(dropped, "no link")
            continue
        if link in by_url:
            _add(dropped, "duplicate link")
            continue
        news = node.find("{*}news")
        title = published = lang = None
        if news is not None:
            title = news.findtext("{*}title")
            published = _iso_utc(news.findtext("{*}publication_date"))
            lang = language_code(news.findtext("{*}publication/{*}language"))
        by_url[link] = Entry(
            url=link,
            title=" ".join((title or "").split()),
            published=published or _iso_utc(node.findtext("{*}lastmod")),
            lang=lang,
        )
    entries = list(by_url.values())
    if not entries and dropped:
        return _all_dropped(sum(dropped.values()), dropped)
    return ParsedSource(entries=entries, warning=warning, dropped=dropped)


# ---------------------------------------------------------------------------------------------
# GDELT DOC 2.0.

_TIMESPAN = re.compile(r"\d+(?:min|h|hours|d|days|w|weeks|m|months)")
_SEENDATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")


def gdelt_query_url(query: str, *, timespan: str = "1d", max_records: int = 250) -> str:
    """Return the GDELT DOC 2.0 article-list URL (JSON, newest first) for a query."""
    if not query.strip():
        raise ValueError("GDELT query is empty")
    if not _TIMESPAN.fullmatch(timespan):
        raise ValueError(f"GDELT timespan {timespan!r} is not like 15min, 24h, 1d, 2w or 3m")
    if not 1 <= max_records <= GDELT_MAX_RECORDS:
        raise ValueError(f"GDELT max_records must be 1..{GDELT_MAX_RECORDS}, got {max_records}")
    params = {
        "query": query.strip(),
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(max_records),
        "timespan": timespan,
        "sort": "datedesc",
    }
    return f"{GDELT_DOC_API}?{urlencode(params, quote_via=quote)}"


def parse_gdelt(body: bytes, url: str) -> ParsedSource:
    """Return the articles of a GDELT DOC 2.0 artlist JSON answer, or its plain-text complaint as error."""
    try:
        body, gzip_warning = _inflate(body)
    except _Unusable as exc:
        return ParsedSource(entries=[], error=_one_line(str(exc)))
    text = body.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    if not text:
        return ParsedSource(entries=[], error="GDELT returned an empty body (query rejected or too broad?)")
    if _looks_like_html(text):
        return ParsedSource(entries=[], error="GDELT returned an HTML page, not JSON")
    if not text.startswith("{"):
        return ParsedSource(entries=[], error=_one_line(f"GDELT error: {text}"))
    try:
        # GDELT's JSON sometimes carries raw control characters inside titles.
        document = json.loads(text, strict=False)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        return ParsedSource(entries=[], error=_one_line(f"GDELT returned malformed JSON: {exc}"))
    if not isinstance(document, dict):
        return ParsedSource(entries=[], error="GDELT returned JSON that is not an object")
    articles = document.get("articles", [])  # "{}" is GDELT's answer when nothing matched
    if not isinstance(articles, list):
        return ParsedSource(entries=[], error="GDELT returned JSON whose articles is not a list")
    base = _base_url(url)
    by_url: dict[str, Entry] = {}
    dropped: dict[str, int] = {}
    for article in articles:
        link = _absolute_link(_text_field(article, "url"), base) if isinstance(article, dict) else None
        if link is None or not isinstance(article, dict):
            _add(dropped, "no link")
            continue
        if link in by_url:
            _add(dropped, "duplicate link")
            continue
        by_url[link] = Entry(
            url=link,
            title=html_to_text(_text_field(article, "title")),
            published=_gdelt_date(_text_field(article, "seendate")),
            lang=language_code(_text_field(article, "language")),
        )
    return ParsedSource(entries=list(by_url.values()), warning=gzip_warning, dropped=dropped)


def _gdelt_date(value: str) -> str | None:
    """Return GDELT's seendate (20250925T143000Z) as 2025-09-25T14:30:00Z, or None when malformed."""
    match = _SEENDATE.fullmatch(value.strip())
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------


def parse_source(kind: str, body: bytes, url: str, content_type: str, options: dict[str, Any]) -> ParsedSource:
    """Return what the parser for a source kind (feed, html, sitemap, gdelt) makes of a fetched body."""
    if kind == "feed":
        return parse_feed(body, url, content_type)
    if kind == "html":
        selector = options.get("link_selector")
        if not isinstance(selector, str) or not selector.strip():
            return ParsedSource(entries=[], error="html source needs a link_selector option")
        return parse_listing(body, url, selector, content_type)
    if kind == "sitemap":
        return parse_sitemap(body, url)
    if kind == "gdelt":
        return parse_gdelt(body, url)
    return ParsedSource(entries=[], error=f"unknown source kind {kind!r}")
