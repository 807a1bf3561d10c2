"""Per-sentence facts of an article: its parties, cues, references back, and the article's country.

`build_article` matches the vocabularies once over the headline and text (two phrase-matcher
passes), splits sentences, gives each country mention its role (party or context, see
countries.py), recognises state-owned partners that act for their country, and describes each
sentence that can matter: its valid stage cues (stages.py), its references to the state ("the
ministry") and back to earlier parties ("the memorandum", "the company"), and its clauses.
Sentences with neither a cue nor a party are left undescribed, which keeps ordinary news fast.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from pipeline.classify.countries import PARTY_STRONG, CountryMention, Span, mention_role
from pipeline.classify.governments import GovernmentMention, find_governments
from pipeline.classify.matcher import phrase_key, plain_text
from pipeline.classify.partners import (PartnerMention, find_state_organisations, is_rival_mention, ownership_end,
                                        referring_phrase_start)
from pipeline.classify.stages import Cue, Token, find_cues
from pipeline.classify.text import RELATIVE_OPENERS, Sentence, add_clauses, split_sentences
from pipeline.classify.vocab import Entry, Vocabulary

LOGGER = logging.getLogger(__name__)

CUE_KINDS = frozenset({"cue", "noun", "money", "trial_use"})
DOMINANCE_WEIGHTS = {"party": 1.0, "regulator": 0.25, "dateline": 0.5, "context": 0.25}
_NOT_A_REF = re.compile(r"\b(?:other|several|many|foreign|some|dozens of|all|various|numerous|few|"
                        r"autres|plusieurs|otros|varios)\s+(?:[\w-]+\s+)?$", re.IGNORECASE)
# "a suite for government agencies", "pensé pour les administrations": buyers in general, a market (taxonomy 7)
_MARKET_FOR = re.compile(r"\b(?:for|to|pour|para|aimed\s+at|designed\s+for|destinée?s?\s+aux|dirigid[oa]s?\s+a)\s+"
                         r"(?:the\s+|les\s+|los\s+|las\s+|os\s+|as\s+)?(?:[\w-]+\s+){0,3}$", re.IGNORECASE)
_STATE_WORDS = re.compile(r"\b(?:government|state|sovereign|public|ministry|gouvernement|état|gobierno|estado)\b",
                          re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_ARTICLE = r"(?:(?:the|la|le|les|l'|el|los|las|o|a|os|as)\s*)?"  # "o Egipto, o Quénia e a Nigéria"
_AND = re.compile(r"^\s*,?\s*(?:and|or|et|ou|y|e|o|u|&)\s+" + _ARTICLE + "$")
_COMMA = re.compile(r"^\s*,\s*" + _ARTICLE + "$")
_LIST_GOES_ON = re.compile(r"^(?:\s*,\s*" + _ARTICLE + r"[A-Z][\w'. -]{1,30}?)*\s*,?\s+(?:and|or|et|ou|y|e|o|u)\s+")
_APPOSITION = re.compile(r"[\w)],\s*$")
# ", Kuwait courts Oracle": a comma, then the country that opens the next statement
_SPLICE_COMMA = re.compile(r",\s+")
# "..., Antioquia estrena nube y Paraguay frena a Grok": a conjunction before a state that opens its own event
_LOWER_WORD = re.compile(r"\s[a-zà-ÿ]{3,}\s")
_SPLICE_AND = re.compile(r"\s+(?:and|y|et|e)\s+")
_HARDWARE = (r"(?:GPUs?|chips?|superchips?|processors?|accelerators?|graphics\s+cards?|hardware|semiconductors?|"
             r"puces?|processeurs?|cartes\s+graphiques|procesadores?|tarjetas\s+gráficas)")
# "Nvidia GPUs", "Nvidia's H100 chips", "des puces Nvidia", "procesadores de Nvidia"
_HARDWARE_AFTER = re.compile(rf"^(?:'s)?(?:\s+[A-Z0-9][\w-]*){{0,2}}\s+{_HARDWARE}\b")
_HARDWARE_BEFORE = re.compile(rf"\b{_HARDWARE}\s+(?:[A-Z0-9][\w-]*\s+)?(?:(?:from|made\s+by|de|d'|del)\s*)?$")
# "Nvidia supplies the chips to G42", "Nvidia fournira les puces", "Nvidia suministra"
_SUPPLIES_AFTER = re.compile(
    r"\s+(?:will\s+|would\s+|also\s+)?(?:supplies|supplied|supply|supplying|sells|sold|ships|shipped|"
    r"fournit|fournira|fournissent|suministra|suministrará|suministran)\b", re.IGNORECASE)
_SPEAKER_AFTER = re.compile(
    r"\s+(?:said|says|told|added|noted|confirmed|stated|wrote|a\s+(?:indiqué|déclaré|précisé|annoncé)|indique|"
    r"précise|dijo|afirmó|señaló|indicó|informó)\b", re.IGNORECASE)
_PLACE_NOUN_AFTER = re.compile(r"\s+(?:region|cloud\s+region|campus|hub|data\s+cent(?:re|er)|office|zone)\b",
                               re.IGNORECASE)
_PARENT_OF = re.compile(
    r"^,\s*(?:(?:a|an|the|la|le|el|una?)\s+)?(?:[\w-]+\s+){0,2}?(?:subsidiary|unit|arm|division|filiale|filial|"
    r"part)\s+(?:of|de|du|del|des|d')\s*(?:(?:the|la|le|el|l')\s*)?(?:[\w-]+\s+){0,3}?$", re.IGNORECASE)
_HEADING_GLUE = re.compile(r"\b(?:and|et|y)\b|[&.,]")


@dataclass
class Facts:
    """What one sentence says: its parties, cues, references back and dates."""

    index: int
    sentence: Sentence
    tokens: list[Token]
    countries: list[CountryMention] = field(default_factory=list)
    partners: list[PartnerMention] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    weak_cues: list[Cue] = field(default_factory=list)  # negated, modal, denied...: candidates only
    dates: list[tuple[int, str]] | None = None  # found when a deal needs them
    state_refs: list[int] = field(default_factory=list)  # offsets of "the ministry", "officials"...
    pair_anaphor: bool = False
    partner_anaphor: int | None = None  # offset of "the company" when it refers back
    partners_anaphor: bool = False  # "the companies", "both partners"
    gov_gov: set[int] = field(default_factory=set)
    company_pair: set[int] = field(default_factory=set)
    enforcement: set[int] = field(default_factory=set)  # clauses about an investigation, a lawsuit, a fine
    precedent: bool = False  # cites another deal as a precedent or comparison ("mirrors", "à l'instar de")
    ai: bool = False
    heading: str | None = None  # a country code for a "Morocco." heading, "" for another heading

    def parties(self, clause: int | None = None) -> list[str]:
        """Return the state-party country codes of the sentence or of one clause, in order, once each."""
        codes = [m.code for m in self.countries if m.role == "party"
                 and (clause is None or self.sentence.clause_of(m.start) == clause)]
        return list(dict.fromkeys(codes))

    def partner_names(self, clause: int | None = None) -> list[str]:
        """Return the partners named in the sentence or in one clause, in order, once each."""
        names = [m.name for m in self.partners if clause is None or self.sentence.clause_of(m.start) == clause]
        return list(dict.fromkeys(names))


@dataclass
class Article:
    """An article being classified: its text, matched tokens and per-sentence facts."""

    vocab: Vocabulary
    text: str
    published: date | None
    facts: list[Facts] = field(default_factory=list)
    proxies: dict[str, str] = field(default_factory=dict)  # state-owned partner -> its country
    partner_mentions: list[PartnerMention] = field(default_factory=list)
    known: dict[str, bool] = field(default_factory=dict)
    ownership: list[tuple[int, int]] = field(default_factory=list)  # "launched this week by Saudi Arabia's PIF"
    has_title: bool = False  # the first sentence is the headline
    government_bodies: dict[tuple[int, int], str] = field(default_factory=dict)  # (start, end) -> sub-national body

    def sentence_text(self, index: int) -> str:
        """Return one sentence with its whitespace collapsed."""
        sentence = self.facts[index].sentence
        return _SPACES.sub(" ", self.text[sentence.start:sentence.end]).strip()


def _entities(vocab: Vocabulary, tokens: list[Token], text: str,
              governments: list[GovernmentMention]) -> list[tuple[int, int, Entry]]:
    """Return non-overlapping country, partner and product mentions, longest first."""
    candidates = [(g.start, g.end, Entry("country", g.code, "institution")) for g in governments]
    for token in tokens:
        entry = token.first("partner")
        if entry is not None:
            candidates.append((token.start, token.end, entry))
    for hit in vocab.cs.finditer(text):
        entries = vocab.cs_entries.get(hit.key, ())
        entry = next((e for e in entries if e.kind in ("partner", "product")), None) or next(
            (e for e in entries if e.kind == "country"), None)
        if entry is not None:
            if entry.kind == "product" and hit.start > 0 and text[hit.start - 1] == "-":
                continue  # "Jean-Claude" is not Anthropic's Claude
            if entry.kind == "country" and text.startswith("$", hit.end):
                continue  # "US$12 million", "A$95 million": a currency, not a country
            candidates.append((hit.start, hit.end, entry))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    chosen: list[tuple[int, int, Entry]] = []
    for candidate in candidates:
        if all(candidate[1] <= c[0] or candidate[0] >= c[1] for c in chosen):
            chosen.append(candidate)
    chosen.sort(key=lambda c: c[0])
    return chosen


def _keep_token(token: Token, entities: list[tuple[int, int, Entry]], entity_starts: list[int]) -> bool:
    """Drop grammar and cue words inside a name ("Digital Transformation Agency"), keep state words."""
    if token.has("partner"):
        return False
    index = bisect.bisect_right(entity_starts, token.start) - 1
    if index >= 0 and token.end <= entities[index][1]:
        # "Ministry" inside "Ministry of Digital Transition" still says "a ministry" if the name
        # turns out to be ambiguous; "Kingdom" inside "United Kingdom" says nothing.
        state_word = token.has("state_ref") or token.has("state_noun")
        return token.has("regulator") or (state_word and entities[index][2].extra == "institution")
    return True


def build_article(vocab: Vocabulary, title: str, text: str, published: date | None) -> Article | None:
    """Return the analysed article, or None when it cannot report a deal (no cue, or no party at all)."""
    title = title.strip()
    doc = plain_text(f"{title}\n\n{text}" if title else text)
    entries, kinds = vocab.ci_entries, vocab.ci_kinds
    tokens = [Token(h.start, h.end, entries.get(h.key, ()), kinds.get(h.key, frozenset()))
              for h in vocab.ci.finditer(doc)]
    if not any(t.has("cue") or t.has("noun") or t.has("money") or t.has("trial_use") for t in tokens):
        return None
    governments = find_governments(doc, vocab.governments)
    entities = _entities(vocab, tokens, doc, governments)
    if not entities:
        return None
    article = Article(vocab, doc, published, has_title=bool(title))
    article.government_bodies = {(g.start, g.end): g.body for g in governments}
    sentences = split_sentences(doc)
    starts = [s.start for s in sentences]
    article.facts = [Facts(i, s, []) for i, s in enumerate(sentences)]
    entity_starts = [e[0] for e in entities]
    for token in tokens:
        if _keep_token(token, entities, entity_starts):
            index = bisect.bisect_right(starts, token.start) - 1
            if index >= 0:
                article.facts[index].tokens.append(token)
                if "ai" in token.kinds:
                    article.facts[index].ai = True
    _place_entities(article, entities, starts)
    for facts in article.facts:
        # Only sentences with a cue or a party can take part in a deal; the rest stay undescribed.
        if facts.countries or facts.partners or any(t.kinds & CUE_KINDS for t in facts.tokens):
            add_clauses(doc, facts.sentence)
            _split_comma_splices(article, facts)
            _close_partner_relatives(article, facts)
            _describe(article, facts)
    return article


def _split_comma_splices(article: Article, facts: Facts) -> None:
    """Break a sentence at a comma, or at "and" before a state, when both sides report an event of their own.

    "Oman's fund backs a Cerebras cluster, Kuwait courts Oracle, Bahrain's cloud goes live" reports
    three events; the "splice" clauses it makes lend parties to none of the others. "X signs a
    memorandum with Mistral AI, talks go on with OVHcloud" keeps its subject but gives each cue its
    own partner. A list ("with Estonia, Greece and Kazakhstan in talks") is not split.
    """
    sentence, text = facts.sentence, article.text
    breaks: dict[int, str] = {}
    joints = sorted({(m.start(), m.end()) for m in _SPLICE_COMMA.finditer(text, sentence.start, sentence.end)}
                    | {(m.start(), m.end()) for m in _SPLICE_AND.finditer(text, sentence.start, sentence.end)
                       if any(c.start == m.end() and c.role == "party" for c in facts.countries)})
    for number, (joint, begin) in enumerate(joints):
        if begin in sentence.clause_starts:
            continue
        low = max([b for b in breaks if b < begin] + [sentence.clause_starts[sentence.clause_of(joint)]])
        high = joints[number + 1][0] if number + 1 < len(joints) else sentence.end
        if any(m.start == begin for m in facts.countries):
            before = _reports_event(facts, low, joint, own_country=True) or _company_event(article, facts, low, joint)
            if before and _reports_event(facts, begin, high):
                breaks[begin] = "splice"
        elif _partner_event(facts, low, joint, begin, high):
            breaks[begin] = ","
    _add_breaks(sentence, list(breaks.items()))


def _close_partner_relatives(article: Article, facts: Facts) -> None:
    """End a relative clause hung on a partner at its closing comma: "Microsoft, which opened ..., signed"."""
    sentence, text = facts.sentence, article.text
    extra: list[tuple[int, str]] = []
    for number, (begin, mark) in enumerate(zip(sentence.clause_starts, sentence.clause_marks)):
        if mark not in RELATIVE_OPENERS or not any(0 <= begin - m.end <= 2 for m in facts.partners):
            continue
        end = sentence.clause_starts[number + 1] if number + 1 < len(sentence.clause_starts) else sentence.end
        comma = text.find(", ", begin, end)
        if comma > 0 and comma + 2 < end:
            extra.append((comma + 2, "resume"))
    _add_breaks(sentence, extra)


def _add_breaks(sentence: Sentence, breaks: list[tuple[int, str]]) -> None:
    """Add clause breaks (offset, mark) to a sentence, keeping its clauses in order."""
    if breaks:
        pairs = sorted(set(zip(sentence.clause_starts, sentence.clause_marks)) | set(breaks))
        sentence.clause_starts = tuple(start for start, _ in pairs)
        sentence.clause_marks = tuple(mark for _, mark in pairs)


def _has_cue(facts: Facts, low: int, high: int) -> bool:
    return any(low <= t.start < high and t.kinds & CUE_KINDS for t in facts.tokens)


def _reports_event(facts: Facts, low: int, high: int, own_country: bool = False) -> bool:
    """Return True when text[low:high] names one country and a partner or a cue, apart from a list.

    The partner alone is enough on either side: "Nigeria signed with OpenAI, Ghana with Anthropic"
    pairs Ghana with Anthropic only.
    """
    countries = [m for m in facts.countries if low <= m.start < high]
    if len({m.code for m in countries}) != 1:
        return False
    if own_country and countries[-1].end >= high - 1:
        return False  # "... with Estonia, Greece": a list, not a new statement
    return _has_cue(facts, low, high) or any(low <= m.start < high for m in facts.partners)


def _company_event(article: Article, facts: Facts, low: int, high: int) -> bool:
    """Return True for "Google licenses Character.AI": two companies and a verb between them, no state."""
    if any(low <= m.start < high for m in facts.countries):
        return False
    names = sorted((m for m in facts.partners if low <= m.start < high), key=lambda m: m.start)
    return len({m.name for m in names}) >= 2 and bool(_LOWER_WORD.search(article.text, names[0].end, names[-1].start))


def _partner_event(facts: Facts, low: int, comma: int, begin: int, high: int) -> bool:
    """Return True when both sides of a comma hold a cue and partners of their own ("..., talks go on with B")."""
    if any(m.end == comma for m in facts.partners) and any(m.start == begin for m in facts.partners):
        return False  # "named Anthropic, Google and xAI": a comma between two partner names is a list
    before = {m.name for m in facts.partners if low <= m.start < comma}
    after = {m.name for m in facts.partners if begin <= m.start < high}
    return bool(before and after and not before & after and _has_cue(facts, low, comma)
                and _has_cue(facts, begin, high))


def _place_entities(article: Article, entities: list[tuple[int, int, Entry]], starts: list[int]) -> None:
    """Attach partner and country mentions to their sentences, with roles and state proxies."""
    spans = _place_partners(article, entities, starts)
    _place_countries(article, entities, starts, spans)
    for facts in article.facts:
        for mention in facts.partners:
            if mention.name in article.proxies:
                facts.countries.append(CountryMention(article.proxies[mention.name], mention.start, mention.end,
                                                      "proxy", "party", PARTY_STRONG))
        # A state-owned partner stays a partner too: it is its own state's side, and a partner of any other
        # state (taxonomy decision 5); deals.py never pairs it with its own state.
        facts.partners = [m for m in facts.partners if not _bystander_mention(article, facts, m)]
    _place_state_organisations(article, entities, starts)
    for facts in article.facts:
        facts.countries.sort(key=lambda m: m.start)


def _bystander_mention(article: Article, facts: Facts, mention: PartnerMention) -> bool:
    """Return True when a partner only supplies, or reports on, another (not state-owned) partner's deal.

    "Nebius will install several thousand Nvidia GPUs", "Nvidia supplies the chips to G42": the
    chips are a component of the other partner's deal, not a deal of the chipmaker.
    """
    text = article.text
    others = [m for m in facts.partners if m.name != mention.name and m.name not in article.proxies]
    if not others:
        return False
    if _SUPPLIES_AFTER.match(text, mention.end, facts.sentence.end):
        return True
    if _SPEAKER_AFTER.match(text, mention.end, facts.sentence.end) and text[:mention.start].endswith(", "):
        return True  # "..., Oracle said in a statement": the source of the news, not a party
    if not any(m.start < mention.start for m in others):
        return False
    if any(_PARENT_OF.match(text[m.end:mention.start]) for m in others if m.end <= mention.start):
        return True  # "Core42, a subsidiary of G42": the parent describes the party, it is not one
    before = text[max(facts.sentence.start, mention.start - 40):mention.start]
    return bool(_HARDWARE_AFTER.match(text[mention.end:mention.end + 60]) or _HARDWARE_BEFORE.search(before))


def _place_state_organisations(article: Article, entities: list[tuple[int, int, Entry]], starts: list[int]) -> None:
    """Make every mention of an organisation the article shows to be state-owned a party for its state.

    "Aramco, which is majority-owned by the Saudi state": "a memorandum with Saudi Aramco" is then
    a memorandum with Saudi Arabia. Registry partners keep their own ownership rule.
    """
    text = article.text
    partner_spans = [(s, e) for s, e, entry in entities if entry.kind in ("partner", "product")]
    for name, low, high in find_state_organisations(text):
        codes = [entry.value for s, _, entry in entities if entry.kind == "country" and low <= s < high]
        if len(set(codes)) != 1:
            continue
        forms = {name}
        words = name.split()
        if len(words) > 1 and any(text.startswith(words[0], s) and entry.kind == "country"
                                  for s, _, entry in entities if low <= s < high):
            forms.add(" ".join(words[1:]))  # "Saudi Aramco" is also "Aramco"
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + r")\b")
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in partner_spans):
                continue
            facts = article.facts[bisect.bisect_right(starts, match.start()) - 1]
            if match.end() > facts.sentence.end or any(m.form == "proxy" and m.start <= match.start() < m.end for m in facts.countries):
                continue
            facts.countries = [m for m in facts.countries if not (match.start() <= m.start < match.end())]
            facts.countries.append(CountryMention(codes[0], match.start(), match.end(), "proxy", "party", PARTY_STRONG))


def _place_partners(article: Article, entities: list[tuple[int, int, Entry]],
                    starts: list[int]) -> dict[int, list[Span]]:
    """Attach partner mentions to their sentences; return the partner spans of each sentence."""
    spans: dict[int, list[Span]] = defaultdict(list)
    for start, end, entry in entities:
        index = bisect.bisect_right(starts, start) - 1
        if index < 0 or entry.kind not in ("partner", "product"):
            continue
        facts = article.facts[index]
        partner = article.vocab.partners.get(entry.value)
        home = partner.home if partner else ""
        spans[index].append(Span(start, end, home))
        if entry.kind == "product":
            facts.ai = True  # registry products are AI products: Copilot, ChatGPT, Gemini, Azure
        if home and entry.value not in article.proxies:
            if partner is not None and partner.state_owned:
                article.proxies[entry.value] = home
            owner = _state_owner(article, facts, start, end, home, entities)
            if owner is not None:
                article.proxies[entry.value] = home
                article.ownership.append(owner)
        if not is_rival_mention(article.text, facts.sentence.start, start, end):
            mention = PartnerMention(entry.value, start, end)
            facts.partners.append(mention)
            article.partner_mentions.append(mention)
    return spans


def _place_countries(article: Article, entities: list[tuple[int, int, Entry]], starts: list[int],
                     spans: dict[int, list[Span]]) -> None:
    """Attach country mentions to their sentences with their roles, dropping unsupported ambiguous ones."""
    text = article.text
    mentions: list[tuple[Facts, CountryMention, bool]] = []
    previous: CountryMention | None = None
    for start, end, entry in entities:
        if entry.kind != "country":
            continue
        index = bisect.bisect_right(starts, start) - 1
        facts = article.facts[index]
        role, strength = mention_role(text, facts.sentence.start, start, end, entry.value, entry.extra,
                                      facts.tokens, spans[index])
        if (previous is not None and previous.start >= facts.sentence.start
                and previous.role in ("context", "party") and entry.extra != "institution"
                and _coordinated(text[previous.end:start], text[end:end + 80], previous.form == entry.extra)):
            role, strength = previous.role, min(strength, previous.strength) if previous.role == "party" else 0
        body = article.vocab.bodies.get(phrase_key(text[start:end]), "") or article.government_bodies.get((start, end), "")
        if body and _PLACE_NOUN_AFTER.match(text, end):
            role, strength = "context", 0  # "as Querétaro region opens": a cloud region named after the place
        mention = CountryMention(entry.value, start, end, entry.extra, role, strength, body)
        previous = mention
        mentions.append((facts, mention, _collapse(text[start:end]) in article.vocab.ambiguous))
    # An ambiguous form ("Georgia", a ministry name many states share) counts when the article
    # names the country in another, unambiguous way, or when it plainly acts as a state. A
    # company's nationality ("l'entreprise française Mistral AI") is no such evidence.
    evidence: dict[str, set[str]] = defaultdict(set)
    for _, mention, ambiguous in mentions:
        if ambiguous or mention.role != "context" or mention.form != "demonym":
            evidence[mention.code].add(_collapse(text[mention.start:mention.end]) if ambiguous else "")
    for facts, mention, ambiguous in mentions:
        # "LIMA.– El Ministerio ...": a capital in capitals opening a paragraph is a dateline, whatever else it names
        strong_form = (mention.strength == PARTY_STRONG and mention.form != "institution") or (
            mention.role == "dateline" and text[mention.start:mention.end].isupper())
        if ambiguous and mention.form == "institution" and _other_state_named(facts, mention, mentions):
            continue  # "les discussions entre le gouvernement djiboutien et Oracle, a indiqué le ministère de l'Économie"
        if not ambiguous or "" in evidence[mention.code] or len(evidence[mention.code]) > 1 or strong_form:
            facts.countries.append(mention)


def _other_state_named(facts: Facts, mention: CountryMention,
                       mentions: list[tuple[Facts, CountryMention, bool]]) -> bool:
    """Return True when a ministry whose name names no country sits in a sentence where another state acts."""
    return any(other is facts and m.code != mention.code and m.role in ("party", "dateline") and not amb
               for other, m, amb in mentions)


def _coordinated(between: str, after: str, same_form: bool) -> bool:
    """Return True for "Egypt, Kenya and Morocco": list items share the role of the first.

    A comma alone is a list only when the list goes on ("Kenya, Morocco and ..."); "Unlike China,
    Singapore's government ..." is not one.
    """
    if _AND.match(between):
        return True
    return same_form and bool(_COMMA.match(between)) and bool(_LIST_GOES_ON.match(after))


def _collapse(surface: str) -> str:
    return _SPACES.sub(" ", surface.replace("-", " ")).strip()


def _state_owner(article: Article, facts: Facts, start: int, end: int, home: str,
                 entities: list[tuple[int, int, Entry]]) -> tuple[int, int] | None:
    """Return the span of "set up by <its home state>" when the sentence says so of this partner, else None."""
    owner = ownership_end(article.text, start, end)
    if owner is None:
        return None
    if owner == end:
        return (start, end)
    window_end = min(owner + 60, facts.sentence.end)
    if any(owner <= e_start < window_end and entry.kind in ("partner", "product") for e_start, _, entry in entities):
        return None  # "Core42, filiale du groupe émirien G42": owned by a company, not by the state
    for e_start, _, entry in entities:
        if owner <= e_start < window_end and entry.kind == "country" and entry.value == home:
            return (end, owner)
    return (end, owner) if _STATE_WORDS.search(article.text[owner:window_end]) else None


def _refers_to_a_state(text: str, sentence_start: int, token: Token) -> bool:
    """Return True when a state word refers to one state: not "other governments", not "for government agencies"."""
    before = text[max(sentence_start, token.start - 30):token.start]
    if _NOT_A_REF.search(before):
        return False
    words = text[token.start:token.end + 14].lower().split()[:2]
    # buyers in general are a market: "for government agencies", "for public administration"
    generic = any(w.endswith("s") or w.startswith(("public", "pública", "publique")) for w in words)
    return not (generic and _MARKET_FOR.search(before))


def _describe(article: Article, facts: Facts) -> None:
    """Fill in a sentence's cues, references, clause markers and dates."""
    text, sentence = article.text, facts.sentence
    cues, weak = find_cues(text, facts.tokens, sentence.start, sentence.end)
    facts.cues = [c for c in cues if not any(s <= c.start and c.end <= e for s, e in article.ownership)]
    facts.weak_cues = weak
    for token in facts.tokens:
        if token.has("state_ref") and _refers_to_a_state(text, sentence.start, token):
            facts.state_refs.append(token.start)
        if token.has("pair_anaphor") or (token.has("anaphor") and _after_determiner(article, sentence, token)):
            facts.pair_anaphor = True
        if token.has("partners_anaphor"):
            facts.partners_anaphor = True
        if token.has("gov_gov"):
            facts.gov_gov.add(sentence.clause_of(token.start))
        if token.has("company_pair"):
            facts.company_pair.add(sentence.clause_of(token.start))
        if token.has("enforcement"):
            facts.enforcement.add(sentence.clause_of(token.start))
        if token.has("precedent"):
            facts.precedent = True
        if token.has("partner_noun") and facts.partner_anaphor is None and _refers_back(article, facts, token):
            facts.partner_anaphor = token.start
    facts.heading = _heading(article, facts)


def _refers_back(article: Article, facts: Facts, token: Token) -> bool:
    """Return True for "the company" pointing back, not for an apposition ("Humain, the AI company")."""
    start = referring_phrase_start(article.text, facts.sentence.start, token.start)
    return start is not None and not _APPOSITION.search(article.text, max(facts.sentence.start, start - 3), start)


def _after_determiner(article: Article, sentence: Sentence, token: Token) -> bool:
    before = article.text[max(sentence.start, token.start - 12):token.start].lower()
    words = before.replace("'", "' ").split()
    return bool(words) and words[-1] in article.vocab.determiners


def _heading(article: Article, facts: Facts) -> str | None:
    """Return a country code for a heading such as "Morocco." or "Poland and Google.", "" for other headings."""
    sentence = facts.sentence
    if sentence.end - sentence.start > 60:
        return None
    raw = article.text[sentence.start:sentence.end]
    if not raw.endswith(".") or len(raw.split()) > 5:
        return None
    rest = list(raw)
    spans = [(m.start, m.end) for m in facts.countries] + [(m.start, m.end) for m in facts.partners]
    for start, end in spans:  # a mention may run past a heading's full stop ("Mistral AI S.A.")
        for offset in range(max(start, sentence.start) - sentence.start, min(end, sentence.end) - sentence.start):
            rest[offset] = " "
    remainder = _HEADING_GLUE.sub(" ", "".join(rest)).strip()
    codes = list(dict.fromkeys(m.code for m in facts.countries))
    if not remainder and len(codes) == 1:
        return codes[0]
    if len(raw.split()) <= 3 and not facts.cues:
        return ""
    return None


def dominant_country(article: Article) -> str | None:
    """Return the country the article is about, when one clearly dominates its mentions."""
    scores: dict[str, float] = {}
    acting: set[str] = set()
    parties: set[str] = set()  # a state only ever blocking or named as a place does not compete
    for facts in article.facts:
        lead = 2 if facts.sentence.paragraph <= 1 else 1  # the headline and lead name the article's subject
        for mention in facts.countries:
            weight = DOMINANCE_WEIGHTS[mention.role] * (2 if mention.strength == PARTY_STRONG else 1)
            scores[mention.code] = scores.get(mention.code, 0.0) + weight * lead
            if mention.role != "context" or mention.form != "demonym":
                acting.add(mention.code)
            if mention.role in ("party", "dateline"):
                parties.add(mention.code)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:2]
    # A country only ever named by adjectives describing other things ("un acteur européen", "le droit
    # européen") is no setting of the article, let alone the state whose ministry speaks.
    if not ranked or ranked[0][1] < 0.5 or ranked[0][0] not in acting:
        return None
    contested = ranked[1:] and (ranked[1][0] in parties or ranked[0][0] not in parties)
    if contested and ranked[0][1] < 2 * ranked[1][1]:
        return None
    return ranked[0][0]


def roundup_sections(article: Article) -> list[str | None]:
    """Return, per sentence, the country of the roundup heading above it in its paragraph."""
    current: str | None = None
    paragraph = -1
    result: list[str | None] = []
    for facts in article.facts:
        if facts.sentence.paragraph != paragraph:
            paragraph, current = facts.sentence.paragraph, None
        if facts.heading is not None:
            current = facts.heading or None
        result.append(current)
    return result
