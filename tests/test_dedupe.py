"""Story clustering: near-duplicates join one story, different deals and stages never do."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedupe import (
    DedupeSettings,
    StoryClusterer,
    StoryItem,
    cluster,
    is_same_story,
    pairwise_scores,
)

DEV_CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus/dev.jsonl"
NOW = datetime(2025, 9, 30, 12, tzinfo=timezone.utc)

KE_AGREEMENT = ("KE", "Microsoft", "agreement")
KE_TALKS = ("KE", "Microsoft", "talks")

ORIGINAL_TITLE = "Kenya and Microsoft agree $1bn geothermal data centre at Olkaria"
ORIGINAL_TEXT = """NAIROBI, May 22 - Kenya's government and Microsoft signed an agreement on Wednesday to build a
$1 billion data centre powered by geothermal energy at Olkaria, in the Rift Valley, officials said.

The campus will host a new Azure cloud region for East Africa and is due to open within two years, the ICT
ministry said in a statement. Abu Dhabi's G42 will build and operate the facility.

Under the agreement, the companies will also train local developers and release AI models in Kiswahili and
English. President William Ruto called the investment a vote of confidence in Kenya's digital economy.

Critics questioned how much of the facility's capacity state agencies would be required to buy."""

REWRITE_TITLE = "Microsoft, G42 pledge geothermal-powered cloud hub for East Africa"
REWRITE_TEXT = """Microsoft and G42 will spend $1 billion on a geothermal-powered data centre in Kenya, the
government announced, in one of the largest technology investments the country has attracted.

The facility at Olkaria in the Rift Valley will run a new Azure region serving East Africa. G42, based in Abu
Dhabi, is to build and operate it, and the ICT ministry expects it to open within two years.

The deal also covers training for Kenyan developers and AI models in Kiswahili. President Ruto described it
as a vote of confidence in the digital economy, while critics asked what capacity state agencies must buy."""

TALKS_TITLE = "Kenya and Microsoft hold talks on geothermal data centre at Olkaria"
TALKS_TEXT = """NAIROBI, May 20 - Kenya's government and Microsoft held talks on Monday about a $1 billion data
centre powered by geothermal energy at Olkaria, in the Rift Valley, officials said.

The campus would host a new Azure cloud region for East Africa, the ICT ministry said in a statement. Abu
Dhabi's G42 would build and operate the facility.

The companies would also train local developers and release AI models in Kiswahili and English. President
William Ruto called the discussions a vote of confidence in Kenya's digital economy."""

MA_BOILERPLATE = """The Ministry of Digital Transition and Administrative Reform said in a statement published in
Rabat that the kingdom intends to build a sovereign artificial intelligence ecosystem serving public services,
universities and start-ups, under the Digital Morocco 2030 strategy led by minister Amal El Fallah Seghrouchni."""
MA_MISTRAL_TITLE = "Morocco signs memorandum with Mistral AI on sovereign AI"
MA_MISTRAL_TEXT = (
    "Morocco signed a memorandum of understanding with Mistral AI on Thursday covering Arabic and Darija "
    "language models and training for engineers.\n\n" + MA_BOILERPLATE
)
MA_OPENAI_TITLE = "Morocco holds talks with OpenAI on sovereign AI"
MA_OPENAI_TEXT = (
    "Morocco held talks with OpenAI on Thursday about deploying ChatGPT in public administrations and "
    "building data centre capacity.\n\n" + MA_BOILERPLATE
)


def item(
    key: str, title: str, text: str, published: str | None, *keys: tuple[str, str, str], story_id: str | None = None
) -> StoryItem:
    """Return a StoryItem with the given deal keys (and story, for one already stored)."""
    return StoryItem(key, title, text, published, frozenset(keys), story_id)


def stories_of(predicted: dict[str, str]) -> set[frozenset[str]]:
    """Return the partition of keys that a key -> story mapping describes."""
    groups: dict[str, set[str]] = {}
    for key, story in predicted.items():
        groups.setdefault(story, set()).add(key)
    return {frozenset(group) for group in groups.values()}


def dev_items(with_keys: bool) -> tuple[list[StoryItem], dict[str, str]]:
    """Return the dev corpus as StoryItems (label deals as deal keys, or none) and its true stories."""
    if not DEV_CORPUS.is_file():
        pytest.skip(f"{DEV_CORPUS} is absent")
    rows = [json.loads(line) for line in DEV_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [
        StoryItem(
            key=row["id"],
            title=row["title"],
            text=row["text"],
            published_at=row["published"],
            deal_keys=frozenset(
                (deal["country"], deal["partner"], deal["stage"]) for deal in row["labels"]["deals"]
            )
            if with_keys
            else frozenset(),
        )
        for row in rows
    ]
    return items, {row["id"]: row["story"] for row in rows}


@pytest.mark.parametrize("with_keys", [True, False], ids=["label-deal-keys", "text-alone"])
def test_dev_corpus_story_pairs_meet_the_targets(with_keys: bool) -> None:
    items, truth = dev_items(with_keys)
    precision, recall, _ = pairwise_scores(cluster(items), truth)
    assert precision >= 0.97
    assert recall >= 0.90


def test_dev_corpus_stories_do_not_depend_on_arrival_order() -> None:
    items, _ = dev_items(with_keys=True)
    shuffled = items[:]
    random.Random(3).shuffle(shuffled)
    assert stories_of(cluster(shuffled)) == stories_of(cluster(items))


def test_wire_copy_under_a_new_headline_joins_the_story() -> None:
    original = item("a", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22T09:00:00Z", KE_AGREEMENT)
    copy = item("b", "East Africa gets its first Azure region", ORIGINAL_TEXT, "2024-05-22T15:30:00Z", KE_AGREEMENT)
    assert cluster([original, copy]) == {"a": "a", "b": "a"}


def test_outlet_rewrite_joins_the_story_and_stays_joined_without_deal_keys() -> None:
    original = item("a", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22", KE_AGREEMENT)
    rewrite = item("b", REWRITE_TITLE, REWRITE_TEXT, "2024-05-23", KE_AGREEMENT)
    assert cluster([original, rewrite]) == {"a": "a", "b": "a"}
    assert is_same_story(replace(original, deal_keys=frozenset()), replace(rewrite, deal_keys=frozenset()))


def test_teaser_copy_with_the_same_headline_joins_the_story() -> None:
    original = item("a", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22")
    teaser = item("b", ORIGINAL_TITLE, ORIGINAL_TEXT.split(" to build")[0], "2024-05-22")
    assert cluster([original, teaser]) == {"a": "a", "b": "a"}
    # For the word test the headline is what carries it: the teaser's few words alone are not enough...
    words_only = DedupeSettings(title_score=101.0, event_score=9.0, loose_score=9.0)
    assert not is_same_story(original, teaser, words_only)
    # ...but the lead's trigrams and anchors (Kenya, Microsoft, Olkaria, NAIROBI) still say one event.
    assert is_same_story(original, teaser, DedupeSettings(title_score=101.0))


def test_same_deal_at_a_new_stage_is_a_new_story() -> None:
    talks = item("talks", TALKS_TITLE, TALKS_TEXT, "2024-05-20", KE_TALKS)
    signed = item("signed", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22", KE_AGREEMENT)
    # The texts alone would merge them: the stage in the deal keys is what keeps them apart.
    assert is_same_story(replace(talks, deal_keys=frozenset()), replace(signed, deal_keys=frozenset()))
    assert not is_same_story(talks, signed)
    assert cluster([talks, signed]) == {"talks": "talks", "signed": "signed"}


def test_a_translation_of_the_same_deal_and_stage_joins_the_story() -> None:
    original = item("en", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22", KE_AGREEMENT)
    french = item("fr", "Le Kenya et Microsoft s'accordent sur un centre de données géothermique",
                  "Le gouvernement kényan et Microsoft ont conclu mercredi un accord pour construire à Olkaria un "
                  "centre de données alimenté par la géothermie, a annoncé la présidence.", "2024-05-23", KE_AGREEMENT)
    # No shared words needed: the signature agrees (Kenya, Microsoft, agreement) and the leads share trigrams
    # and anchors; even without any deal key the anchors and trigrams are enough here.
    assert not is_same_story(original, french, DedupeSettings(text_score=101.0, title_score=101.0,
                                                              same_deal_days=0.0, event_score=9.0, loose_score=9.0))
    assert is_same_story(replace(original, deal_keys=frozenset()), replace(french, deal_keys=frozenset()))
    assert cluster([original, french]) == {"en": "en", "fr": "en"}
    weeks_later = replace(french, key="later", published_at="2024-06-20")
    assert cluster([original, weeks_later]) == {"en": "en", "later": "later"}


def test_same_deal_months_apart_is_a_new_story_even_without_deal_keys() -> None:
    march = item("march", ORIGINAL_TITLE, ORIGINAL_TEXT, "2025-03-10")
    september = item("september", ORIGINAL_TITLE, ORIGINAL_TEXT, "2025-09-12")
    assert cluster([march, september]) == {"march": "march", "september": "september"}


def test_two_deals_of_one_country_on_the_same_day_are_two_stories() -> None:
    mistral = item("mistral", MA_MISTRAL_TITLE, MA_MISTRAL_TEXT, "2025-09-25", ("MA", "Mistral AI", "mou"))
    openai = item("openai", MA_OPENAI_TITLE, MA_OPENAI_TEXT, "2025-09-25", ("MA", "OpenAI", "talks"))
    assert is_same_story(replace(mistral, deal_keys=frozenset()), replace(openai, deal_keys=frozenset()))
    assert not is_same_story(mistral, openai)
    assert cluster([mistral, openai]) == {"mistral": "mistral", "openai": "openai"}


def test_an_article_without_deal_keys_cannot_bridge_two_stages_into_one_story() -> None:
    talks = item("talks", TALKS_TITLE, TALKS_TEXT, "2024-05-20", KE_TALKS)
    unknown = item("unknown", TALKS_TITLE, TALKS_TEXT + "\n\n" + ORIGINAL_TEXT, "2024-05-21")
    signed = item("signed", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-21T12:00:00Z", KE_AGREEMENT)
    stories = cluster([talks, unknown, signed])
    assert stories["unknown"] == "talks"
    assert is_same_story(unknown, signed)
    assert stories["signed"] == "signed"


def filler(day: int) -> StoryItem:
    """Return an unrelated stored article published on 2024-05-<day>."""
    return item(f"x{day}", f"Filler {day}", f"Unrelated report number {day}.", f"2024-05-{day:02d}", story_id=f"x{day}")


def test_out_of_order_arrival_joins_a_newer_article_already_held() -> None:
    clusterer = StoryClusterer(now=NOW)
    rewrite = item("rewrite", REWRITE_TITLE, REWRITE_TEXT, "2024-05-23", KE_AGREEMENT)
    assert clusterer.assign(rewrite) is None
    clusterer.add(replace(rewrite, story_id="s1"))
    original = item("original", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22", KE_AGREEMENT)
    assert clusterer.assign(original) == "s1"


@pytest.mark.parametrize(("late_days", "expected"), [(3.0, "s1"), (0.0, None)])
def test_late_arrival_sees_its_window_for_late_days_behind_the_newest(late_days: float, expected: str | None) -> None:
    clusterer = StoryClusterer(DedupeSettings(window_days=3.0, late_days=late_days), now=NOW)
    clusterer.add(item("original", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-20", KE_AGREEMENT, story_id="s1"))
    for day in range(21, 26):  # newer, unrelated articles move the newest time to May 25
        clusterer.add(filler(day))
    late = item("late", REWRITE_TITLE, REWRITE_TEXT, "2024-05-22", KE_AGREEMENT)  # 3 days behind the newest
    assert clusterer.assign(late) == expected


def test_held_articles_are_evicted_once_the_window_has_passed() -> None:
    clusterer = StoryClusterer(DedupeSettings(window_days=3.0, late_days=3.0), now=NOW)
    stored = item("original", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-02", story_id="s1")
    clusterer.add(stored)
    for day in range(3, 31):
        clusterer.add(filler(day))
    assert len(clusterer) == 7  # the newest day plus window_days + late_days behind it
    copy = item("copy", REWRITE_TITLE, REWRITE_TEXT, "2024-05-03")
    assert clusterer.assign(copy) is None
    clusterer.preload([stored])  # the caller preloads the window of an article that arrives this late
    assert clusterer.assign(copy) == "s1"


def test_preloaded_stories_are_joined_across_runs() -> None:
    first_run = cluster([item("a", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22", KE_AGREEMENT)])
    stored = item("a", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22", KE_AGREEMENT)
    second_run = StoryClusterer(now=NOW)
    second_run.preload([replace(stored, story_id=first_run["a"])])
    assert second_run.assign(item("b", REWRITE_TITLE, REWRITE_TEXT, "2024-05-23", KE_AGREEMENT)) == "a"
    assert second_run.assign(stored) == "a"  # an article already held keeps its story


def test_a_story_republished_by_many_outlets_stays_one_story() -> None:
    copies = [
        item(f"c{n}", ORIGINAL_TITLE, f"{ORIGINAL_TEXT}\n\nReported by outlet {n}.", f"2024-05-22T{n % 24:02d}:00:00Z")
        for n in range(60)
    ]
    assert len(set(cluster(copies).values())) == 1


def test_missing_publication_time_counts_as_now() -> None:
    today = NOW.date().isoformat()
    undated = item("undated", ORIGINAL_TITLE, ORIGINAL_TEXT, None)
    assert is_same_story(undated, item("today", REWRITE_TITLE, REWRITE_TEXT, today), now=NOW)
    assert not is_same_story(undated, item("old", REWRITE_TITLE, REWRITE_TEXT, "2024-05-23"), now=NOW)


def test_holding_an_article_without_a_story_is_refused() -> None:
    with pytest.raises(ValueError, match="story_id"):
        StoryClusterer(now=NOW).add(item("a", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-22"))


def test_settings_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValueError, match="window_days"):
        DedupeSettings(window_days=-1.0)
    with pytest.raises(ValueError, match="min_shared_words"):
        DedupeSettings(min_shared_words=0)


def test_pairwise_scores_count_pairs_inside_clusters() -> None:
    truth = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "3"}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z"}
    # predicted pairs: a-b (right), c-d (wrong); true pairs: a-b, a-c, b-c.
    assert pairwise_scores(predicted, truth) == pytest.approx((0.5, 1 / 3, 0.4))
    assert pairwise_scores({}, truth) == pytest.approx((1.0, 0.0, 0.0))


WORDS = ["kenya", "microsoft", "olkaria", "geothermal", "azure", "signed", "talks", "cloud", "region", "ruto"]
DEALS = [KE_AGREEMENT, KE_TALKS, ("MA", "OpenAI", "talks"), ("MA", "Mistral AI", "mou")]
story_items = st.builds(
    StoryItem,
    key=st.text(min_size=1, max_size=3),
    title=st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join),
    text=st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join),
    published_at=st.one_of(st.none(), st.sampled_from(["2025-09-25", "2025-09-26T10:00:00Z", "2025-09-30"])),
    deal_keys=st.frozensets(st.sampled_from(DEALS), max_size=2),
)


@settings(deadline=None, max_examples=200)
@given(story_items, story_items)
def test_same_story_is_symmetric(first: StoryItem, second: StoryItem) -> None:
    assert is_same_story(first, second, now=NOW) == is_same_story(second, first, now=NOW)


def test_a_story_vetoes_by_the_deal_keys_of_the_members_it_still_holds() -> None:
    clusterer = StoryClusterer(DedupeSettings(window_days=3.0, late_days=3.0), now=NOW)
    for copy in range(50):  # many members with one set of deal keys weigh no more than one
        clusterer.add(item(f"talks{copy}", TALKS_TITLE, TALKS_TEXT, "2024-05-02", KE_TALKS, story_id="s1"))
    clusterer.add(item("unknown", TALKS_TITLE, TALKS_TEXT + "\n\n" + ORIGINAL_TEXT, "2024-05-05", story_id="s1"))
    signed = item("signed", ORIGINAL_TITLE, ORIGINAL_TEXT, "2024-05-05T12:00:00Z", KE_AGREEMENT)
    assert clusterer.assign(signed) is None  # the talks members forbid an agreement in their story
    for day in range(6, 10):
        clusterer.add(filler(day))  # the talks members (May 2) leave the window; "unknown" (May 5) stays
    assert clusterer.assign(signed) == "s1"
