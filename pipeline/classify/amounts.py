"""Money in deal sentences: what each amount is, in which currency, whether it is committed, and whose deal it is.

`find_money` reads a sentence's amounts ("$1.7bn", "1,5 milliard d'euros", "Rs 500 crore", "mil
millones de dólares") with the scale words, number words and currency markers of
`config/amounts.toml`; a figure without a currency is never money. `attach_amounts` gives each
candidate deal the amount of its own sentences: the evidence sentence first, then the pair's other
sentences, then the sentence after one of those (or after such a sentence) when it goes on about
the same deal. A sentence of
another pair's deal, or one naming another partner, lends no amount; money near a funding round,
a valuation or revenue is the company's, not the deal's; of several amounts the deal's is the one
said to be the total, else the largest. Values are converted to US dollars at the yearly average
rate of `config/rates.toml` for the article's year.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.classify.matcher import PhraseMatcher, phrase_key, trie_pattern
from pipeline.models import Amount

if TYPE_CHECKING:
    from pipeline.classify.countries import CountryMention
    from pipeline.classify.deals import Candidate
    from pipeline.classify.facts import Article, Facts
    from pipeline.classify.partners import PartnerMention

LOGGER = logging.getLogger(__name__)

STATUS_BEFORE_WORDS = 6  # words before an amount in which a hedge ("up to", "plans to") makes it announced
STATUS_AFTER_WORDS = 2  # words after it ("$1bn expected")
OWNER_BEFORE_WORDS = 5  # words around an amount that may say it is a valuation, revenue, a round...
OWNER_AFTER_WORDS = 4
TOTAL_WORDS = 4  # words before an amount that may call it the total
CONVERSION_TOLERANCE = 0.25  # amounts within this share of the largest are one amount and its conversion
NON_BINDING = frozenset({"talks", "mou"})  # stages whose money is a promise, whatever the words
# A figure: "1,500", "1.5", "1 500" (French thousands), "10,000.50".
_FIGURE = r"(?:\d{1,3}(?: \d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)*)"
_WORDS_BACK = r"(?:\S+\s+){0,%d}\S*$"
_WORDS_ON = r"^\S*(?:\s+\S+){0,%d}"
_COORDINATION = re.compile(r"\s*(?:,|,?\s*(?:and|et|y|e|&))\s*", re.IGNORECASE)  # "G42 and Microsoft"


@dataclass(frozen=True)
class Money:
    """One amount found in a text: its value in units, the currencies its marker may mean, and its span."""

    value: float
    currencies: tuple[str, ...]  # ISO 4217 codes claiming the marker, in the order of amounts.toml
    start: int
    end: int


@dataclass(frozen=True)
class MoneyVocabulary:
    """The compiled money vocabulary and rate table of one configuration directory."""

    pattern: re.Pattern[str]
    hint: re.Pattern[str]  # a digit or a scale word: a sentence with neither holds no money
    markers: dict[str, tuple[str, ...]]  # currency marker (symbols as written, words lower-cased) -> currencies
    countries: dict[str, frozenset[str]]  # currency -> the countries that use it
    scales: dict[str, tuple[float, frozenset[str]]]  # scale word -> (multiplier, languages)
    abbreviations: frozenset[str]  # scale keys that count only beside a currency symbol
    numbers: dict[str, float]  # number word -> value
    phrases: PhraseMatcher  # status, owner, total and continuation words
    kinds: dict[str, frozenset[str]]  # phrase key -> its kinds ("announced", "not_deal", "total", "each"...)
    rates: dict[str, dict[int, float]]  # currency -> year -> units per US dollar


def read_toml(path: Path) -> dict[str, Any]:
    """Return a TOML file's tables, or {} (with a warning) when the file is missing."""
    if not path.is_file():
        LOGGER.warning("vocabulary file %s is missing; continuing without it", path)
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def strings(value: Any) -> list[str]:
    """Return the non-blank strings of a TOML list (nothing for anything else)."""
    return [v for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _alternation(phrases: Iterable[str]) -> str:
    """Return a regex matching any of the phrases, longest first, shaped as a trie (a space matches spaces)."""
    return trie_pattern(phrases) or r"(?!x)x"


def load_money(directory: Path) -> MoneyVocabulary:
    """Return the money vocabulary of `amounts.toml` and the rates of `rates.toml` in `directory`, compiled."""
    data = read_toml(directory / "amounts.toml")
    markers: dict[str, list[str]] = defaultdict(list)
    countries: dict[str, frozenset[str]] = {}
    symbols: set[str] = set()
    words: set[str] = set()
    for code, table in (data.get("currencies") or {}).items():
        countries[code] = frozenset(strings(table.get("countries")))
        for symbol in strings(table.get("symbols")):
            symbols.add(symbol)
            markers[symbol].append(code)
        for word in strings(table.get("words")):
            words.add(word)
            markers[phrase_key(word).lower()].append(code)
    scales: dict[str, tuple[float, set[str]]] = {}
    abbreviations: set[str] = set()
    for section in ("scales", "abbreviations"):
        for lang, table in (data.get(section) or {}).items():
            for word, multiplier in table.items():
                key = word if section == "abbreviations" else word.lower()
                scales.setdefault(key, (float(multiplier), set()))[1].add(lang)
                if section == "abbreviations":
                    abbreviations.add(key)
    numbers = {word.lower(): float(value) for table in (data.get("numbers") or {}).values()
               for word, value in table.items()}
    word_scales = [w for w in scales if w not in abbreviations]
    scale = rf"(?:(?i:{_alternation(word_scales)})|{_alternation(abbreviations)})(?!\w)"
    scale_run = rf"(?P<scales>{scale}(?:\s+{scale})*)"
    number = rf"(?P<figure>{_FIGURE})|(?<!\w)(?P<word>(?i:{_alternation(numbers)}))(?=\s)"
    connector = rf"(?:(?i:{_alternation(strings(data.get('connectors')))})\s*)?"
    symbol = _alternation(symbols)
    # "$1.7bn", "USD 3 billion", "R$ 2 bilhões", "₹10,000 crore": a symbol, then the figure and its scales.
    prefixed = rf"(?<![\w$])(?P<pre>{symbol})\s?(?:{number.replace('?P<', '?P<p_')})(?:[\s-]?{scale_run.replace('?P<', '?P<p_')})?(?!\w)"
    # "240 millions de dollars", "2.5 billion dirhams", "200 M€", "mil millones de dólares"
    suffixed = (rf"(?:(?<![\w.,]){number}|(?<!\w)(?=\w))[\s-]?{scale_run}?\s?{connector}"
                rf"(?:(?P<post_word>(?i:{_alternation(words)}))(?!\w)|(?P<post_symbol>{symbol})(?!\s?\d)(?!\w))")
    phrase_kinds: dict[str, set[str]] = defaultdict(set)
    for kind, table in (("announced", data.get("status", {}).get("announced")),
                        ("not_deal", data.get("not_deal_money")), ("valuation", data.get("valuation")),
                        ("deal_noun", data.get("deal_nouns")), ("total", data.get("total")),
                        ("each", data.get("each")), ("continuation", data.get("continuation"))):
        for phrases in (table or {}).values():
            for phrase in strings(phrases):
                phrase_kinds[phrase_key(phrase).lower()].add(kind)
    rates: dict[str, dict[int, float]] = {}
    for code, years in (read_toml(directory / "rates.toml").get("per_usd") or {}).items():
        rates[code] = {int(year): float(rate) for year, rate in years.items() if float(rate) > 0}
    return MoneyVocabulary(
        pattern=re.compile(f"{prefixed}|{suffixed}"),
        hint=re.compile(rf"\d|(?i:{_alternation(word_scales)})"), markers={k: tuple(v) for k, v in markers.items()},
        countries=countries, scales={k: (v[0], frozenset(v[1])) for k, v in scales.items()},
        abbreviations=frozenset(abbreviations), numbers=numbers,
        phrases=PhraseMatcher(phrase_kinds, ignore_case=True),
        kinds={k: frozenset(v) for k, v in phrase_kinds.items()}, rates=rates)


def _figure_value(figure: str, langs: frozenset[str]) -> float:
    """Return a written figure's value, reading "." and "," by the scale word's language or, failing that, by shape.

    "1.500 millones" and "1,500 million" are fifteen hundred; "1,5 milliard" and "1.5 billion" one and a half.
    """
    figure = figure.replace(" ", "")
    dots, commas = figure.count("."), figure.count(",")
    if dots and commas:
        decimal = "." if figure.rfind(".") > figure.rfind(",") else ","
    elif dots + commas > 1:
        decimal = ""  # "1.500.000", "1,500,000": every separator groups thousands
    elif dots + commas == 1:
        separator = "." if dots else ","
        digits_after = len(figure) - figure.index(separator) - 1
        # A separator that is not the language's decimal one groups thousands when three digits
        # follow it, and else is a decimal separator after all ("6,5 M$" in an English-scaled figure).
        if langs == {"en"}:
            decimal = "." if separator == "." else ("" if digits_after == 3 else ",")
        elif langs and "en" not in langs:
            decimal = "," if separator == "," else ("" if digits_after == 3 else ".")
        else:
            decimal = "" if digits_after == 3 else separator
    else:
        decimal = ""
    whole, _, fraction = figure.rpartition(decimal) if decimal else (figure, "", "")
    digits = re.sub(r"[.,]", "", whole)
    return float(f"{digits}.{fraction}" if decimal else digits)


def find_money(money: MoneyVocabulary, text: str, start: int = 0, end: int | None = None) -> list[Money]:
    """Return the amounts of money in text[start:end], in order."""
    end = len(text) if end is None else end
    if not money.hint.search(text, start, end):
        return []
    found = []
    for match in money.pattern.finditer(text, start, end):
        prefixed = match.group("pre") is not None
        figure = match.group("p_figure" if prefixed else "figure")
        word = match.group("p_word" if prefixed else "word")
        scales = (match.group("p_scales" if prefixed else "scales") or "").split()
        if prefixed:
            marker = match.group("pre")
        else:
            marker = match.group("post_symbol") or phrase_key(match.group("post_word")).lower()
            if any(s in money.abbreviations for s in scales) and match.group("post_symbol") is None:
                continue  # "200 m dollars": an abbreviation counts only beside a symbol
        if (figure is None and word is None and len(scales) < 2) or (word is not None and not scales):
            continue  # "millions of dollars" is no amount; "mil millones de dólares" is one thousand million
        entries = [money.scales.get(s) or money.scales.get(s.lower()) for s in scales]
        known = [e for e in entries if e is not None]
        if len(known) != len(entries):
            continue
        langs = frozenset.intersection(*[e[1] for e in known]) if known else frozenset()
        value = _figure_value(figure, langs) if figure else money.numbers.get((word or "").lower(), 1.0)
        for multiplier, _ in known:
            value *= multiplier
        if value > 0:
            found.append(Money(value, money.markers.get(marker, ()), match.start(), match.end()))
    return [m for m in found if m.currencies]


def currency_of(money: MoneyVocabulary, found: Money, country: str) -> str:
    """Return the currency an amount's marker means in a deal of `country`: the country's own, else the first."""
    return next((c for c in found.currencies if country in money.countries.get(c, ())), found.currencies[0])


def to_usd(money: MoneyVocabulary, value: float, currency: str, year: int | None) -> float | None:
    """Return `value` in US dollars at the yearly average of `year` (or the nearest year listed), or None."""
    years = money.rates.get(currency)
    if not years:
        return None
    nearest = max(years) if year is None else min(years, key=lambda y: (abs(y - year), -y))
    return round(value / years[nearest], 2)


def _kinds_near(money: MoneyVocabulary, text: str, low: int, high: int) -> set[str]:
    """Return the kinds of the status, owner and total words in text[low:high]."""
    kinds: set[str] = set()
    for hit in money.phrases.finditer(text[low:high]):
        kinds |= money.kinds.get(hit.key, frozenset())
    return kinds


def _window(text: str, start: int, end: int, low: int, high: int, before: int, after: int) -> tuple[int, int]:
    """Return the span of `before` words before text[start:end] and `after` words after it, within [low, high)."""
    back = re.search(_WORDS_BACK % before, text[low:start])
    on = re.match(_WORDS_ON % after, text[end:high])
    return (low + back.start() if back else start), (end + on.end() if on else end)


@dataclass(frozen=True)
class _Reading:
    """An amount read in its sentence: the money and what the words around it say of it."""

    money: Money
    own_money: bool  # a valuation (not a deal's: "the contract, valued at"), revenue or funding round
    total: bool  # "a total of $400m"
    hedged: bool  # "up to $1bn", "plans to invest $1bn": announced, whatever the deal
    each: bool  # "$200m each": every partner's of the sentence


def _read_amount(vocab: MoneyVocabulary, text: str, found: Money, low: int, high: int) -> _Reading:
    def near(before: int, after: int) -> set[str]:
        return _kinds_near(vocab, text, *_window(text, found.start, found.end, low, high, before, after))

    owner = near(OWNER_BEFORE_WORDS, OWNER_AFTER_WORDS)
    own_money = "not_deal" in owner or ("valuation" in owner and "deal_noun" not in near(OWNER_BEFORE_WORDS, 0))
    return _Reading(found, own_money,
                    "total" in near(TOTAL_WORDS, 2), "announced" in near(STATUS_BEFORE_WORDS, STATUS_AFTER_WORDS),
                    "each" in near(0, 2))


def deal_sentences(article: Article, candidate: Candidate, claimed: dict[int, set[tuple[str, str]]]) -> list[int]:
    """Return the sentences that speak of one deal alone, in order of preference.

    The evidence sentence, the pair's other sentences, then each one's next sentence when it goes on
    about the deal: no other pair's cue is there, it names no other state or partner, and it names
    the deal's partner or refers to the deal ("The contract is worth ..."); the sentence after such a
    sentence is tried in turn. A state-owned company of the deal's own state is its side, not another
    partner, and a state-owned partner's owner is not another state.
    """
    pair = (candidate.deal.country, candidate.deal.partner)
    ordered = list(dict.fromkeys([candidate.evidence.sentence] + sorted({r.sentence for r in candidate.records})))
    for index in ordered:  # a sentence that goes on about the deal may be followed by another
        following = index + 1
        if following >= len(article.facts) or following in ordered or claimed.get(following, set()) - {pair}:
            continue
        facts = article.facts[following]
        names = {m.name for m in _partners(article, facts, pair)}
        if facts.heading is not None or names - {pair[1]} or {m.code for m in _states(article, facts, pair)} - {pair[0]}:
            continue
        if pair[1] in names or "continuation" in _kinds_near(article.vocab.money, article.text, facts.sentence.start,
                                                             facts.sentence.end):
            ordered.append(following)
    return ordered


def belongs(article: Article, index: int, start: int, end: int, pair: tuple[str, str],
            claimed: set[tuple[str, str]]) -> bool:
    """Return True when text[start:end] of a sentence speaks of this pair: no other partner or state is nearer.

    In "Kenya signed a $1bn contract with Microsoft and held talks with Google", the amount is
    Microsoft's; in a sentence of this pair alone, everything is.
    """
    facts = article.facts[index]
    mentions = _partners(article, facts, pair)
    partners = {m.name for m in mentions}
    if claimed <= {pair} and partners <= {pair[1]}:
        return True
    middle = (start + end) / 2
    if len(partners) > 1:
        nearest = min(mentions, key=lambda m: abs((m.start + m.end) / 2 - middle))
        if nearest.name != pair[1]:
            return False
    countries = _states(article, facts, pair)
    if len({m.code for m in countries}) > 1:
        nearest_country = min(countries, key=lambda m: abs((m.start + m.end) / 2 - middle))
        return nearest_country.code == pair[0]
    return True


def _partners(article: Article, facts: Facts, pair: tuple[str, str]) -> list[PartnerMention]:
    """Return a sentence's partner mentions but the state-owned companies of the deal's own state (its side)."""
    return [m for m in facts.partners if article.proxies.get(m.name) != pair[0] or m.name == pair[1]]


def _states(article: Article, facts: Facts, pair: tuple[str, str]) -> list[CountryMention]:
    """Return a sentence's state parties but the owner of a state-owned partner ("Humain" names Saudi Arabia)."""
    owner = article.proxies.get(pair[1])
    return [m for m in facts.countries if m.role == "party" and not (m.form == "proxy" and m.code == owner)]


def claimed_sentences(candidates: list[Candidate]) -> dict[int, set[tuple[str, str]]]:
    """Return, per sentence, the pairs whose records (cues) are in it."""
    claimed: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for candidate in candidates:
        for record in candidate.records:
            claimed[record.sentence].add((record.country, record.partner))
    return claimed


def attach_amounts(article: Article, candidates: list[Candidate]) -> None:
    """Set each candidate deal's amount: the total (else the largest) of its first sentence that gives one."""
    vocab = article.vocab.money
    year = article.published.year if article.published else None
    claimed = claimed_sentences(candidates)
    cache: dict[int, list[_Reading]] = {}
    for candidate in candidates:
        deal = candidate.deal
        pair = (deal.country, deal.partner)
        for index in deal_sentences(article, candidate, claimed):
            if index not in cache:
                sentence = article.facts[index].sentence
                cache[index] = [_read_amount(vocab, article.text, found, sentence.start, sentence.end)
                                for found in find_money(vocab, article.text, sentence.start, sentence.end)]
            readings = [r for r in cache[index] if not r.own_money and (
                (r.each and pair[1] in article.facts[index].partner_names())
                or (belongs(article, index, r.money.start, r.money.end, pair, claimed.get(index, set()))
                    and not _shared(article, index, r.money, pair)))]
            if not readings:
                continue
            amounts = [_amount(vocab, r, deal.country, year, deal.stage) for r in readings]
            totals = [a for a, r in zip(amounts, readings) if r.total]
            deal.amount = _original(totals or amounts)
            break


def _original(amounts: list[Amount]) -> Amount:
    """Return the largest amount, or the first written of those worth about as much.

    "8 billion CFA francs (roughly $14 million)": the conversion repeats the amount the deal gives.
    """
    largest = max(amounts, key=lambda a: a.usd if a.usd is not None else -1.0)
    if largest.usd is None:
        return largest
    return next(a for a in amounts if a.usd is not None and a.usd >= largest.usd * (1 - CONVERSION_TOLERANCE))


def _shared(article: Article, index: int, found: Money, pair: tuple[str, str]) -> bool:
    """Return True when the partner nearest an amount is coordinated with another: whose it is, is not said.

    "Kenya signs with G42 and Microsoft for $1bn": one of them, or both together; not Microsoft's
    for being named last ("$200m each" is each one's, and read before this).
    """
    mentions = sorted(_partners(article, article.facts[index], pair), key=lambda m: m.start)
    if len({m.name for m in mentions}) < 2:
        return False
    middle = (found.start + found.end) / 2
    at = min(range(len(mentions)), key=lambda i: abs((mentions[i].start + mentions[i].end) / 2 - middle))
    for first, second in ((at - 1, at), (at, at + 1)):
        if 0 <= first and second < len(mentions) and mentions[first].name != mentions[second].name:
            if _COORDINATION.fullmatch(article.text, mentions[first].end, mentions[second].start):
                return True
    return False


def _amount(vocab: MoneyVocabulary, reading: _Reading, country: str, year: int | None, stage: str) -> Amount:
    """Return the Amount of a reading in a deal: committed when the deal binds and no hedge stands by it."""
    currency = currency_of(vocab, reading.money, country)
    value = reading.money.value
    status = "announced" if stage in NON_BINDING or reading.hedged else "committed"
    return Amount(value=value, currency=currency, usd=to_usd(vocab, value, currency, year), status=status)
