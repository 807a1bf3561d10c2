"""The tracker site: pages, links, escaping, feeds, the empty database and the command, read as generated files."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree as ET

import feedparser
import pytest
from click.testing import CliRunner

from pipeline import store
from pipeline.cli import main
from pipeline.config import load_settings
from pipeline.models import Article, Classification, DealMention
from pipeline.site import MANIFEST, write_site
from pipeline.site.model import Mention, load_tracker, partner_slugs, stage_steps
from pipeline.site.timeline import ticks
from pipeline.digest import make_link

REPO = Path(__file__).resolve().parents[1]
HOSTILE_TITLE = '<script>alert("t")</script> Kenya & "Micro" <u>soft</u>'
HOSTILE_EVIDENCE = "</blockquote><img src=x onerror=alert(1)> Kenya signs an MoU with Micro<soft>"


class Links(HTMLParser):
    """Collects the name of every tag of a page, and every href and src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in ("href", "src")]


def links_of(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def demo_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[store.Database, Path]:
    """Return the demo database (the seed's Morocco deals) and the site written from it."""
    from pipeline.run import run_once

    monkeypatch.setattr(store, "now_iso", lambda: "2025-09-26T11:00:00Z")
    settings = load_settings(REPO / "config" / "demo.toml", tmp_path / "demo.db")
    db = store.open_db(settings.db_path)
    run_once(settings, db)
    out = tmp_path / "site"
    write_site(db, out)
    return db, out


def save(db: store.Database, url: str, title: str, deals: list[DealMention], published: str) -> None:
    article = Article(url=url, title=title, text=f"{title}. Body.", source="wire", fetched_at=published,
                      published_at=published, content_hash=url, urls=[url])
    article.classification = Classification(relevant=True, deals=deals, version="test")
    store.save_batch(db, store.Batch(source="wire", started_at=published, articles=[article]))


def deal(country: str, partner: str, stage: str, evidence: str, event_date: str | None = None,
         body: str | None = None) -> DealMention:
    return DealMention(country=country, partner=partner, stage=stage, evidence=evidence, event_date=event_date,
                       level="subnational" if body else "national", body=body)


def site_files(out: Path) -> list[Path]:
    return sorted(path for path in out.rglob("*") if path.is_file() and path.name != MANIFEST)


def check_links(out: Path, article_urls: set[str]) -> None:
    """Every relative link resolves to a written file; every absolute one is an article's http(s) link."""
    for page in (path for path in site_files(out) if path.suffix == ".html"):
        for url in links_of(page).urls:
            parts = urlsplit(url)
            if parts.scheme:
                assert parts.scheme in ("http", "https") and url in article_urls, f"{page}: external {url!r}"
                continue
            if not parts.path:  # a fragment on the same page
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file() and out.resolve() in target.parents, f"{page}: broken link {url!r}"


def test_the_seed_gives_a_morocco_page_with_both_deals_on_its_timeline_and_their_sentences(
        demo_site: tuple[store.Database, Path]) -> None:
    db, out = demo_site
    assert [p.relative_to(out).as_posix() for p in site_files(out)] == [
        "country/ma.atom", "country/ma.html", "deal/1.html", "deal/2.html", "index.html", "partner/mistral-ai.atom",
        "partner/mistral-ai.html", "partner/openai.atom", "partner/openai.html"]
    page = (out / "country" / "ma.html").read_text()
    timeline = re.search(r'<svg class="timeline".*?</svg>', page, re.S)
    assert timeline
    marks = re.findall(r'<circle class="mark s-(\w+)" cx="([\d.]+)%"', timeline[0])
    assert sorted(marks) == [("mou", "3.00"), ("talks", "97.00")]  # Mistral 2025-09-12, OpenAI 2025-09-25
    assert "Mistral AI: MoU on 2025-09-12" in timeline[0] and "OpenAI: talks on 2025-09-25" in timeline[0]
    assert "“Morocco&#x27;s digital ministry signs AI skills memorandum with Mistral AI”" in page
    assert "“Morocco, OpenAI discuss partnership to boost national AI strategy”" in page
    assert 'href="https://www.moroccoworldnews.example/2025/09/morocco-mistral-ai-memorandum"' in page
    home = (out / "index.html").read_text()
    assert re.search(r'<a href="country/ma.html" aria-label="Morocco: MoU \(2 deals\)"><path class="s-mou" d="M',
                     home)
    assert "<li><b>1</b>country</li>" in home and "<li><b>2</b>deals</li>" in home
    assert "Latest stage changes" in home and home.index("Morocco – OpenAI") < home.index("Morocco – Mistral AI")
    deal_page = (out / "deal" / "2.html").read_text()
    assert deal_page.count('<li id="m') == 2 and "Story: " in deal_page
    urls = {row[0] for row in db.execute("SELECT url FROM articles")}
    check_links(out, urls)


def test_feeds_carry_each_new_deal_and_stage_change_of_their_country_or_partner(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "feeds.db")
    save(db, "https://a.example/1", "Kenya, Microsoft talk", [deal("KE", "Microsoft", "talks", "They talk.")],
         "2025-03-01T08:00:00Z")
    save(db, "https://b.example/2", "Kenya, Microsoft sign", [deal("KE", "Microsoft", "mou", "They sign.")],
         "2025-05-02T08:00:00Z")
    save(db, "https://c.example/3", "Ghana, Microsoft talk", [deal("GH", "Microsoft", "talks", "Ghana talks.")],
         "2025-06-01T08:00:00Z")
    out = tmp_path / "site"
    write_site(db, out)
    kenya = feedparser.parse((out / "country" / "ke.atom").read_bytes())
    assert not kenya.bozo
    assert [e.title for e in kenya.entries] == ["Kenya – Microsoft: talks → MoU", "Kenya – Microsoft: new deal"]
    assert kenya.entries[0].links[0].href == "../deal/1.html" and "They sign." in kenya.entries[0].summary
    partner = feedparser.parse((out / "partner" / "microsoft.atom").read_bytes())
    assert [e.title for e in partner.entries] == ["Ghana – Microsoft: new deal", "Kenya – Microsoft: talks → MoU",
                                                  "Kenya – Microsoft: new deal"]
    assert partner.entries[1].id == kenya.entries[0].id  # one step, one id, whichever feed carries it
    write_site(db, out)
    assert feedparser.parse((out / "country" / "ke.atom").read_bytes()).entries[0].updated == kenya.entries[0].updated


def test_hostile_titles_evidence_and_urls_are_escaped_and_never_links(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "hostile.db")
    save(db, "javascript:alert(1)", HOSTILE_TITLE, [deal("KE", 'Micro"soft<x>', "mou", HOSTILE_EVIDENCE)],
         "2025-05-02T08:00:00Z")
    save(db, "https://ok.example/a?x=1&y=<2>", HOSTILE_TITLE,
         [deal("KE", "OpenAI", "talks", HOSTILE_EVIDENCE, body="<i>Nairobi</i>")], "2025-05-03T08:00:00Z")
    out = tmp_path / "site"
    write_site(db, out)
    for path in site_files(out):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            parser = links_of(path)
            assert not {"script", "img", "u", "x", "i"} & set(parser.tags), path
            assert not any(url.lower().startswith("javascript:") for url in parser.urls), path
        else:
            feed = ET.fromstring(text)  # still well-formed XML, whose HTML content is escaped text
            assert not [link for link in feed.iter("{http://www.w3.org/2005/Atom}link")
                        if link.get("href", "").startswith("javascript:")]
            content = "".join(node.text or "" for node in feed.iter("{http://www.w3.org/2005/Atom}content"))
            assert "<img" not in content and "<script" not in content and 'href="javascript:' not in content
    deal_page = (out / "deal" / "1.html").read_text()
    # The javascript: article keeps its (escaped) title as plain text, not a link.
    assert ('<li>&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; Kenya &amp; &quot;Micro&quot; &lt;u&gt;soft&lt;/u&gt; '
            '<span class="meta">') in deal_page
    assert "“&lt;/blockquote&gt;&lt;img src=x onerror=alert(1)&gt;" in deal_page
    nairobi = (out / "country" / "ke.html").read_text()
    assert "&lt;i&gt;Nairobi&lt;/i&gt; – OpenAI" in nairobi
    assert 'href="https://ok.example/a?x=1&amp;y=&lt;2&gt;"' in nairobi
    check_links(out, {"https://ok.example/a?x=1&y=<2>"})


def test_an_empty_database_gives_a_home_page_saying_no_deals_yet(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "empty.db")
    out = tmp_path / "site"
    summary = write_site(db, out)
    assert [p.name for p in site_files(out)] == ["index.html"] and summary.files == 1
    home = (out / "index.html").read_text()
    assert "No deals yet" in home and '<svg class="map"' in home
    assert "#countries" not in home  # no menu to sections the empty home page does not have
    check_links(out, set())


def test_a_rewrite_removes_pages_that_no_longer_exist_and_nothing_else(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "a.db")
    save(db, "https://a.example/1", "Kenya, Microsoft talk", [deal("KE", "Microsoft", "talks", "They talk.")],
         "2025-03-01T08:00:00Z")
    out = tmp_path / "site"
    write_site(db, out)
    (out / "CNAME").write_text("tracker.example\n")
    assert (out / "deal" / "1.html").exists()
    write_site(store.open_db(tmp_path / "empty.db"), out)
    assert not (out / "deal" / "1.html").exists() and not (out / "country" / "ke.html").exists()
    assert (out / "CNAME").exists() and (out / "index.html").exists()


def test_sub_national_deals_have_their_own_section_and_a_country_with_only_those_is_marked_so(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "sub.db")
    save(db, "https://a.example/1", "Telangana and Google", [deal("IN", "Google", "mou", "Telangana signs.",
                                                                   body="Telangana")], "2025-03-01T08:00:00Z")
    out = tmp_path / "site"
    write_site(db, out)
    india = (out / "country" / "in.html").read_text()
    assert "<h2>Sub-national governments</h2>" in india and "<h2>Deals</h2>" not in india
    assert "Telangana – Google" in india and "sub-national deals only" in india
    assert re.search(r'aria-label="India: sub-national deals only \(1 deal\)"><path class="sub"',
                     (out / "index.html").read_text())


def mention(mention_id: int, stage: str, day: str) -> Mention:
    return Mention(id=mention_id, stage=stage, date=day, evidence=f"{stage} {day}",
                   link=make_link(f"https://n.example/{mention_id}", None, None), published_at=None,
                   seen_at="2025-01-01T00:00:00Z", confidence=None, story_id=None, story_title="", story_size=0)


def test_stage_history_moves_forward_stalls_and_revives_as_the_stored_stage_does() -> None:
    steps = stage_steps([mention(1, "talks", "2025-01-01"), mention(2, "talks", "2025-01-05"),
                         mention(3, "mou", "2025-02-01"), mention(4, "talks", "2025-02-10"),
                         mention(5, "stalled", "2025-03-01"), mention(6, "agreement", "2025-04-01")])
    assert [(s.previous, s.stage, s.date, [m.id for m in s.mentions]) for s in steps] == [
        (None, "talks", "2025-01-01", [1, 2]), ("talks", "mou", "2025-02-01", [3]),
        ("mou", "stalled", "2025-03-01", [5]), ("stalled", "agreement", "2025-04-01", [6])]
    same_day = stage_steps([mention(1, "mou", "2025-01-01"), mention(2, "talks", "2025-01-01")])
    assert [(s.stage, [m.id for m in s.mentions]) for s in same_day] == [("mou", [1])]


def test_partner_file_names_are_readable_and_distinct() -> None:
    slugs = partner_slugs(["Mistral AI", "mistral ai", "Zhipu 智谱", "智谱", "../etc"])
    assert slugs["Mistral AI"] == "mistral-ai" and slugs["../etc"] == "etc" and slugs["Zhipu 智谱"] == "zhipu"
    assert len(set(slugs.values())) == 5 and all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs.values())


@pytest.mark.parametrize(("start", "end", "first", "labels"), [
    ("2025-09-05", "2025-09-19", "2025-09-08", ["8 Sep", "15 Sep"]),
    ("2025-01-15", "2025-06-20", "2025-02-01", ["Feb 2025", "Mar 2025", "Apr 2025", "May 2025", "Jun 2025"]),
    ("2019-03-01", "2025-06-20", "2020-01-01", ["2020", "2022", "2024"]),
])
def test_timeline_ticks_are_round_dates_few_enough_to_read(start: str, end: str, first: str,
                                                           labels: list[str]) -> None:
    from datetime import date

    found = ticks(date.fromisoformat(start), date.fromisoformat(end))
    assert found[0][0].isoformat() == first and [label for _, label in found] == labels


def test_tracker_counts_countries_by_their_furthest_national_stage(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "t.db")
    save(db, "https://a.example/1", "a", [deal("KE", "Microsoft", "stalled", "Stalled."),
                                          deal("KE", "OpenAI", "talks", "Talks.")], "2025-03-01T08:00:00Z")
    save(db, "https://a.example/2", "b", [deal("GH", "Microsoft", "stalled", "Stalled.")], "2025-03-02T08:00:00Z")
    tracker = load_tracker(db)
    assert {c.code: c.stage for c in tracker.countries} == {"KE": "talks", "GH": "stalled"}


def test_dealwatch_site_writes_the_folder_and_refuses_a_missing_database(
        tmp_path: Path, demo_site: tuple[store.Database, Path]) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-site"
    result = runner.invoke(main, ["site", "--db", str(tmp_path / "demo.db"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"site written to {out}: 9 files") and (out / "country" / "ma.html").exists()
    missing = runner.invoke(main, ["site", "--db", str(tmp_path / "none.db"), "--out", str(out)])
    assert missing.exit_code == 2 and "no database yet" in missing.output


def test_the_config_names_the_site_folder_and_serve_rewrites_it_after_the_digest(
        tmp_path: Path, demo_site: tuple[store.Database, Path], write_config: Callable[[str], Path]) -> None:
    from pipeline.scheduler import Service

    config = write_config('[site]\nout = "tracker"\n[digest]\nout = "digests"\n')
    settings = load_settings(config, tmp_path / "demo.db")
    assert settings.site.out == (config.parent / "tracker").resolve()
    service = Service(settings)
    service.digest_job()
    service.fetcher.close()
    assert (config.parent / "tracker" / "country" / "ma.html").exists()
    with pytest.raises(Exception, match=r"\[site\]: key 'outt': unknown key"):
        load_settings(write_config('[site]\noutt = "x"\n'))


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "conf" / "c.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return path

    return write
