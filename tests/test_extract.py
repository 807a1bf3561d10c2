"""Tests for pipeline.extract: main text, metadata, decoding and the duplicate-hash body text."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import decode_html, extract_page, normalise_date, two_letter_lang
from pipeline.models import ExtractedPage

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PAGES = TESTS / "fixtures" / "pages"
SEED_HTML = ROOT / "seeds" / "morocco-openai-mistral.html"
SEED_TXT = ROOT / "seeds" / "morocco-openai-mistral.txt"
REAL_HTML = Path(__file__).resolve().parents[2] / "shared" / "eval" / "real" / "html"
SEED_URL = "https://www.moroccoworldnews.example/2025/09/morocco-openai-discuss-partnership"

PARAGRAPH = ("The ministry confirmed on Tuesday that the agreement covers training for civil servants, "
             "a shared research lab and access to computing capacity for local universities. ")


def seed_article() -> tuple[str, list[str]]:
    """Return the seed article's title (its first bullet line) and body paragraphs."""
    lines = SEED_TXT.read_text(encoding="utf-8").splitlines()
    bullets = [line.removeprefix("• ") for line in lines if line.startswith("• ")]
    paragraphs = [line for line in lines if line and not line.startswith("• ")]
    # The last line is the author's name, a byline rather than a paragraph of the body.
    return bullets[0], paragraphs[:-1]


def article_page(body: str, *, head: str = "", before: str = "", after: str = "", inside: str = "") -> bytes:
    """Return a UTF-8 page with an <article> holding body, plus chrome around and inside it."""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Deal news</title>{head}</head>"
            f"<body>{before}<article><h1>Deal news</h1>{inside}<div class='body'>{body}</div></article>"
            f"{after}</body></html>").encode()


BODY = "".join(f"<p>{PARAGRAPH}Paragraph {n} adds its own detail.</p>" for n in range(1, 5))


# --- golden pages -------------------------------------------------------------------------------

def golden_cases() -> list[tuple[Path, dict[str, object]]]:
    """Return (page file, expectations) for every NAME.expected.json under tests/fixtures/pages."""
    cases = []
    for expected in sorted(PAGES.glob("*.expected.json")):
        stem = expected.name.removesuffix(".expected.json")
        page = next(p for p in PAGES.glob(f"{stem}.*") if not p.name.endswith(".json"))
        cases.append((page, json.loads(expected.read_text(encoding="utf-8"))))
    return cases


@pytest.mark.parametrize(("page", "expected"), golden_cases(), ids=[page.name for page, _ in golden_cases()])
def test_golden_page(page: Path, expected: dict[str, object]) -> None:
    result = extract_page(page.read_bytes(), expected["url"])  # type: ignore[arg-type]
    for field in ("title", "published", "lang", "canonical_url"):
        assert getattr(result, field) == expected[field], field
    for snippet in expected["must_contain"]:  # type: ignore[attr-defined]
        assert snippet in result.text
    for snippet in expected["must_not_contain"]:  # type: ignore[attr-defined]
        assert snippet not in result.text


def test_golden_pages_are_present() -> None:
    assert len(golden_cases()) >= 5


# --- the seed page ------------------------------------------------------------------------------

SEED_CHROME = [
    "cookies", "Accept all", "Manage preferences", "Politics", "Breaking:", "Share on", "Copy link",
    "Read also", "Tags:", "Morning Brief", "Subscribe", "Comments are closed", "Related news",
    "Stargate UAE", "UK government signs", "Casablanca tram", "Most read", "All rights reserved", "Privacy policy",
]


def test_seed_page_carries_every_paragraph_and_no_chrome() -> None:
    title, paragraphs = seed_article()
    result = extract_page(SEED_HTML.read_bytes(), SEED_URL + "?utm_source=rss")
    assert result.title == title
    extracted = result.text.split("\n\n")
    for paragraph in paragraphs:
        assert paragraph in extracted
    for chrome in SEED_CHROME:
        assert chrome not in result.text


def test_seed_page_metadata() -> None:
    result = extract_page(SEED_HTML.read_bytes(), SEED_URL + "?utm_source=rss")
    assert result.published == "2025-09-26T09:15:00Z"  # 10:15 at +01:00
    assert result.lang == "en"
    assert result.canonical_url == SEED_URL


def test_seed_page_body_hash_source_is_the_body() -> None:
    _, paragraphs = seed_article()
    result = extract_page(SEED_HTML.read_bytes(), SEED_URL)
    assert result.body_hash_source.split("\n\n") == paragraphs


# --- input forms and decoding -------------------------------------------------------------------

def test_gzip_body_gives_the_same_page() -> None:
    raw = SEED_HTML.read_bytes()
    assert extract_page(gzip.compress(raw), SEED_URL) == extract_page(raw, SEED_URL)


def test_truncated_gzip_keeps_what_arrived() -> None:
    raw = SEED_HTML.read_bytes()
    decoded = decode_html(gzip.compress(raw)[:1500])
    assert decoded
    assert raw.decode("utf-8").startswith(decoded)


def test_concatenated_gzip_members_are_all_read() -> None:
    assert decode_html(gzip.compress(b"<p>one</p>") + gzip.compress(b"<p>two</p>")) == "<p>one</p><p>two</p>"


@pytest.mark.parametrize(("data", "expected"), [
    # UTF-8 bytes under a lying single- or double-byte declaration.
    ('<meta charset="gb2312"><p>签署合作备忘录</p>'.encode(), "签署合作备忘录"),
    ('<meta charset="iso-8859-1"><p>Rabat signe un protocole d’accord</p>'.encode(), "protocole d’accord"),
    # A true legacy declaration is honoured, with the browsers' superset (0x80 is the euro sign).
    ('<meta charset="iso-8859-1"><p>120 millions €, négociés</p>'.encode("cp1252"), "120 millions €, négociés"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>人工知能の協定</p>'.encode("cp932"),
     "人工知能の協定"),
    # A UTF-16 label over ASCII-compatible bytes means UTF-8 (HTML spec).
    ('<meta charset="utf-16"><p>accord signé</p>'.encode(), "accord signé"),
    # Byte order marks win over everything.
    ("<p>accord signé</p>".encode("utf-16"), "<p>accord signé</p>"),
    ("\ufeff<p>accord signé</p>".encode(), "<p>accord signé</p>"),
    # An unknown label falls back to UTF-8.
    ('<meta charset="x-unknown"><p>accord signé</p>'.encode(), "accord signé"),
])
def test_decode_html(data: bytes, expected: str) -> None:
    assert expected in decode_html(data)


def test_stray_byte_in_declared_utf8_does_not_garble_the_page() -> None:
    data = '<meta charset="utf-8"><p>Café naïve — ministère</p>'.encode().replace(b"na\xc3\xafve", b"na\xefve")
    assert decode_html(data).endswith("<p>Café na\ufffdve — ministère</p>")


@pytest.mark.parametrize("declaration", ["<meta charset='utf-8'>", ""])
def test_legacy_page_mislabelled_or_unlabelled_is_detected(declaration: str) -> None:
    text = (f"<html><head>{declaration}<title>Le café</title></head><body><p>"
            + "Le ministère a signé un accord très attendu à Genève, a précisé le numéro deux du gouvernement. " * 4
            + "</p></body></html>")
    assert decode_html(text.encode("cp1252")) == text


def test_undeclared_legacy_charset_is_detected() -> None:
    text = ("<html><body><p>Министерство цифрового развития провело совещание с разработчиками систем "
            "искусственного интеллекта и обсудило создание национальной платформы.</p></body></html>")
    assert decode_html(text.encode("cp1251")) == text


# --- publication date ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2025-09-26T10:15:00+01:00", "2025-09-26T09:15:00Z"),
    ("2025-01-05T00:30:00+01:00", "2025-01-04T23:30:00Z"),  # converting to UTC can change the day
    ("2019-11-18T10:47:00.000Z", "2019-11-18T10:47:00Z"),
    ("2023-04-26 14:20:55-0400", "2023-04-26T18:20:55Z"),
    ("2024-03-05T10:15:00", "2024-03-05T10:15:00"),  # no zone: kept as the page gives it
    ("2024-03-05", "2024-03-05"),
    ("Fri, 26 Sep 2025 10:15:00 +0100", "2025-09-26T09:15:00Z"),
    ("0000-00-00", None),
    ("1899-01-01", None),
    ("yesterday", None),
    ("", None),
])
def test_normalise_date(value: str, expected: str | None) -> None:
    assert normalise_date(value) == expected


def test_published_time_meta_wins_over_json_ld() -> None:
    head = ('<meta property="article:published_time" content="2024-06-01T08:00:00+02:00">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-05-30"}</script>')
    assert extract_page(article_page(BODY, head=head)).published == "2024-06-01T06:00:00Z"


def test_published_from_json_ld_graph() -> None:
    head = ('<script type="application/ld+json">{"@graph": [{"@type": "WebPage", "datePublished": "2020-01-01"},'
            ' {"@type": "NewsArticle", "datePublished": "2024-05-30T12:00:00-04:00"}]}</script>')
    assert extract_page(article_page(BODY, head=head)).published == "2024-05-30T16:00:00Z"


def test_published_falls_back_to_a_date_in_the_url() -> None:
    assert extract_page(article_page(BODY), "https://news.example/2024/03/12/talks").published == "2024-03-12"


def test_published_is_none_without_any_date() -> None:
    assert extract_page(article_page(BODY)).published is None


# --- language and canonical URL -----------------------------------------------------------------

@pytest.mark.parametrize(("tag", "expected"), [
    ("en-US", "en"), ("EN", "en"), ("fr_FR", "fr"), ("zh-Hans-CN", "zh"), ("eng", "en"),
    ("x-default", None), ("utf-8", None), ("zz", None), ("", None),
])
def test_two_letter_lang(tag: str, expected: str | None) -> None:
    assert two_letter_lang(tag) == expected


def test_lang_from_og_locale_when_html_lang_is_bogus() -> None:
    page = article_page(BODY, head='<meta property="og:locale" content="pt_BR">').replace(b"<html>", b'<html lang="">')
    assert extract_page(page).lang == "pt"


@pytest.mark.parametrize(("head", "url", "expected"), [
    ('<link rel="canonical" href="/2024/05/deal">', "https://news.example/a?b=1", "https://news.example/2024/05/deal"),
    ('<link rel="Canonical" href=" https://news.example/deal ">', None, "https://news.example/deal"),
    ('<meta property="og:url" content="https://news.example/og">', None, "https://news.example/og"),
    ('<link rel="canonical" href="https://news.example/link">'
     '<meta property="og:url" content="https://news.example/og">', None, "https://news.example/link"),
    ('<base href="https://cdn.news.example/en/"><link rel="canonical" href="deal">', None,
     "https://cdn.news.example/en/deal"),
    ('<link rel="canonical" href="/relative-without-base">', None, None),
    ('<link rel="canonical" href="javascript:void(0)">', "https://news.example/", None),
    ("", "https://news.example/a", None),
])
def test_canonical_url(head: str, url: str | None, expected: str | None) -> None:
    assert extract_page(article_page(BODY, head=head), url).canonical_url == expected


# --- duplicate-hash body text -------------------------------------------------------------------

def test_body_hash_source_is_stable_across_page_chrome() -> None:
    plain = article_page(BODY)
    dressed = article_page(
        BODY.replace("</p><p>", "</p>\n\n      <p>"),  # re-indented markup
        head='<link rel="canonical" href="https://mirror.example/x"><script>var ads = 1;</script>',
        before="<div class='cookie-banner'>We use cookies. <button>OK</button></div><nav>Home World Tech</nav>",
        inside="<div class='share-bar'>Share on X · Share on Facebook · 12 comments</div>",
        after="<div class='comments'><p>Comments are closed.</p></div><aside>Most read: other deals</aside>"
              "<footer>© Mirror Media</footer>",
    )
    first, second = extract_page(plain), extract_page(dressed)
    assert first.body_hash_source == second.body_hash_source
    assert first.body_hash_source.count("\n\n") == 3
    for chrome in ("cookies", "Share on", "Comments are closed", "Most read", "Mirror Media"):
        assert chrome not in second.body_hash_source


def test_body_hash_source_differs_between_articles() -> None:
    other = BODY.replace("Paragraph 3 adds", "Paragraph 3 changes")
    assert extract_page(article_page(BODY)).body_hash_source != extract_page(article_page(other)).body_hash_source


def test_body_hash_source_prefers_the_article_body_element() -> None:
    page = article_page(f"<div itemprop='articleBody'>{BODY}</div><p>Photo: Reuters. Follow us on our channels.</p>")
    source = extract_page(page).body_hash_source
    assert source.startswith(PARAGRAPH.strip()) and "Follow us" not in source


def test_body_hash_source_keeps_text_inside_a_paywall_wrapper() -> None:
    # Barron's and Dainik Bhaskar put most of the body in <div class="paywall">, already in the HTML.
    page = article_page(BODY.replace("<p>", "<div class='paywall'><p>", 1) + "</div>")
    assert extract_page(page).body_hash_source.count("\n\n") == 3


def test_body_hash_source_falls_back_to_main_text_without_a_body_element() -> None:
    page = (f"<html><head><title>Deal news</title></head><body><div id='main'>{BODY}</div></body></html>").encode()
    result = extract_page(page)
    assert result.text and result.body_hash_source == result.text


def test_text_paragraphs_are_separated_by_blank_lines() -> None:
    assert extract_page(article_page(BODY)).text.split("\n\n")[-4:] == [
        f"{PARAGRAPH}Paragraph {n} adds its own detail." for n in range(1, 5)]


# --- garbage never raises -----------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"", b"   ", b"\x00\xff" * 100, b"\x1f\x8b\x08\x00garbage", b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    b"<html>", b"<?xml version='1.0' encoding='utf-8'?><rss><channel></channel></rss>",
    b"<html><body>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000 + b"</body></html>",
])
def test_garbage_gives_an_empty_page(data: bytes) -> None:
    result = extract_page(data)
    assert result == ExtractedPage(title=result.title, text="", published=None, lang=None, canonical_url=None,
                                   body_hash_source="")


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_extract_never_raises_on_bytes(data: bytes) -> None:
    result = extract_page(data, "https://news.example/a")
    assert isinstance(result, ExtractedPage) and isinstance(result.text, str)


@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_extract_never_raises_on_gzip_bytes(data: bytes) -> None:
    assert isinstance(extract_page(gzip.compress(data)[: max(2, len(data))]), ExtractedPage)


HTML_BITS = st.sampled_from([
    "<html>", "<head>", "<body>", "<article>", "</article>", "<p>", "</p>", "<meta charset='gb2312'>",
    "<meta property='article:published_time' content='2024-13-45T99:99'>", "<link rel=canonical href='//'>",
    "<script type='application/ld+json'>{\"datePublished\": [1, {", "</script>", "<html lang='x'>", "&#0;",
    "<div itemprop='articleBody'>", "</div>", "<!--", "-->", "<![CDATA[", "<base href='::'>",
])


# Each example that parses runs the whole extractor (~20 ms): keep the count modest.
@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(HTML_BITS, st.text(max_size=40)), max_size=40))
def test_extract_never_raises_on_broken_html(parts: list[str]) -> None:
    result = extract_page("".join(parts).encode("utf-8", "surrogatepass"), "https://news.example/a")
    assert isinstance(result, ExtractedPage)


# --- real pages (opt-in) ------------------------------------------------------------------------

def load_bench() -> ModuleType:
    """Return bench/extract.py as a module (it holds the benchmark's scoring)."""
    spec = importlib.util.spec_from_file_location("bench_extract", ROOT / "bench" / "extract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def real_pages() -> list[object]:
    """Return the real benchmark pages, or skip when shared/eval/real is absent."""
    if not (REAL_HTML / "ground-truth.json").is_file():
        pytest.skip(f"no real pages at {REAL_HTML}")
    return load_bench().load_pages(REAL_HTML)  # type: ignore[no-any-return]


@pytest.mark.realdata
def test_real_pages_mean_f1(real_pages: list[object]) -> None:
    bench = sys.modules.get("bench_extract") or load_bench()
    run = bench.evaluate(real_pages, bench.dealwatch_text)
    scores = bench.summarise(list(run.matches.values()))
    assert scores.f1 >= 0.93
    assert scores.mean_f1 >= 0.93


@pytest.mark.realdata
def test_real_page_with_lying_charset(real_pages: list[object]) -> None:
    page = next(p for p in real_pages if p.key.endswith("cn_People_2024_04_24.html.gz"))  # type: ignore[attr-defined]
    result = extract_page(page.raw, page.url)  # type: ignore[attr-defined]
    assert result.title is not None and "促进航天技术更好惠及人民" in result.title
    assert "新华社北京4月24日电" in result.text
    # The publisher's page holds a few U+FFFD of its own: compare with the bytes read as UTF-8.
    assert decode_html(page.raw) == gzip.decompress(page.raw).decode("utf-8")  # type: ignore[attr-defined]


@pytest.mark.realdata
def test_real_pages_publication_times(real_pages: list[object]) -> None:
    bench = sys.modules.get("bench_extract") or load_bench()
    fundus = [p for p in real_pages if p.subset == "fundus"]  # type: ignore[attr-defined]
    hits = sum(extract_page(p.raw, p.url).published == bench.truth_published(p.truth["publishing_date"])
               for p in fundus)
    assert hits >= 14
