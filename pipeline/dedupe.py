"""Story clustering: group near-duplicate articles (wire copies, rewrites, shortened versions) into stories.

Pure and in-memory: the caller hands in `StoryItem`s (stored ones through `preload`, new ones through
`assign` then `add`) and gets story ids back; nothing here touches the database or the network.

How a new article finds its story (cost per article bounded by the articles held in its time window,
never by the size of the database):

1. Blocking. Held articles sit in one-day buckets with an inverted index of their content words
   (title and the first `lead_chars` of the body) and of their (country, partner) deal keys. Candidates
   are the held articles published within `window_days` that share a key used by at most `rare_df`
   articles of that window (or one of the article's `min_block_keys` rarest keys, read `rare_df` deep,
   so that a story republished by many outlets is still found); the `max_candidates` sharing the most
   keys are scored. Expired days are evicted as newer articles are added.
2. Scoring. Copies: the Dice overlap of the stemmed content words of title and lead (rapidfuzz Indel on
   sorted word sets) reaches `text_score`, or `title_text_score` with titles `title_score` alike (a teaser).
   Independent reports and translations: each article has an `EventSignature` (acting states, bodies and
   partners from deals and candidates, stage, date, numbers and names as anchors); when the parties agree
   (a shared state and partner, at most `max_extra_parties` more on a side) the evidence, trigram cosine of
   the leads plus `anchor_weight` per shared anchor, must reach `event_score`; when one side names no
   parties but its words name the other's partner, `named_score`; when one side names no parties, or
   both share a state and a partner but one names more others, it must reach `loose_score`, with
   `min_anchors` anchors and a `loose_cosine` cosine.
3. Guards, pair and story: disjoint states, bodies or partners, or every shared deal at another stage,
   keep two articles apart; a newcomer must also match the story's earliest held member (or agree with
   its parties), so no vague member bridges two stories, and no member's deals may be at another stage.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import date, datetime, timezone
from itertools import chain, islice

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from pipeline.models import Classification

LOGGER = logging.getLogger(__name__)

DealKey = tuple[str, str, str]  # (country, partner, stage)
DealMap = Mapping[tuple[str, str], frozenset[str]]  # (country, partner) -> stages
MAX_STORY_SIGNATURES = 32  # distinct deal-key sets of one story a new article is checked against

# Function words of the corpus languages (en, fr, es): shared by every article, so they say nothing
# about which story an article belongs to.
STOPWORDS = frozenset(
    """
    a about above after again against ago all also am amid among an and any are around as at be because been
    before being below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how however i if in into is it its itself just last may me
    might more most much must my new no nor not now of off on once one only or other our out over own per said
    same says she should since so some such than that the their them then there these they this those through
    to too two under until up upon us very via was we were what when where which while who whom why will with
    within without would year years yet you your
    au aux avec ce ces cette dans de des du elle elles en est et il ils la le les leur leurs mais ne nous ou
    par pas plus pour qu que qui sa se ses son sont sur un une ete etre
    al como con del el es esta este las los para por se su sus una uno
    """.split()
)
_WORD_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_COMBINING_RE = re.compile("[\u0300-\u036f]+")  # the accents NFKD splits off Latin letters
_DEAL_TOKEN_PREFIX = "\x00deal:"
_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class DedupeSettings:
    """Story clustering thresholds; the defaults were measured on the dev corpus and the bench corpus."""

    window_days: float = 7.0  # two articles further apart than this are never one story (weeklies, late rewrites)
    vague_days: float = 3.0  # ...nor, further apart than this, two whose parties cannot be compared (one names none)
    late_days: float = 3.0  # an article this far behind the newest one still sees all its candidates
    lead_chars: int = 1000  # body characters compared; rewrites diverge after the opening paragraphs
    stem_chars: int = 5  # words are cut to this prefix so "signs"/"signed", "Kenya"/"Kenyan" match
    rare_df: int = 20  # a blocking key used by more articles of the window is common: not read...
    min_block_keys: int = 8  # ...unless it is among the article's rarest keys (then only rare_df are read)
    max_candidates: int = 30  # candidates scored per article, those sharing the most rare keys first
    text_score: float = 36.0  # word overlap (Dice, 0-100) of title + lead from which two articles are one story
    title_score: float = 85.0  # title ratio (0-100) from which a lower overlap is enough: a teaser-only copy
    title_text_score: float = 20.0  # the overlap still needed when the titles are that close
    min_shared_words: int = 5  # fewer shared content words is chance (template headlines)
    same_deal_days: float = 2.0  # identical (country, partner, stage) keys this close are one event, in any language
    gram_chars: int = 300  # body characters whose trigrams are compared (with the title): the lead says the event
    anchor_chars: int = 6  # names are cut to this prefix ("Kabogo's", "Kabogo")
    anchor_weight: float = 0.06  # event evidence per shared anchor, added to the trigram cosine...
    max_anchors: int = 5  # ...for at most this many anchors
    event_score: float = 0.35  # evidence from which two articles whose parties agree are one event
    loose_score: float = 0.6  # evidence needed when the parties cannot be compared (one side names none)
    min_anchors: int = 3  # shared anchors also needed then...
    loose_cosine: float = 0.4  # ...and this trigram cosine: a roundup shares many anchors with each event it retells
    max_extra_parties: int = 1  # parties one side may name beyond the other's and still agree (a spurious one)
    named_score: float = 0.4  # evidence needed when one side names no parties but its text names the other's partner

    def __post_init__(self) -> None:
        """Refuse settings that would make every article its own story or every pair one story."""
        for name in ("window_days", "vague_days", "late_days", "text_score", "title_score", "title_text_score", "same_deal_days",
                     "anchor_weight", "event_score", "loose_score", "loose_cosine"):
            if getattr(self, name) < 0:
                raise ValueError(f"dedupe setting {name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("lead_chars", "stem_chars", "rare_df", "max_candidates", "min_shared_words", "gram_chars",
                     "anchor_chars", "max_anchors"):
            if getattr(self, name) < 1:
                raise ValueError(f"dedupe setting {name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("min_block_keys", "min_anchors", "max_extra_parties"):
            if getattr(self, name) < 0:
                raise ValueError(f"dedupe setting {name} must be >= 0, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class StoryItem:
    """One article as the clusterer sees it: its id, text, publication time, deal keys and story (if stored)."""

    key: str  # article id
    title: str
    text: str
    published_at: str | None  # ISO 8601 date or datetime, UTC; None means "now"
    deal_keys: frozenset[DealKey] = frozenset()  # (country, partner, stage) from the classifier
    story_id: str | None = None  # set for items already stored in a story
    candidate_keys: frozenset[DealKey] = frozenset()  # lower-confidence pairs: evidence of the parties, never a veto
    bodies: frozenset[str] = frozenset()  # sub-national governments acting ("Telangana"), from deals and candidates
    event_date: str | None = None  # YYYY-MM-DD of the deal's event when the classifier found one


@dataclass(frozen=True)
class EventSignature:
    """What an article says happened, in terms that survive rewording and translation."""

    states: frozenset[str]  # ISO codes of the acting states, from deals and candidates
    bodies: frozenset[str]  # normalised names of acting sub-national governments
    partners: frozenset[str]  # canonical partner names, from deals and candidates
    stage: str | None  # the furthest stage among the confident deals
    day: str | None  # the event date, else the publication date (YYYY-MM-DD)
    anchors: frozenset[str]  # numbers and capitalised names of title and lead, accent-folded and cut
    event_day: str | None = None  # the event date the text itself gives, if any


@dataclass(frozen=True, eq=False)
class _Features:
    """What the scorer and the index need from one item, computed once."""

    key: str
    story_id: str  # "" until the item is assigned to a story
    day: float  # days since the epoch, UTC
    title: str  # normalised content words of the title, in order
    words: tuple[str, ...]  # sorted distinct stemmed content words of the title and the lead
    deals: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (country, partner) -> stages
    source: tuple[str, str] = ("", "")  # (title, text) the features came from, to reuse them in `add`
    event: EventSignature = EventSignature(frozenset(), frozenset(), frozenset(), None, None, frozenset())
    lead: str = ""  # title and the first gram_chars of the body, whose trigrams are compared
    stem_chars: int = 5  # the prefix words were cut to

    @cached_property
    def grams(self) -> dict[str, float]:
        """Return the lead's trigram vector, built on first use: most pairs are settled before it is needed."""
        return _trigrams(self.lead)

    @cached_property
    def name_grams(self) -> dict[str, float]:
        """Return the trigram vector of the lead's names and numbers: what a translation keeps of it."""
        return _trigrams(" ".join(token for token in _TOKEN_RE.findall(self.lead) if not token[0].islower()))

    @cached_property
    def word_set(self) -> frozenset[str]:
        """Return the stemmed content words of title and lead as a set, built on first use."""
        return frozenset(self.words)

    @cached_property
    def partner_words(self) -> tuple[frozenset[str], ...]:
        """Return the stemmed content words of each partner's name ("Mistral AI" -> {"mistr"})."""
        return tuple(frozenset(_stem(word, self.stem_chars) for word in _words(_normalise(partner)))
                     for partner in sorted(self.event.partners))

    def signature(self) -> frozenset[tuple[tuple[str, str], frozenset[str]]]:
        """Return the item's deal keys as one hashable value: members with equal ones veto alike."""
        return frozenset(self.deals.items())

    def blocking_keys(self) -> tuple[str, ...]:
        """Return the index keys of this item: its content words and its (country, partner) pairs."""
        pairs = self.deals.keys() | {(state, partner) for state in self.event.states for partner in self.event.partners}
        return self.words + tuple(sorted(f"{_DEAL_TOKEN_PREFIX}{country}|{partner}" for country, partner in pairs))


@dataclass
class _Story:
    """What a new article is checked against before it joins a story: its first member and its members' deals."""

    members: dict[str, _Features]  # held members by key, in the order they were held
    representative: _Features  # the earliest held member: every newcomer must match it, so no chain drifts away
    # How many held members carry each distinct set of deal keys: thousands of copies of one story
    # share a handful of sets, so the stage check costs the same whatever the story's size.
    deal_sets: Counter[frozenset[tuple[tuple[str, str], frozenset[str]]]] = field(default_factory=Counter)


@dataclass
class _Bucket:
    """The held items published on one UTC day, with their inverted index."""

    items: list[_Features] = field(default_factory=list)
    postings: dict[str, list[_Features]] = field(default_factory=dict)


def _normalise(text: str) -> str:
    """Return text lower-cased with accents removed, so "Émirats" and "emirats" compare equal."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _COMBINING_RE.sub("", unicodedata.normalize("NFKD", folded))


def _words(normalised: str) -> list[str]:
    """Return the content words of normalised text, in order and unstemmed: numbers and non-stopwords."""
    return [
        word
        for word in _WORD_RE.findall(normalised)
        if (len(word) > 1 if word[0].isdigit() else len(word) > 2 and word not in STOPWORDS)
    ]


def _stem(word: str, stem_chars: int) -> str:
    """Return word cut to stem_chars, numbers whole."""
    return word if word[0].isdigit() else word[:stem_chars]


_STAGE_ORDER = ("talks", "mou", "agreement", "launched", "stalled")
_SENTENCE_RE = re.compile(r"(?<=[.!?:])\s+|\n+")
_TOKEN_RE = re.compile(r"[^\W_][\w'’-]*")
_NUMBER_RE = re.compile(r"\d(?:[\d.,  ]*\d)?")


def _anchors(text: str, anchor_chars: int) -> frozenset[str]:
    """Return the language-independent anchors of text: numbers and names capitalised inside a sentence.

    Numbers keep their digits only ("20,000", "20.000" and "20 000" agree) and lose trailing zeros
    ("1.5 billion" and "1,5 milliard" agree); years are left out, most articles of a window share them.
    Names are accent-folded and cut to anchor_chars, so "Kabogo" and "Kabogo's" agree.
    """
    found: set[str] = set()
    for number in _NUMBER_RE.findall(text):
        digits = re.sub(r"\D", "", number)
        if len(digits) >= 2 and not (len(digits) == 4 and digits[:2] in ("19", "20")):
            found.add("#" + (digits.rstrip("0") or "0"))
    for sentence in _SENTENCE_RE.split(text):
        for token in _TOKEN_RE.findall(sentence)[1:]:
            if token[0].isupper():
                name = _normalise(re.split(r"['’]", token)[0] if len(token.split("'")[0]) > 2 else token)
                if len(name) > 2 and name not in STOPWORDS:
                    found.add(name[:anchor_chars])
    return frozenset(found)


def _trigrams(text: str) -> dict[str, float]:
    """Return the unit-length vector of character trigrams of text's content words (padded with spaces).

    Trigrams of content words survive inflection and translation of names ("Kenya"/"Kenia",
    "memorandum"/"memorando") where whole words do not.
    """
    counts: Counter[str] = Counter()
    for word in _words(_normalise(text)):
        padded = f" {word} "
        counts.update(padded[index : index + 3] for index in range(len(padded) - 2))
    norm = math.sqrt(sum(value * value for value in counts.values())) or 1.0
    return {gram: value / norm for gram, value in counts.items()}


def _cosine(first: Mapping[str, float], second: Mapping[str, float]) -> float:
    """Return the cosine of two unit-length vectors."""
    if len(second) < len(first):
        first, second = second, first
    return sum(value * second.get(gram, 0.0) for gram, value in first.items())


def event_signature(item: StoryItem, anchor_chars: int = 6, lead_chars: int = 1000) -> EventSignature:
    """Return the event signature of an article: its parties, stage, date and anchors."""
    pairs = item.deal_keys | item.candidate_keys
    stages = [stage for _, _, stage in item.deal_keys if stage in _STAGE_ORDER]
    return EventSignature(
        states=frozenset(country for country, _, _ in pairs),
        bodies=frozenset(_normalise(body) for body in item.bodies),
        partners=frozenset(partner for _, partner, _ in pairs),
        stage=max(stages, key=_STAGE_ORDER.index) if stages else None,
        day=item.event_date or (item.published_at or "")[:10] or None,
        anchors=_anchors(f"{item.title}.\n{item.text[:lead_chars]}", anchor_chars) - _name_anchors(pairs, anchor_chars),
        event_day=item.event_date,
    )


def _name_anchors(pairs: Iterable[DealKey], anchor_chars: int) -> frozenset[str]:
    """Return the anchors the parties' own names make: the signature already compares those."""
    return frozenset(_normalise(word)[:anchor_chars] for _, partner, _ in pairs for word in partner.split())


def _parse_day(published_at: str | None, now: datetime) -> float:
    """Return the publication time as days since the epoch (UTC); None or unparseable means now."""
    moment = now
    if published_at:
        try:
            moment = datetime.fromisoformat(published_at.strip())
        except ValueError:
            try:
                moment = datetime.combine(date.fromisoformat(published_at.strip()[:10]), datetime.min.time())
            except ValueError:
                LOGGER.debug("unparseable published_at %r, treated as now", published_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp() / _SECONDS_PER_DAY


def _features(item: StoryItem, settings: DedupeSettings, now: datetime) -> _Features:
    """Return the comparison features of one item."""
    title_words = _words(_normalise(item.title))
    lead_words = _words(_normalise(item.text[: settings.lead_chars]))
    deals: dict[tuple[str, str], frozenset[str]] = {}
    for country, partner, stage in item.deal_keys:
        deals[(country, partner)] = deals.get((country, partner), frozenset()) | {stage}
    return _Features(
        key=item.key,
        story_id=item.story_id or "",
        day=_parse_day(item.published_at, now),
        title=" ".join(title_words),
        words=tuple(sorted({_stem(word, settings.stem_chars) for word in title_words + lead_words})),
        deals=deals,
        source=(item.title, item.text),
        event=event_signature(item, settings.anchor_chars, settings.lead_chars),
        lead=f"{item.title}\n{item.text[: settings.gram_chars]}",
        stem_chars=settings.stem_chars,
    )


_DAY_NUMBER = re.compile(r"#(?:[1-9]|[12]\d|3[01])")


def _parties_conflict(first: EventSignature, second: EventSignature) -> bool:
    """Return True when both articles name acting states, sub-national bodies or partners and none are shared."""
    return (
        _disjoint(first.states, second.states)
        or _disjoint(first.bodies, second.bodies)
        or _disjoint(first.partners, second.partners)
    )


def _body_slip(first: EventSignature, second: EventSignature, max_extra: int) -> bool:
    """Return True when only the sub-national bodies differ on one dated event: one report read the wrong region."""
    return (not _disjoint(first.states, second.states) and not _disjoint(first.partners, second.partners)
            and _same_dated_event(first, second, max_extra))


def _disjoint(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """Return True when both sets are non-empty and share nothing."""
    return bool(mine) and bool(theirs) and mine.isdisjoint(theirs)


def _parties_agree(first: EventSignature, second: EventSignature, max_extra: int) -> bool:
    """Return True when both articles name a shared state and a shared partner, each at most max_extra beyond."""
    for mine, theirs in ((first.states, second.states), (first.partners, second.partners)):
        if not mine & theirs or len(mine - theirs) > max_extra or len(theirs - mine) > max_extra:
            return False
    return True


def _parties_overlap(first: EventSignature, second: EventSignature) -> bool:
    """Return True when both articles name a shared state and a shared partner, whatever else they name."""
    return bool(first.states & second.states and first.partners & second.partners)


def _stages_conflict(first: DealMap, second: DealMap) -> bool:
    """Return True when two articles share deals and every shared deal is at another stage: a new step."""
    if first == second:
        return False
    shared = first.keys() & second.keys()
    return bool(shared) and all(first[pair] != second[pair] for pair in shared)


def _same_dated_event(first: EventSignature, second: EventSignature, max_extra: int) -> bool:
    """Return True when both texts date their event to the same day and name the same parties.

    Then a stage that differs is a tagging slip (one report reads the signing as a memorandum, the
    other as an agreement), not a new step of the deal: steps of one deal fall on different days.
    """
    return (first.event_day is not None and first.event_day == second.event_day
            and _parties_agree(first, second, max_extra))


def _vetoed(first: _Features, second: _Features, max_extra: int) -> bool:
    """Return True when the signatures say two articles report different events."""
    if _parties_conflict(first.event, second.event) and not _body_slip(first.event, second.event, max_extra):
        return True
    if _stages_conflict(first.deals, second.deals) and not _same_dated_event(first.event, second.event, max_extra):
        return True
    # Confident deals with no pair in common are two deals unless the candidates show the same parties.
    return (
        bool(first.deals and second.deals)
        and not first.deals.keys() & second.deals.keys()
        and not (first.event.states & second.event.states and first.event.partners & second.event.partners)
    )


def _text_score(first: _Features, second: _Features, settings: DedupeSettings) -> float | None:
    """Return the word overlap (0-100) when the two texts are copies of one report, else None."""
    # On sorted distinct words the Indel (LCS) similarity is the Dice overlap of the two word sets.
    overlap = 100.0 * Indel.normalized_similarity(first.words, second.words)
    if overlap * (len(first.words) + len(second.words)) < 200.0 * settings.min_shared_words:
        return None
    if overlap >= settings.text_score:
        return overlap
    if (
        overlap >= settings.title_text_score
        and first.title
        and second.title
        and fuzz.token_sort_ratio(first.title, second.title) >= settings.title_score
    ):
        return overlap
    return None


def _event_score(first: _Features, second: _Features, settings: DedupeSettings) -> float | None:
    """Return 100 x the evidence when two independently written reports tell one event, else None."""
    shared = len(first.event.anchors & second.event.anchors)
    late = abs(first.day - second.day) > settings.vague_days
    if late and not (first.deals == second.deals or _same_dated_event(first.event, second.event,
                                                                      settings.max_extra_parties)):
        return None  # a report days later must tell the same deals, or date the same event
    if _parties_agree(first.event, second.event, settings.max_extra_parties):
        needed, cosine_floor = settings.event_score, 0.0
    elif late:
        return None  # a late report must name the parties that make it the same event
    elif _names_partner_of(first, second) or _names_partner_of(second, first):
        # The classifier found no parties in one report, but its words name the other's partner. Such a
        # report is often a short translation, whose names and numbers are what it shares with the other.
        cosine = max(_cosine(first.grams, second.grams), _cosine(first.name_grams, second.name_grams))
        evidence = cosine + settings.anchor_weight * min(shared, settings.max_anchors)
        # A name or number of the event must recur: the same partner in another story shares none, and a
        # day of the month ("#21" of two datelines) is no such number.
        telling = [a for a in first.event.anchors & second.event.anchors if not _DAY_NUMBER.fullmatch(a)]
        return 100.0 * evidence if evidence >= settings.named_score and telling else None
    elif shared >= settings.min_anchors and (
        not (_named_parties(first) and _named_parties(second)) or _parties_overlap(first.event, second.event)
    ):
        # One side names no parties, or more than one party beyond the other's (a roundup-style list, or
        # several spurious ones): the text alone must say it, and strongly.
        needed, cosine_floor = settings.loose_score, settings.loose_cosine
    else:
        return None  # both name parties that do not agree: only the word overlap may join them
    cosine = _cosine(first.grams, second.grams)
    evidence = cosine + settings.anchor_weight * min(shared, settings.max_anchors)
    return 100.0 * evidence if evidence >= needed and cosine >= cosine_floor else None


def _names_partner_of(vague: _Features, named: _Features) -> bool:
    """Return True when vague names no parties and its title and lead name a partner of named, which names both."""
    if vague.event.states or vague.event.partners or not _named_parties(named):
        return False
    return any(words and words <= vague.word_set for words in named.partner_words)


def _named_parties(features: _Features) -> bool:
    """Return True when the article names both a state and a partner."""
    return bool(features.event.states and features.event.partners)


def _score(first: _Features, second: _Features, settings: DedupeSettings) -> float | None:
    """Return how strongly two items are one story (higher is closer), or None when they are not."""
    if abs(first.day - second.day) > settings.window_days or _vetoed(first, second, settings.max_extra_parties):
        return None
    if (
        first.deals
        and first.deals == second.deals
        and abs(first.day - second.day) <= settings.same_deal_days
        and _parties_agree(first.event, second.event, settings.max_extra_parties)
    ):
        # One deal reaching one stage is one event: a translation or a rewrite sharing few words still matches.
        return settings.text_score
    text = _text_score(first, second, settings)
    return text if text is not None else _event_score(first, second, settings)


def story_item(key: str, title: str, text: str, published_at: str | None,
               classification: Classification | None, story_id: str | None = None) -> StoryItem:
    """Return the clustering view of a classified article: its deals, candidates, bodies and event date."""
    deals = classification.deals if classification else []
    candidates = classification.candidates if classification else []
    dates = sorted(mention.event_date for mention in deals + candidates if mention.event_date)
    return StoryItem(
        key=key, title=title, text=text, published_at=published_at, story_id=story_id,
        deal_keys=frozenset((mention.country, mention.partner, mention.stage) for mention in deals),
        candidate_keys=frozenset((mention.country, mention.partner, mention.stage) for mention in candidates),
        bodies=frozenset(mention.body for mention in deals + candidates if mention.body),
        event_date=dates[0] if dates else None,
    )


def is_same_story(
    first: StoryItem, second: StoryItem, settings: DedupeSettings = DedupeSettings(), now: datetime | None = None
) -> bool:
    """Return True when two articles are close enough to be one story (no blocking: the pair test alone)."""
    moment = now or datetime.now(timezone.utc)
    return _score(_features(first, settings, moment), _features(second, settings, moment), settings) is not None


class StoredStories:
    """The stored articles of a run's story windows, indexed once, which each batch's clusterer reads in place.

    A run (or an import) clusters each batch against the stored articles of its window. Preloading
    that window into a new clusterer for every batch cost each batch the whole window, so a run was
    quadratic in its size. This holds each stored article's features once, in day buckets, ordered
    by (time, id), and `clusterer` gives a batch a StoryClusterer that reads the buckets of its days
    in place, backwards, in the order the window query returns them (newest first, then highest id):
    it assigns exactly as one that had preloaded the same articles in that order. Keys are article ids.
    """

    def __init__(self, settings: DedupeSettings = DedupeSettings(), now: datetime | None = None) -> None:
        self.settings = settings
        self.now = now or datetime.now(timezone.utc)
        self.computed = 0  # features computed, for tests and benches
        self.last_id: int | None = None  # the caller's bookmark: the highest article id it has read
        self._days: dict[int, _Bucket] = {}  # loaded days (days since the epoch), each holding all its articles
        self._features: dict[str, _Features] = {}
        self._order: dict[str, tuple[str, int]] = {}  # key -> (time, id), the order of every list below
        self._stories: dict[str, list[_Features]] = {}  # story id -> held members
        self._expected: dict[StoryItem, _Features] = {}  # features of the articles a batch is storing, by content

    def __len__(self) -> int:
        """Return the number of stored articles held."""
        return len(self._features)

    def count(self, first: int, last: int) -> int:
        """Return the number of articles held on days first..last."""
        return sum(len(bucket.items) for day, bucket in self._days.items() if first <= day <= last)

    def missing_days(self, first: int, last: int) -> list[tuple[int, int]]:
        """Return the runs (first, last day) of days between first and last that are not loaded."""
        runs: list[tuple[int, int]] = []
        for day in range(first, last + 1):
            if day in self._days:
                continue
            if runs and runs[-1][1] == day - 1:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        return runs

    def load(self, first: int, last: int, items: Iterable[StoryItem]) -> None:
        """Hold `items`, every stored article of days first..last: those days are loaded from now on."""
        for day in range(first, last + 1):
            self._days.setdefault(day, _Bucket())
        self.add(items)

    def add(self, items: Iterable[StoryItem]) -> None:
        """Hold stored articles (story_id set) of loaded days, each in its place; others wait for their day's `load`."""
        for item in sorted(items, key=_rank):  # mostly appended, then
            if item.key in self._features:
                continue
            bucket = self._days.get(math.floor(_parse_day(item.published_at, self.now)))
            if bucket is None:
                continue
            if not item.story_id:
                raise ValueError(f"article {item.key!r} has no story_id: only stored articles are held")
            expected = self._expected.get(replace(item, key="", story_id=None))
            if expected is not None:
                features = replace(expected, key=item.key, story_id=item.story_id)
            else:
                features = _features(item, self.settings, self.now)
                self.computed += 1
            self._features[item.key] = features
            self._order[item.key] = _rank(item)
            self._insert(bucket.items, features)
            for token in features.blocking_keys():
                self._insert(bucket.postings.setdefault(token, []), features)
            self._insert(self._stories.setdefault(features.story_id, []), features)
        self._expected.clear()

    def expect(self, item: StoryItem, features: _Features) -> None:
        """Remember the features a batch computed for an article it is about to store, for `add` to reuse."""
        self._expected[replace(item, key="", story_id=None)] = features

    def retain(self, first: int, last: int) -> None:
        """Forget the days outside first..last, so what is held stays the size of the window in use."""
        touched = set()
        for day in [day for day in self._days if not first <= day <= last]:
            for features in self._days.pop(day).items:
                del self._features[features.key], self._order[features.key]
                touched.add(features.story_id)
        for story_id in touched:
            members = [features for features in self._stories[story_id] if features.key in self._features]
            if members:
                self._stories[story_id] = members
            else:
                del self._stories[story_id]

    def clusterer(self, first: int, last: int, now: datetime | None = None) -> StoryClusterer:
        """Return a clusterer holding the articles of days first..last, as if preloaded from the window query."""
        return StoryClusterer(self.settings, now, stored=self, days=range(first, last + 1))

    def held(self, key: str, days: Mapping[int, _Bucket]) -> _Features | None:
        """Return the features of a held article if its day is among `days`."""
        features = self._features.get(key)
        return features if features is not None and math.floor(features.day) in days else None

    def members(self, story_id: str, days: Mapping[int, _Bucket]) -> list[_Features]:
        """Return the held members of a story whose day is among `days`, in the window query's order."""
        return [features for features in reversed(self._stories.get(story_id, []))
                if math.floor(features.day) in days]

    def _insert(self, items: list[_Features], features: _Features) -> None:
        """Insert features into a list kept in (time, id) order."""
        if not items or self._order[items[-1].key] < self._order[features.key]:
            items.append(features)
        else:
            bisect.insort(items, features, key=lambda held: self._order[held.key])


def _rank(item: StoryItem) -> tuple[str, int]:
    """Return where a stored article comes in the story window query's order, read backwards: (time, id)."""
    return (item.published_at or "", int(item.key))


class StoryClusterer:
    """Assigns articles to stories against the articles it holds (preloaded or added), one at a time."""

    def __init__(self, settings: DedupeSettings = DedupeSettings(), now: datetime | None = None,
                 stored: StoredStories | None = None, days: range = range(0)) -> None:
        self.settings = settings
        self.now = now or datetime.now(timezone.utc)  # stands in for a missing published_at
        # Stored articles read in place (see StoredStories), held before anything preloaded or added.
        self._stored = stored
        self._stored_buckets = {day: stored._days[day] for day in days if day in stored._days} if stored else {}
        self._built: set[str] = set()  # stories whose stored members were gathered (see _story)
        self.assigned = 0  # articles passed to `assign`
        self.compared = 0  # candidate pairs scored, for the bench
        self._buckets: dict[int, _Bucket] = {}
        self._held: dict[str, _Features] = {}
        self._stories: dict[str, _Story] = {}
        self._pending: dict[str, _Features] = {}
        self._newest: float | None = None

    def __len__(self) -> int:
        """Return the number of articles held (not yet evicted)."""
        return len(self._held) + sum(len(bucket.items) for bucket in self._stored_buckets.values())

    def preload(self, items: Iterable[StoryItem]) -> None:
        """Hold already-stored articles (story_id set) so new ones can join their stories; evicts nothing."""
        for item in items:
            self._hold(self._features_for(item))

    def assign(self, item: StoryItem) -> str | None:
        """Return the story id of the held story this article joins, or None when it starts a new story."""
        self.assigned += 1
        known = self._held_features(item.key)
        if known is not None:
            return known.story_id
        features = self._features_for(item)
        self._pending = {item.key: features}
        best: tuple[float, str] | None = None
        allowed: dict[str, bool] = {}  # story id -> may join, checked once per story
        for candidate in self._candidates(features):
            self.compared += 1
            score = _score(features, candidate, self.settings)
            if score is None or (best is not None and score <= best[0]):
                continue
            if candidate.story_id not in allowed:
                allowed[candidate.story_id] = self._may_join(features, candidate.story_id)
            if allowed[candidate.story_id]:
                best = (score, candidate.story_id)
        if best is None:
            return None
        LOGGER.debug("article %s joins story %s (score %.0f)", item.key, best[1], best[0])
        return best[1]

    def add(self, item: StoryItem) -> None:
        """Hold an article with its story id so later articles can match it, then evict expired ones."""
        features = self._features_for(item)
        self._pending.pop(item.key, None)
        if self._held_features(item.key) is not None:
            return
        self._hold(features)
        if self._stored is not None:  # stored once the batch is saved: the run reads it back from there
            self._stored.expect(item, features)
        if self._newest is None or features.day > self._newest:
            self._newest = features.day
            self._evict(self._newest - self.settings.window_days - self.settings.late_days)

    def _features_for(self, item: StoryItem) -> _Features:
        """Return the item's features, reusing those `assign` just computed for it."""
        cached = self._pending.get(item.key)
        if cached is not None and cached.source == (item.title, item.text):
            return replace(cached, story_id=item.story_id or "")
        return _features(item, self.settings, self.now)

    def _hold(self, features: _Features) -> None:
        """Index one item in its day bucket and its story."""
        if not features.story_id:
            raise ValueError(f"article {features.key!r} has no story_id: assign one before holding it")
        if self._held_features(features.key) is not None:
            return
        bucket = self._buckets.setdefault(math.floor(features.day), _Bucket())
        bucket.items.append(features)
        for token in features.blocking_keys():
            bucket.postings.setdefault(token, []).append(features)
        self._held[features.key] = features
        story = self._story(features.story_id)
        if story is None:
            story = self._stories[features.story_id] = _Story({}, features)
        story.members[features.key] = features
        story.deal_sets[features.signature()] += 1

    def _held_features(self, key: str) -> _Features | None:
        """Return the features of a held article (added, preloaded or stored on a day still held), else None."""
        features = self._held.get(key)
        if features is None and self._stored is not None:
            return self._stored.held(key, self._stored_buckets)
        return features

    def _story(self, story_id: str) -> _Story | None:
        """Return a held story; one of the stored articles is built from its members on first use."""
        story = self._stories.get(story_id)
        if story is not None or self._stored is None or story_id in self._built:
            return story
        self._built.add(story_id)
        members = self._stored.members(story_id, self._stored_buckets)
        if not members:
            return None
        story = self._stories[story_id] = _Story({features.key: features for features in members}, members[0],
                                                 Counter(features.signature() for features in members))
        return story

    def _evict(self, horizon: float) -> None:
        """Drop the day buckets that end before horizon (days since the epoch)."""
        for day in [day for day in self._buckets if day + 1 <= horizon]:
            for features in self._buckets.pop(day).items:
                del self._held[features.key]
                self._release(features)
        for day in [day for day in self._stored_buckets if day + 1 <= horizon]:
            for features in self._stored_buckets.pop(day).items:
                if features.story_id in self._stories:  # a story not built yet is built from the days left
                    self._release(features)

    def _release(self, features: _Features) -> None:
        """Remove an evicted item from its story, handing the story to its next member when it was the first."""
        story = self._stories[features.story_id]
        del story.members[features.key]
        story.deal_sets[features.signature()] -= 1
        if not story.deal_sets[features.signature()]:
            del story.deal_sets[features.signature()]
        if not story.members:
            del self._stories[features.story_id]
        elif story.representative is features:
            story.representative = next(iter(story.members.values()))

    def _candidates(self, features: _Features) -> list[_Features]:
        """Return the held items in the window that share the most rare blocking keys with features."""
        window = self.settings.window_days
        days = range(math.floor(features.day - window), math.floor(features.day + window) + 1)
        # Nearest days first, so a key read only in part yields the articles closest in time.
        nearest = sorted(days, key=lambda day: abs(day + 0.5 - features.day))
        # A day's stored articles (kept oldest first: read backwards) come before those added since, as
        # when they were preloaded newest first.
        buckets = [(bucket, stored) for day in nearest
                   for bucket, stored in ((self._stored_buckets.get(day), True), (self._buckets.get(day), False))
                   if bucket is not None]
        keyed = []
        for token in features.blocking_keys():
            postings = [(found, stored) for bucket, stored in buckets if (found := bucket.postings.get(token))]
            if postings:
                keyed.append((sum(len(found) for found, _ in postings), token, postings))
        keyed.sort(key=lambda entry: entry[:2])
        shared: Counter[str] = Counter()
        by_key: dict[str, _Features] = {}
        for rank, (used_by, _, postings) in enumerate(keyed):
            # The rarest few keys are always read: a story republished by many outlets makes its own
            # words common, and its next copy must still find it.
            if used_by > self.settings.rare_df and rank >= self.settings.min_block_keys:
                break
            lists = (reversed(found) if stored else found for found, stored in postings)
            for other in islice(chain.from_iterable(lists), self.settings.rare_df):
                if abs(other.day - features.day) <= window:
                    shared[other.key] += 1
                    by_key[other.key] = other
        best = heapq.nlargest(self.settings.max_candidates, shared.items(), key=lambda kv: (kv[1], kv[0]))
        return [by_key[key] for key, _ in best]

    def _may_join(self, features: _Features, story_id: str) -> bool:
        """Return True when features may join the story: it matches the story's first member and no member's stage.

        Matching one member is not enough: a vague article could otherwise bridge two stories. At most
        MAX_STORY_SIGNATURES distinct deal-key sets are read, so the cost per article is capped even for
        a story that somehow gathered more.
        """
        story = self._story(story_id)
        if story is None:
            return True
        representative = story.representative
        if representative.key != features.key and _score(features, representative, self.settings) is None:
            if not _parties_agree(features.event, representative.event, self.settings.max_extra_parties):
                return False
            if _vetoed(features, representative, self.settings.max_extra_parties):
                return False
        if _same_dated_event(features.event, representative.event, self.settings.max_extra_parties):
            return True  # the same dated event: a stage that differs is a tagging slip
        signatures = islice(story.deal_sets, MAX_STORY_SIGNATURES)
        return not any(_stages_conflict(features.deals, dict(signature)) for signature in signatures)


def assign_all(clusterer: StoryClusterer, items: Iterable[StoryItem]) -> dict[str, str]:
    """Return key -> story id for items, processed in publication order; a new story takes its first key."""
    ordered = sorted(items, key=lambda item: _parse_day(item.published_at, clusterer.now))
    stories: dict[str, str] = {}
    for item in ordered:
        story_id = item.story_id or clusterer.assign(item) or item.key
        clusterer.add(replace(item, story_id=story_id))
        stories[item.key] = story_id
    return stories


def cluster(items: Iterable[StoryItem], settings: DedupeSettings = DedupeSettings()) -> dict[str, str]:
    """Return key -> story id for a whole batch (sorted by time; a story's id is its first article's key)."""
    return assign_all(StoryClusterer(settings), items)


def _pairs(sizes: Iterable[int]) -> int:
    """Return the number of unordered pairs inside clusters of the given sizes."""
    return sum(size * (size - 1) // 2 for size in sizes)


def pairwise_scores(predicted: Mapping[str, str], truth: Mapping[str, str]) -> tuple[float, float, float]:
    """Return (precision, recall, F1) over same-story pairs of the keys in truth (missing ones are alone)."""
    keys = list(truth)
    cells = Counter((predicted.get(key, "\x00" + key), truth[key]) for key in keys)
    together = _pairs(cells.values())
    predicted_pairs = _pairs(Counter(predicted.get(key, "\x00" + key) for key in keys).values())
    true_pairs = _pairs(Counter(truth[key] for key in keys).values())
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
