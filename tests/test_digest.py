"""The daily digest: what a reader sees for a day, in Markdown, HTML, JSON and Atom."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from click.testing import CliRunner

from pipeline import digest as dg
from pipeline import store
from pipeline.cli import main
from pipeline.config import DigestSettings, load_settings
from pipeline.models import Amount, Article, Classification, DealMention

REPO = Path(__file__).resolve().parents[1]
HOSTILE = '<script>alert("x")</script> Kenya & Microsoft sign <b>MoU</b>'
SETTINGS = DigestSettings(timezone="Africa/Casablanca", formats=("md", "html", "json", "atom"))

Saver = Callable[..., int]


@pytest.fixture
def db(tmp_path: Path) -> store.Database:
    return store.open_db(tmp_path / "digest.db")


@pytest.fixture
def save(db: store.Database, monkeypatch: pytest.MonkeyPatch) -> Saver:
    """Return a function that stores one article as if fetched at `fetched` (UTC), with its deals."""

    def save_article(url: str, title: str, fetched: str, deals: list[DealMention], *, published: str | None = None,
                     story: int | str = "new:0", extra_urls: tuple[str, ...] = (), relevant: bool | None = None,
                     source: str = "wire") -> int:
        monkeypatch.setattr(store, "now_iso", lambda: fetched)
        article = Article(url=url, title=title, text=f"{title}. Body text.", source=source, fetched_at=fetched,
                          published_at=published or fetched, content_hash=url, urls=[url, *extra_urls])
        article.classification = Classification(relevant=bool(deals) if relevant is None else relevant,
                                                deals=deals, version="test")
        store.save_batch(db, store.Batch(source=source, started_at=fetched, articles=[article], story_refs=[story]))
        return int(db.execute("SELECT story_id FROM articles WHERE url = ?", [url]).fetchone()[0])

    return save_article


def deal(country: str, partner: str, stage: str, evidence: str, event_date: str | None = None) -> DealMention:
    return DealMention(country=country, partner=partner, stage=stage, evidence=evidence, event_date=event_date)


def test_the_seed_day_shows_the_mistral_mou_and_the_openai_talks_with_links(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.run import run_once

    # The pipeline stamps fetch and mention times with store.now_iso(): pretend it ran on the seed's day.
    monkeypatch.setattr(store, "now_iso", lambda: "2025-09-26T11:00:00Z")
    settings = load_settings(REPO / "config" / "demo.toml", tmp_path / "demo.db")
    db = store.open_db(settings.db_path)
    run_once(settings, db)

    digest = dg.build_digest(db, date(2025, 9, 26), settings.digest.timezone)
    new = {(d.country, d.partner): d for d in digest.new_deals}
    assert new[("MA", "Mistral AI")].stage == "mou"
    assert new[("MA", "OpenAI")].stage == "talks"
    mistral_links = {link.url for e in new[("MA", "Mistral AI")].evidence for link in e.links}
    assert any("moroccoworldnews.example" in url for url in mistral_links)
    assert [c.name for c in digest.countries] == ["Morocco"]

    out = tmp_path / "digests"
    paths = dg.write_digest(db, date(2025, 9, 26), settings.digest, out, feed_key="test")
    assert sorted(p.name for p in paths) == ["digest-2025-09-26.html", "digest-2025-09-26.json",
                                             "digest-2025-09-26.md", "digest.atom"]
    markdown = (out / "digest-2025-09-26.md").read_text()
    assert "**Morocco – Mistral AI**: mou" in markdown and "**Morocco – OpenAI**: talks" in markdown
    assert "(<https://www.moroccoworldnews.example/2025/09/morocco-openai-discuss-partnership>)" in markdown
    page = (out / "digest-2025-09-26.html").read_text()
    assert 'href="https://www.moroccoworldnews.example/2025/09/morocco-openai-discuss-partnership"' in page
    feed = feedparser.parse((out / "digest.atom").read_bytes())
    assert not feed.bozo and "Mistral AI" in feed.entries[0].content[0].value

    # By publication date, the seed's own day shows the OpenAI talks as new; the Mistral MoU was news on 12 Sept.
    by_published = dg.build_digest(db, date(2025, 9, 26), settings.digest.timezone, basis="published")
    new_that_day = {(d.partner, d.stage) for d in by_published.new_deals}
    assert ("OpenAI", "talks") in new_that_day and ("Mistral AI", "mou") not in new_that_day
    seed_story = next(s for c in by_published.countries for s in c.stories if s.title.startswith("Morocco, OpenAI"))
    assert "Mistral AI (mou)" in seed_story.deals
    mou_day = dg.build_digest(db, date(2025, 9, 12), settings.digest.timezone, basis="published")
    assert ("Mistral AI", "mou") in {(d.partner, d.stage) for d in mou_day.new_deals}


def test_a_stage_change_shows_from_and_to_with_its_evidence_sentence(db: store.Database, save: Saver) -> None:
    save("https://a.example/talks", "Morocco and OpenAI hold talks", "2025-09-25T10:00:00Z",
         [deal("MA", "OpenAI", "talks", "Officials met OpenAI in New York.")])
    save("https://b.example/mou", "Morocco signs MoU with OpenAI", "2025-09-26T10:00:00Z",
         [deal("MA", "OpenAI", "mou", "The ministry signed a memorandum of understanding with OpenAI.")])

    first = dg.build_digest(db, date(2025, 9, 25), "Africa/Casablanca")
    assert [(d.partner, d.previous_stage, d.stage) for d in first.new_deals] == [("OpenAI", None, "talks")]
    second = dg.build_digest(db, date(2025, 9, 26), "Africa/Casablanca")
    assert second.new_deals == []
    change = second.stage_changes[0]
    assert (change.country_name, change.previous_stage, change.stage) == ("Morocco", "talks", "mou")
    assert change.evidence[0].sentence == "The ministry signed a memorandum of understanding with OpenAI."
    assert change.evidence[0].links[0].url == "https://b.example/mou"
    markdown = dg.render_markdown(second)
    assert "## Stage changes (1)" in markdown and "talks → mou" in markdown
    assert "“The ministry signed a memorandum of understanding with OpenAI.”" in markdown
    assert "talks → mou" in dg.render_html(second)


def test_a_deal_shows_its_amount_and_purposes_in_every_format(db: store.Database, save: Saver) -> None:
    signed = deal("MA", "Mistral AI", "agreement", "The ministry signed a contract worth 1.5bn dirhams with Mistral AI.")
    signed.amount = Amount(value=1.5e9, currency="MAD", usd=161.3e6, status="committed")
    signed.purposes = ["models", "skills"]
    save("https://a.example/mad", "Morocco signs with Mistral AI", "2025-09-26T10:00:00Z", [signed])
    pledge = deal("KE", "Microsoft", "mou", "Kenya signed a letter of intent with Microsoft for a $1bn data centre.")
    pledge.amount = Amount(value=1e9, currency="USD", usd=1e9, status="announced")
    save("https://b.example/ke", "Kenya and Microsoft", "2025-09-26T11:00:00Z", [pledge])

    digest = dg.build_digest(db, date(2025, 9, 26), "UTC")
    markdown = dg.render_markdown(digest)
    assert "**Kenya – Microsoft**: mou; US$1bn, announced" in markdown
    assert "**Morocco – Mistral AI**: agreement; MAD 1.5bn (US$161m), committed; models, skills" in markdown
    assert "MAD 1.5bn (US$161m), committed; models, skills" in dg.render_html(digest)
    news = json.loads(dg.render_json(digest))["new_deals"]
    assert news[1]["amount"] == {"value": 1.5e9, "currency": "MAD", "usd": 161.3e6, "status": "committed"}
    assert news[1]["purposes"] == ["models", "skills"]
    assert "US$1bn, announced" in dg.render_atom([digest], "test", datetime(2025, 9, 27, tzinfo=timezone.utc))


def test_a_day_without_news_says_nothing_new_in_every_format(db: store.Database, save: Saver) -> None:
    save("https://a.example/tram", "Tram runs later", "2025-09-26T10:00:00Z", [])
    digest = dg.build_digest(db, date(2025, 9, 26), "UTC")
    assert digest.nothing_new and digest.articles == 1 and digest.relevant == 0
    assert "Nothing new on 2025-09-26." in dg.render_markdown(digest)
    assert "Nothing new on 2025-09-26." in dg.render_html(digest)
    assert json.loads(dg.render_json(digest))["nothing_new"] is True


def test_stories_are_grouped_by_country_with_one_link_per_outlet(db: store.Database, save: Saver) -> None:
    evidence = "The UAE and OpenAI agreed to build a data centre with France's backing."
    story = save("https://wire.example/stargate", "UAE and OpenAI agree Stargate campus", "2025-09-26T08:00:00Z",
                 [deal("AE", "OpenAI", "agreement", evidence), deal("FR", "OpenAI", "talks", evidence)],
                 extra_urls=("https://mirror.example/stargate-copy",))
    save("https://news.example/stargate", "Stargate UAE: OpenAI deal agreed", "2025-09-26T09:00:00Z",
         [deal("AE", "OpenAI", "agreement", evidence)], story=story, source="news")
    save("https://news.example/funding", "Chatbot start-up raises $40m", "2025-09-26T09:30:00Z", [])

    digest = dg.build_digest(db, date(2025, 9, 26), "UTC")
    assert [c.name for c in digest.countries] == ["France", "United Arab Emirates"]
    stories = digest.countries[1].stories
    assert len(stories) == 1
    assert [link.outlet for link in stories[0].links] == ["wire.example", "mirror.example", "news.example"]
    assert [(p.partner, p.deals, p.articles) for p in digest.partners] == [("OpenAI", 2, 2)]
    markdown = dg.render_markdown(digest)
    assert "### United Arab Emirates" in markdown and "| OpenAI | 2 | 2 |" in markdown
    # The story is listed as the event it reports (its signature), under each country it names.
    assert stories[0].event == "United Arab Emirates – OpenAI: agreement, 2025-09-26"
    assert markdown.count("— United Arab Emirates – OpenAI: agreement, 2025-09-26") == 2
    assert "Chatbot" not in markdown


def test_an_article_counts_on_the_day_dealwatch_first_saw_it(db: store.Database, save: Saver) -> None:
    save("https://late.example/mou", "Kenya and Microsoft sign MoU", "2025-09-26T23:30:00Z",
         [deal("KE", "Microsoft", "mou", "Kenya signed an MoU with Microsoft.")], published="2025-09-20T08:00:00Z")
    # 23:30 UTC is already 27 September in Nairobi, where the digest's day is counted.
    assert dg.build_digest(db, date(2025, 9, 26), "Africa/Nairobi").nothing_new
    assert dg.build_digest(db, date(2025, 9, 27), "Africa/Nairobi").new_deals[0].partner == "Microsoft"
    assert dg.build_digest(db, date(2025, 9, 20), "Africa/Nairobi", basis="published").new_deals


def test_hostile_article_text_is_escaped_in_html_markdown_and_atom(db: store.Database, save: Saver) -> None:
    save("https://evil.example/a?x=1&y=<2>", HOSTILE, "2025-09-26T10:00:00Z",
         [deal("KE", "Microsoft", "mou", 'Kenya signed <img src=x onerror=alert(1)> an MoU\x00 with Microsoft.')])
    save("javascript:alert(1)", "Kenya and Microsoft: more", "2025-09-26T11:00:00Z",
         [deal("KE", "Microsoft", "mou", "Kenya signed an MoU with Microsoft.")], source="odd")
    digest = dg.build_digest(db, date(2025, 9, 26), "UTC")

    page = dg.render_html(digest)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "javascript" not in page
    assert 'href="https://evil.example/a?x=1&amp;y=&lt;2&gt;"' in page
    assert "Content-Security-Policy" in page

    markdown = dg.render_markdown(digest)
    assert "<script>" not in markdown and r"\<script\>" in markdown
    assert "](<javascript" not in markdown

    atom = dg.render_atom([digest], "test", datetime(2025, 9, 27, tzinfo=timezone.utc))
    assert "<script" not in atom and "\x00" not in atom
    feed = feedparser.parse(atom.encode())
    assert not feed.bozo, feed.get("bozo_exception")
    content = feed.entries[0].content[0].value
    assert "&lt;script&gt;" in content and "<script" not in content


def test_the_atom_feed_has_one_stable_entry_per_day_with_news(db: store.Database, save: Saver) -> None:
    save("https://a.example/1", "Morocco and OpenAI hold talks", "2025-09-24T10:00:00Z",
         [deal("MA", "OpenAI", "talks", "They met.")])
    save("https://a.example/2", "Morocco signs MoU with Mistral AI", "2025-09-26T10:00:00Z",
         [deal("MA", "Mistral AI", "mou", "They signed an MoU.")])
    rendered = dg.render_formats(db, date(2025, 9, 26), SETTINGS, ("atom",), feed_key="k",
                                 now=datetime(2025, 9, 27, 7, tzinfo=timezone.utc))
    feed = feedparser.parse(rendered["atom"].encode())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["dealwatch digest 2025-09-26: 1 new deal, 0 stage changes, 1 new story",
                                              "dealwatch digest 2025-09-24: 1 new deal, 0 stage changes, 1 new story"]
    assert feed.entries[0].link.endswith("digest-2025-09-26.html")
    again = dg.render_formats(db, date(2025, 9, 26), SETTINGS, ("atom",), feed_key="k",
                              now=datetime(2025, 9, 28, tzinfo=timezone.utc))
    assert again == rendered  # rewriting later changes nothing a feed reader would mark unread
    other = dg.render_formats(db, date(2025, 9, 26), SETTINGS, ("atom",), feed_key="other",
                              now=datetime(2025, 9, 27, 7, tzinfo=timezone.utc))
    assert feedparser.parse(other["atom"].encode()).entries[0].id != feed.entries[0].id


def test_a_day_is_the_calendar_day_in_the_configured_time_zone() -> None:
    assert dg.day_window(date(2025, 9, 26), ZoneInfo("Africa/Casablanca")) == ("2025-09-25T23:00:00Z",
                                                                                 "2025-09-26T23:00:00Z")
    # The day clocks go back in Paris lasts 25 hours.
    assert dg.day_window(date(2025, 10, 26), ZoneInfo("Europe/Paris")) == ("2025-10-25T22:00:00Z",
                                                                            "2025-10-26T23:00:00Z")


def test_the_service_writes_yesterday_once_the_digest_time_has_passed() -> None:
    settings = DigestSettings(at="07:00", timezone="Africa/Casablanca")
    assert dg.latest_due_day(datetime(2025, 9, 27, 6, 30, tzinfo=timezone.utc), settings) == date(2025, 9, 26)
    assert dg.latest_due_day(datetime(2025, 9, 27, 5, 30, tzinfo=timezone.utc), settings) == date(2025, 9, 25)


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run CLI commands where no default config is found, so --db alone is used."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEALWATCH_CONFIG", raising=False)


@pytest.mark.usefixtures("no_config")
def test_digest_command_writes_files_or_prints_one_format(db: store.Database, save: Saver, tmp_path: Path) -> None:
    save("https://a.example/1", "Morocco signs MoU with Mistral AI", "2025-09-26T10:00:00Z",
         [deal("MA", "Mistral AI", "mou", "They signed an MoU.")])
    db_path = str(tmp_path / "digest.db")
    runner = CliRunner()
    printed = runner.invoke(main, ["digest", "--db", db_path, "--date", "2025-09-26", "--format", "md", "--out", "-"])
    assert printed.exit_code == 0, printed.output
    assert "**Morocco – Mistral AI**: mou" in printed.output

    out = tmp_path / "out"
    written = runner.invoke(main, ["digest", "--db", db_path, "--date", "2025-09-26", "--format", "json,html",
                                   "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in out.iterdir()) == ["digest-2025-09-26.html", "digest-2025-09-26.json"]
    assert json.loads((out / "digest-2025-09-26.json").read_text())["new_deals"][0]["partner"] == "Mistral AI"

    yesterday = runner.invoke(main, ["digest", "--db", db_path, "--date", "yesterday", "--format", "json", "--out", "-"])
    assert json.loads(yesterday.output)["day"] == (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()


@pytest.mark.usefixtures("no_config")
@pytest.mark.parametrize("args", [["--format", "pdf"], ["--date", "26/09/2025"], ["--format", "md,html", "--out", "-"]])
def test_digest_command_refuses_bad_usage_with_exit_2(db: store.Database, tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, ["digest", "--db", str(tmp_path / "digest.db"), *args])
    assert result.exit_code == 2


@pytest.mark.usefixtures("no_config")
def test_digest_of_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["digest", "--db", str(tmp_path / "none.db"), "--out", "-", "--format", "md"])
    assert result.exit_code == 2 and "no database yet" in result.output
    assert not (tmp_path / "none.db").exists()


def test_subnational_deals_are_listed_apart_with_their_body(db: store.Database, save: Saver) -> None:
    telangana = DealMention(country="IN", partner="Google", stage="mou", evidence="Telangana signed an MoU.",
                            level="subnational", body="Telangana")
    save("https://a.example/tg", "Telangana and Google sign MoU", "2025-09-26T10:00:00Z",
         [telangana, deal("IN", "Nvidia", "agreement", "India signed with Nvidia.")])
    digest = dg.build_digest(db, date(2025, 9, 26), "Africa/Casablanca")
    assert [d.partner for d in digest.new_deals] == ["Nvidia"]
    assert [(d.party, d.partner) for d in digest.subnational] == [("Telangana (India)", "Google")]
    markdown = dg.render_markdown(digest)
    assert "## Sub-national governments (1)" in markdown and "**Telangana (India) – Google**" in markdown
    assert "1 sub-national deal update" in digest.headline()
