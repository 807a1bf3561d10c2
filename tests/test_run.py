"""End to end: sources served by a local HTTP server (some hostile) through fetch → parse → store.

One broken source never stops a run: it is marked failed with a one-line reason, the others go on,
and nothing already stored is lost.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline import store
from pipeline.cli import main
from pipeline.config import HttpSettings, Settings, load_settings
from pipeline.errors import DatabaseError
from pipeline.fetch import Fetcher
from pipeline.models import Source
from pipeline.run import import_jsonl, run_once, run_source

REPO = Path(__file__).resolve().parents[1]
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test</title><link>{base}/</link>{items}</channel></rss>"""
ITEM = "<item><title>{title}</title><link>{link}</link><guid{perma}>{guid}</guid>{date}<description>{text}</description></item>"
BODY = ("Kenya's Ministry of Information and Nvidia signed a memorandum of understanding on Tuesday to build "
        "an AI computing centre in Nairobi and train engineers. ")


def rss(base: str, items: list[dict[str, str]]) -> bytes:
    """Return an RSS 2.0 document with the given items."""
    rendered = "".join(ITEM.format(title=i.get("title", "Title"), link=i.get("link", ""), guid=i.get("guid", ""),
                                   perma=' isPermaLink="false"' if i.get("opaque") else "",
                                   date=i.get("date", "<pubDate>Tue, 07 Oct 2025 10:00:00 GMT</pubDate>"),
                                   text=i.get("text", BODY)) for i in items)
    return RSS.format(base=base, items=rendered).encode("utf-8")


def settings_for(tmp_path: Path, sources: list[Source], **http: object) -> Settings:
    """Return settings with a temporary database and fast, loopback-friendly HTTP settings."""
    options: dict[str, object] = {"timeout": 2.0, "connect_timeout": 1.0, "per_host_delay": 0.0, "max_bytes": 200_000}
    options.update(http)
    return Settings(path=None, db_path=tmp_path / "t.db", http=HttpSettings(**options),  # type: ignore[arg-type]
                    sources=tuple(sources))


def feed_source(name: str, url: str) -> Source:
    return Source(name=name, kind="feed", url=url, full_text="never")


@pytest.fixture
def good_feed(httpserver: HTTPServer) -> Source:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/good.xml").respond_with_data(
        rss(base, [{"title": "Kenya and Nvidia sign AI MoU", "link": f"{base}/a/1", "guid": "g1"},
                   {"title": "Local weather", "link": f"{base}/a/2", "guid": "g2", "text": "Rain tomorrow."}]),
        content_type="application/rss+xml")
    return feed_source("good", httpserver.url_for("/good.xml"))


def trickle(request: Request) -> Response:
    def body() -> Iterator[bytes]:
        for _ in range(30):
            time.sleep(0.1)
            yield b" "
    return Response(body(), content_type="application/rss+xml")


BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]><rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>http://x.example/a</link></item></channel></rss>"""

Serve = Callable[[HTTPServer], None]
FAILURES: dict[str, tuple[Serve, str]] = {
    "html-not-feed": (lambda s: s.expect_request("/f").respond_with_data(
        "<!doctype html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
        content_type="text/html"), "not a feed"),
    "over-cap": (lambda s: s.expect_request("/f").respond_with_data(b"<rss>" + b" " * 300_000), "too large"),
    "trickle": (lambda s: s.expect_request("/f").respond_with_handler(trickle), "timed out"),
    "redirect-loop": (lambda s: s.expect_request("/f").respond_with_data("", status=302, headers={"Location": "/f"}),
                      "redirect loop"),
    "404": (lambda s: s.expect_request("/f").respond_with_data("", status=404), "HTTP 404"),
    "410": (lambda s: s.expect_request("/f").respond_with_data("", status=410), "HTTP 410"),
    "500": (lambda s: s.expect_request("/f").respond_with_data("", status=500), "HTTP 500"),
    "429": (lambda s: s.expect_request("/f").respond_with_data("", status=429, headers={"Retry-After": "3600"}),
            "HTTP 429"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_a_broken_source_fails_alone_and_loses_nothing(tmp_path: Path, httpserver: HTTPServer, good_feed: Source,
                                                       case: str) -> None:
    serve, reason = FAILURES[case]
    serve(httpserver)
    broken = feed_source(case, httpserver.url_for("/f"))
    settings = settings_for(tmp_path, [good_feed, broken], timeout=1.0)
    db = store.open_db(settings.db_path)
    run_once(settings, db, source_names=["good"])
    before = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    summary = run_once(settings, db)
    outcomes = {o.name: o for o in summary.outcomes}
    assert outcomes["good"].status == "ok"
    assert outcomes[case].status == "error" and reason in (outcomes[case].error or "")
    assert "\n" not in (outcomes[case].error or "")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == before == 2
    state = store.source_state(db, case)
    assert state["consecutive_failures"] == 1 and reason in state["last_error"] and state["next_attempt_at"]
    if case == "429":
        assert state["next_attempt_at"] >= store.now_iso()[:13]  # at least an hour away, by Retry-After


def test_missing_file_and_unresolvable_host_fail_with_one_line(tmp_path: Path, good_feed: Source) -> None:
    settings = settings_for(tmp_path, [good_feed, feed_source("gone", str(tmp_path / "gone.xml")),
                                       feed_source("nowhere", "https://feeds.dealwatch.invalid/rss")])
    db = store.open_db(settings.db_path)
    outcomes = {o.name: o for o in run_once(settings, db).outcomes}
    assert outcomes["good"].new_articles == 2
    assert (outcomes["gone"].error or "").startswith("file not found")
    assert "cannot connect to feeds.dealwatch.invalid" in (outcomes["nowhere"].error or "")
    result = CliRunner().invoke(main, ["sources", "--db", str(settings.db_path)])
    assert result.exit_code == 0
    assert "file not found" in result.output and "feeds.dealwatch.invalid" in result.output


@pytest.mark.parametrize(
    ("case", "body", "expected_titles"),
    [
        ("salvaged-xml", b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
         b"<item><title>Kept & salvaged</title><link>http://127.0.0.1/s/1</link></item></channel>",
         {"Kept & salvaged"}),
        ("cp1252-declared-utf8", b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
         b"<item><title>Caf\xe9 deal</title><link>http://127.0.0.1/c/1</link></item></channel></rss>",
         {"Caf\u00e9 deal"}),
        ("utf8-declared-cp1252", "<?xml version='1.0' encoding='windows-1252'?><rss version='2.0'><channel>"
         "<title>T</title><item><title>Caf\u00e9 deal</title><link>http://127.0.0.1/c/2</link></item></channel></rss>"
         .encode("utf-8"), None),
        ("empty-feed", b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>", set()),
        ("gzip-without-header", gzip.compress(b"<rss version='2.0'><channel><title>T</title><item><title>Zipped"
                                              b"</title><link>http://127.0.0.1/z/1</link></item></channel></rss>"),
         {"Zipped"}),
    ],
)
def test_damaged_but_readable_feeds_are_stored(tmp_path: Path, httpserver: HTTPServer, case: str, body: bytes,
                                               expected_titles: set[str] | None) -> None:
    httpserver.expect_request("/f").respond_with_data(body, content_type="application/xml")
    settings = settings_for(tmp_path, [feed_source(case, httpserver.url_for("/f"))])
    db = store.open_db(settings.db_path)
    outcome = run_once(settings, db).outcomes[0]
    assert outcome.status == "ok", outcome.error
    titles = {row[0] for row in db.execute("SELECT title FROM articles")}
    if expected_titles is None:  # mis-declared: readable text either way, never a crash
        assert len(titles) == 1 and "deal" in titles.pop()
    else:
        assert titles == expected_titles


def test_entity_bomb_neither_hangs_nor_expands(tmp_path: Path, httpserver: HTTPServer, good_feed: Source) -> None:
    httpserver.expect_request("/bomb").respond_with_data(BOMB, content_type="application/xml")
    settings = settings_for(tmp_path, [good_feed, feed_source("bomb", httpserver.url_for("/bomb"))])
    db = store.open_db(settings.db_path)
    started = time.monotonic()
    outcomes = {o.name: o for o in run_once(settings, db).outcomes}
    assert time.monotonic() - started < 10
    assert outcomes["good"].new_articles == 2
    longest = db.execute("SELECT MAX(LENGTH(title)) FROM articles").fetchone()[0]
    assert longest < 10_000


def test_links_dates_and_guids(tmp_path: Path, httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    body = rss(base, [
        {"title": "Relative link", "link": "/news/relative", "guid": "r1", "opaque": "1", "text": "First story."},
        {"title": "No date", "link": f"{base}/news/undated", "guid": "u1", "date": "", "text": "Second story."},
        {"title": "Guid only", "link": "", "guid": f"{base}/news/by-guid", "text": "Third story."},
        {"title": "Nothing to link", "link": "", "guid": "opaque-id-7", "opaque": "1", "text": "Fourth story."},
    ])
    httpserver.expect_request("/f").respond_with_data(body, content_type="application/rss+xml")
    settings = settings_for(tmp_path, [feed_source("links", httpserver.url_for("/f"))])
    db = store.open_db(settings.db_path)
    outcome = run_once(settings, db).outcomes[0]
    rows = dict(db.execute("SELECT title, url FROM articles").fetchall())
    assert rows["Relative link"] == f"{base}/news/relative"
    assert rows["Guid only"] == f"{base}/news/by-guid"
    assert "Nothing to link" not in rows and outcome.dropped == {"no link": 1}
    undated = db.execute("SELECT published_at FROM articles WHERE title = 'No date'").fetchone()
    assert undated == (None,)


def test_conditional_get_and_rerun_add_nothing(tmp_path: Path, httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    feed = rss(base, [{"title": "One", "link": f"{base}/a/1", "guid": "1"}])

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(feed, headers={"ETag": '"v1"'}, content_type="application/rss+xml")

    httpserver.expect_request("/f").respond_with_handler(handler)
    settings = settings_for(tmp_path, [feed_source("cond", httpserver.url_for("/f"))])
    db = store.open_db(settings.db_path)
    assert run_once(settings, db).new_articles == 1
    second = run_once(settings, db).outcomes[0]
    assert (second.status, second.new_articles) == ("not_modified", 0)
    assert db.execute("SELECT status FROM fetch_log ORDER BY id").fetchall() == [("ok",), ("not_modified",)]


def test_teaser_entries_get_their_page_extracted(tmp_path: Path, httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    page = (REPO / "seeds" / "morocco-openai-mistral.html").read_bytes()
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    httpserver.expect_request("/story").respond_with_data(page, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/private/story").respond_with_data(page, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/f").respond_with_data(rss(base, [
        {"title": "Morocco, OpenAI discuss partnership", "link": f"{base}/story", "guid": "s1", "text": "Teaser."},
        {"title": "Private copy", "link": f"{base}/private/story", "guid": "s2", "text": "Teaser only."},
    ]), content_type="application/rss+xml")
    source = Source(name="teasers", kind="feed", url=httpserver.url_for("/f"), full_text="auto")
    settings = settings_for(tmp_path, [source])
    db = store.open_db(settings.db_path)
    run_once(settings, db)
    rows = {r[0]: r[1:] for r in db.execute("SELECT title, url, text FROM articles")}
    url, text = rows["Morocco, OpenAI discuss partnership"]
    assert url == "https://www.moroccoworldnews.example/2025/09/morocco-openai-discuss-partnership"
    assert "memorandum of understanding" in text
    assert rows["Private copy"][1] == "Teaser only."  # robots.txt said no: the feed's teaser is kept


def test_demo_config_stores_the_seed_once(tmp_path: Path) -> None:
    db_path = tmp_path / "demo.db"
    runner = CliRunner()
    first = runner.invoke(main, ["run", "--config", str(REPO / "config" / "demo.toml"), "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    assert "sources: 2 ok, 0 failed" in first.output
    second = runner.invoke(main, ["run", "--config", str(REPO / "config" / "demo.toml"), "--db", str(db_path)])
    assert "new articles: 0" in second.output
    db = store.open_db(db_path)
    deals = set(db.execute("SELECT country, partner FROM deals").fetchall())
    assert {("MA", "OpenAI"), ("MA", "Mistral AI")} <= deals
    seed = "https://www.moroccoworldnews.example/2025/09/morocco-openai-discuss-partnership"
    assert db.execute("SELECT COUNT(*) FROM articles WHERE url = ?", [seed]).fetchone()[0] == 1
    urls = {r[0] for r in db.execute("SELECT url FROM article_urls")}
    assert any(u.startswith("file:") for u in urls)  # the bundled page folded into the feed's copy


def test_default_sources_fail_offline_with_clear_errors(tmp_path: Path) -> None:
    config = tmp_path / "sources.toml"
    config.write_text('[database]\npath = "t.db"\n[http]\nper_host_delay = 0\n'
                      '[[sources]]\nname = "real"\nurl = "https://news.dealwatch.invalid/rss"\n'
                      '[[sources]]\nname = "gdelt"\nkind = "gdelt"\nurl = "https://api.dealwatch.invalid/doc"\n'
                      'query = "OpenAI"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 0
    assert "sources: 0 ok, 2 failed" in result.output
    assert "failed: real: cannot connect to news.dealwatch.invalid" in result.output


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[sources]]\nname = "x"\nurl = "y"\nevery = "often"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(config)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "source 'x': key 'every'" in result.output


def test_sigkill_mid_import_leaves_a_consistent_database(tmp_path: Path) -> None:
    corpus = tmp_path / "big.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for i in range(6000):
            out.write(json.dumps({"id": f"g{i}", "title": f"Item {i} about rainfall in region {i % 97}",
                                  "url": f"https://wire.example/{i}", "published": "2025-10-01", "lang": "en",
                                  "text": f"Report number {i}. " + "Rainfall was measured in the valley. " * 20})
                      + "\n")
    db_path = tmp_path / "k.db"
    command = [sys.executable, "-m", "pipeline", "--log-level", "ERROR", "import", str(corpus), "--db", str(db_path)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once some batches have landed, before the end
        if db_path.exists() and _count(db_path) >= 1000 or process.poll() is not None:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the import ended before it could be killed mid-run"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    db = store.open_db(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT url) FROM articles").fetchone() == (6000, 6000)
    assert db.execute("SELECT SUM(article_count) FROM stories").fetchone()[0] == 6000


def _count(db_path: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(db_path, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_config_paths_load(tmp_path: Path) -> None:
    assert load_settings(REPO / "config" / "sources.toml").sources  # the real list parses (never fetched here)


def test_import_skips_bad_lines_and_says_which(tmp_path: Path) -> None:
    corpus = tmp_path / "mixed.jsonl"
    good = {"id": "x1", "title": "Kenya and Nvidia sign AI MoU", "text": BODY, "published": "2025-10-07", "lang": "en"}
    corpus.write_text(json.dumps(good) + "\n{not json\n[1, 2]\n" + json.dumps({"id": "x2"}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(corpus), "--db", str(tmp_path / "i.db")])
    assert result.exit_code == 0, result.output
    assert "imported 1 lines: 1 new articles" in result.output
    for line, reason in ((2, "not JSON"), (3, "not a JSON object"), (4, "no title and no text")):
        assert f"mixed.jsonl:{line}: {reason}" in result.output
    deals = store.open_db(tmp_path / "i.db").execute("SELECT country, partner, stage FROM deals").fetchall()
    assert deals == [("KE", "Nvidia", "mou")]


def test_eval_refuses_an_unlabelled_file_with_exit_2(tmp_path: Path) -> None:
    corpus = tmp_path / "plain.jsonl"
    corpus.write_text(json.dumps({"id": "x", "title": "t", "text": "b"}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(corpus)])
    assert result.exit_code == 2 and "plain.jsonl:1: a corpus record needs 'labels'" in result.output


def article_page(title: str, body: str) -> str:
    """Return a small article page."""
    paragraphs = "".join(f"<p>{p}</p>" for p in [body] * 3)
    return (f"<html lang='en'><head><title>{title}</title></head><body><nav>Home | World</nav>"
            f"<article><h1>{title}</h1>{paragraphs}</article><footer>Contact us</footer></body></html>")


def test_sitemap_index_is_followed_one_level_and_pages_extracted(tmp_path: Path, httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/sitemap.xml").respond_with_data(
        f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<sitemap><loc>{base}/news-1.xml</loc></sitemap><sitemap><loc>{base}/gone.xml</loc></sitemap>"
        f"</sitemapindex>", content_type="application/xml")
    httpserver.expect_request("/news-1.xml").respond_with_data(
        f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'><url><loc>{base}/kenya-nvidia</loc>"
        f"<news:news><news:publication_date>2025-10-07T10:00:00Z</news:publication_date>"
        f"<news:title>Kenya and Nvidia sign AI MoU</news:title></news:news></url></urlset>",
        content_type="application/xml")
    httpserver.expect_request("/gone.xml").respond_with_data("", status=404)
    httpserver.expect_request("/kenya-nvidia").respond_with_data(article_page("Kenya and Nvidia sign AI MoU", BODY),
                                                                 content_type="text/html")
    source = Source(name="sitemap", kind="sitemap", url=httpserver.url_for("/sitemap.xml"), full_text="auto")
    settings = settings_for(tmp_path, [source])
    db = store.open_db(settings.db_path)
    outcome = run_once(settings, db).outcomes[0]
    assert (outcome.status, outcome.new_articles) == ("ok", 1)
    assert "gone.xml" in (outcome.warning or "")
    text, published = db.execute("SELECT text, published_at FROM articles").fetchone()
    assert "memorandum of understanding" in text and "Contact us" not in text
    assert published == "2025-10-07T10:00:00Z"
    assert db.execute("SELECT country, partner, stage FROM deals").fetchall() == [("KE", "Nvidia", "mou")]


def test_gdelt_query_becomes_api_parameters(tmp_path: Path, httpserver: HTTPServer) -> None:
    base = httpserver.url_for("").rstrip("/")
    seen: list[dict[str, str]] = []

    def api(request: Request) -> Response:
        seen.append(dict(request.args))
        return Response(json.dumps({"articles": [
            {"url": f"{base}/a/1", "title": "Kenya and Nvidia sign AI MoU", "seendate": "20251007T100000Z",
             "domain": "127.0.0.1", "language": "English", "sourcecountry": "Kenya"}]}),
            content_type="application/json")

    httpserver.expect_request("/api/v2/doc/doc").respond_with_handler(api)
    source = Source(name="gdelt", kind="gdelt", url=httpserver.url_for("/api/v2/doc/doc"), full_text="never",
                    options={"query": '"memorandum of understanding" Nvidia', "timespan": "1d"})
    settings = settings_for(tmp_path, [source])
    db = store.open_db(settings.db_path)
    assert run_once(settings, db).new_articles == 1
    assert seen[0]["query"] == '"memorandum of understanding" Nvidia'
    assert (seen[0]["mode"], seen[0]["format"], seen[0]["timespan"]) == ("artlist", "json", "1d")
    assert db.execute("SELECT title, lang, published_at FROM articles").fetchone() == (
        "Kenya and Nvidia sign AI MoU", "en", "2025-10-07T10:00:00Z")


def test_listing_page_links_are_fetched_politely(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow:\n")
    httpserver.expect_request("/news").respond_with_data(
        "<html><body><a class='story' href='/news/kenya-nvidia?utm_source=home'>Kenya and Nvidia</a>"
        "<a class='story' href='/news/kenya-nvidia'>Same story again</a><a href='/about'>About</a></body></html>",
        content_type="text/html")
    httpserver.expect_request("/news/kenya-nvidia").respond_with_data(
        article_page("Kenya and Nvidia sign AI MoU", BODY), content_type="text/html")
    source = Source(name="listing", kind="html", url=httpserver.url_for("/news"), full_text="always",
                    options={"link_selector": "a.story"})
    settings = settings_for(tmp_path, [source])
    db = store.open_db(settings.db_path)
    assert run_once(settings, db).new_articles == 1
    assert run_once(settings, db).new_articles == 0
    page_fetches = [r for r, _ in httpserver.log if r.path == "/news/kenya-nvidia"]
    assert len(page_fetches) == 1  # known URLs are skipped before their page is fetched
    assert page_fetches[0].headers["User-Agent"].startswith("dealwatch/")


def test_reclassify_retags_articles_of_older_versions(tmp_path: Path) -> None:
    db_path = tmp_path / "demo.db"
    runner = CliRunner()
    runner.invoke(main, ["run", "--config", str(REPO / "config" / "demo.toml"), "--db", str(db_path)])
    db = store.open_db(db_path)
    db.execute("UPDATE articles SET classifier_version = 'old' WHERE id = 1")
    db.execute("DELETE FROM deal_mentions WHERE article_id = 1")
    db.conn.commit()
    result = runner.invoke(main, ["reclassify", "--db", str(db_path)])
    assert result.exit_code == 0 and "reclassified 1 articles" in result.output
    partners = {r[0] for r in db.execute("SELECT d.partner FROM deal_mentions m JOIN deals d ON d.id = m.deal_id "
                                         "WHERE m.article_id = 1")}
    assert partners == {"OpenAI", "Mistral AI"}


def test_an_unexpected_error_fails_its_source_alone(tmp_path: Path, httpserver: HTTPServer, good_feed: Source,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.run

    real = pipeline.run.classify_article

    def fragile(title: str, *args: object, **kwargs: object) -> object:
        if title == "Trap":
            raise RuntimeError("classifier bug\nwith two lines")
        return real(title, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.run, "classify_article", fragile)
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/trap.xml").respond_with_data(
        rss(base, [{"title": "Fine", "link": f"{base}/t/1", "text": "One."},
                   {"title": "Trap", "link": f"{base}/t/2", "text": "Two."}]), content_type="application/rss+xml")
    settings = settings_for(tmp_path, [feed_source("trap", httpserver.url_for("/trap.xml")), good_feed])
    db = store.open_db(settings.db_path)
    outcomes = {o.name: o for o in run_once(settings, db).outcomes}
    assert outcomes["trap"].error == "internal error: RuntimeError: classifier bug with two lines"
    assert outcomes["good"].new_articles == 2
    assert db.execute("SELECT COUNT(*) FROM articles WHERE source = 'trap'").fetchone()[0] == 0
    assert store.source_state(db, "trap")["consecutive_failures"] == 1


HOSTILE: dict[str, tuple[Serve, str]] = {
    "javascript-redirect": (lambda s: s.expect_request("/js").respond_with_data(
        "", status=302, headers={"Location": "javascript:alert(1)"}), "invalid redirect or URL"),
    "huge-retry-after": (lambda s: s.expect_request("/js").respond_with_data(
        "", status=503, headers={"Retry-After": "9" * 40}), "HTTP 503"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_server_fails_its_source_alone_and_backs_off(tmp_path: Path, httpserver: HTTPServer,
                                                               good_feed: Source, case: str) -> None:
    serve, reason = HOSTILE[case]
    serve(httpserver)
    settings = settings_for(tmp_path, [feed_source(case, httpserver.url_for("/js")), good_feed])
    db = store.open_db(settings.db_path)
    outcomes = {o.name: o for o in run_once(settings, db).outcomes}
    assert outcomes["good"].new_articles == 2  # the source after the hostile one still ran
    assert outcomes[case].status == "error" and reason in (outcomes[case].error or "")
    state = store.source_state(db, case)
    assert state["consecutive_failures"] == 1 and reason in state["last_error"]
    # Back-off is capped at 24 h however long the server asks us to wait.
    wait = store.parse_iso(state["next_attempt_at"]) - store.parse_iso(state["last_fetched_at"])
    assert 0 < wait.total_seconds() <= store.MAX_BACKOFF_SECONDS


def test_a_failing_database_stops_the_run_instead_of_failing_each_source(tmp_path: Path, good_feed: Source) -> None:
    settings = settings_for(tmp_path, [good_feed])
    db = store.open_db(settings.db_path, busy_timeout=0.3)
    store.sync_sources(db, settings.sources)
    holder = sqlite3.connect(settings.db_path, isolation_level=None)  # another program, writing for long
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Fetcher(settings.http) as fetcher, pytest.raises(DatabaseError, match="locked by another program"):
            run_source(db, fetcher, good_feed, settings)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_disabled_sources_run_only_when_named(tmp_path: Path, good_feed: Source) -> None:
    off = Source(name="off", kind="feed", url=good_feed.url, full_text="never", options={"enabled": False})
    settings = settings_for(tmp_path, [off])
    db = store.open_db(settings.db_path)
    assert run_once(settings, db).outcomes == []
    assert [o.name for o in run_once(settings, db, source_names=["off"]).outcomes] == ["off"]


def test_parallel_import_stores_what_a_serial_import_stores(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    records = [{"id": f"k{i}", "title": f"Kenya and Nvidia, part {i}" if i % 2 else f"Weather, part {i}", "lang": "en",
                "url": f"https://wire.example/k/{i}", "published": "2025-10-08",
                "text": f"Kenya's Ministry of Information signed a memorandum of understanding with Nvidia on "
                        f"Tuesday. Item {i} of the series." if i % 2 else f"Rain fell in region {i} today."}
               for i in range(40)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    tables = []
    for workers in (1, 2):
        db = store.open_db(tmp_path / f"w{workers}.db")
        assert import_jsonl(db, corpus, Settings(path=None, db_path=tmp_path / "x.db"), workers=workers).new_articles == 40
        tables.append(db.execute("SELECT a.url, a.relevant, d.country, d.partner, m.stage FROM articles a "
                                 "LEFT JOIN deal_mentions m ON m.article_id = a.id "
                                 "LEFT JOIN deals d ON d.id = m.deal_id ORDER BY a.url").fetchall())
    assert tables[0] == tables[1]
    assert sum(1 for row in tables[0] if row[2:] == ("KE", "Nvidia", "mou")) == 20
