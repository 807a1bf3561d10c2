"""Which country and partner each stage cue belongs to, and the deals an article reports.

Each valid stage cue (facts.py) is attributed to the state parties and partners of its clause,
else of the clauses of its sentence that it may borrow from. A sentence that names only one
side borrows the other side from, in turn: the pair of the sentence before when it refers back
to it ("That memorandum ...", "the company"); the article's country when it names a state body
("the ministry said"); or the country of the article's established deals when it lists one more
partner ("OpenAI received a contract ..."). Per pair the furthest stage wins, stalled overriding;
a generic "deal signed" gives way to a memorandum of the same pair, because it usually is that
memorandum.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from pipeline.classify.amounts import attach_amounts
from pipeline.classify.dates import find_dates
from pipeline.classify.facts import Article, Facts, build_article, dominant_country, roundup_sections
from pipeline.classify.features import pair_features
from pipeline.classify.partners import PartnerMention, find_unknown_partners, fuzzy_partners, listed_names
from pipeline.classify.purposes import attach_purposes
from pipeline.classify.stages import STAGE_ORDER, Cue, procurement_framework
from pipeline.classify.text import RELATIVE_OPENERS
from pipeline.classify.vocab import Vocabulary
from pipeline.models import DealMention

LOGGER = logging.getLogger(__name__)

ANAPHOR_REACH = 3  # sentences back that "the deal" or "the company" may point
AI_KINDS = frozenset({"ai_lab", "chips"})
_OTHER_STATES = re.compile(
    r"\b(?:other|several|many|dozens of|more|various|numerous|autres|plusieurs|otros|varios)\s+"
    r"(?:[\w-]+\s+)?(?:governments|countries|states|nations|gouvernements|pays|gobiernos|países)\b",
    re.IGNORECASE)
# "signed three memoranda", "firmó acuerdos con cuatro empresas": a signing that counts its companies
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "deux": 2, "trois": 3, "quatre": 4,
                "cinq": 5, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "duas": 2, "dois": 2,
                "três": 3, "quatro": 4}
_COUNTED = re.compile(
    r"\b(?P<n>" + "|".join(NUMBER_WORDS) + r"|[2-6])\s+(?:[\w'-]+\s+){0,3}?(?:deals|agreements|memorand\w*|MoUs|"
    r"contracts|firms|companies|partners|accords|protocoles|conventions|contrats|entreprises|sociétés|acuerdos|"
    r"convenios|memorandos|protocolos|contratos|empresas|compañías|firmas|acordos|documents|textes|documentos|"
    r"textos|texts|partnerships|partenariats|alianzas|asociaciones|parcerias|pactos|pacts|engagements|"
    r"compromisos|compromissos|ententes|start-?ups|jeunes\s+pousses|lauréats|winners|awardees|ganadores|"
    r"empresas\s+emergentes)\b", re.IGNORECASE)
_LIST_LINK = re.compile(r"\s*(?:,|and|et|y|e|&)?\s*")
_OTHER_ORG = re.compile(r"\b(?:with|between|and|avec|et|con|entre|y)\s+(?P<name>[A-Z][\w&.-]+(?:\s+[A-Z][\w&.-]+)*)")
# "signed agreements with several African banks": the counterpart is named, and it is not a state.
_PRIVATE_COUNTERPART = re.compile(
    r"\b(?:with|to|for|avec|con)\s+(?:[\w-]+\s+){0,3}?(?:banks|companies|firms|hospitals|universities|start-?ups|"
    r"operators|retailers|insurers|manufacturers|customers|businesses|carriers|lenders|automakers|clubs|"
    r"investors|developers|banques|entreprises|sociétés|bancos|empresas)\b", re.IGNORECASE)
# "several agencies already use AI tools", "plusieurs administrations expérimentent": bodies in general.
_SOME_BODIES = re.compile(
    r"\b(?:several|many|some|various|numerous|plusieurs|certaines|certains|nombreuses|nombreux|varias|varios|"
    r"algunas|algunos|muchas|muchos|diversas|diversos|vários|várias|muitos|muitas)\s+(?:[\w-]+\s+)?"
    r"(?:agencies|departments|ministries|administrations|bodies|services|organismes|ministères|organismos|"
    r"ministerios|dependencias|entidades|órgãos|secretarias)\b", re.IGNORECASE)
# "launched its own model", "su propio modelo": the state built it itself.
_OWN_THING = re.compile(r"\b(?:its|their)\s+own\b|\b(?:son|sa|ses|leur|leurs)\s+propres?\b|"
                        r"\b(?:su|sus)\s+propi[oa]s?\b|\bwithout\s+(?:any\s+)?(?:outside\s+|foreign\s+|external\s+)?"
                        r"(?:partners?|help)\b|\bin[- ]house\b|\bsans\s+(?:partenaires?|aide)\b|\ben\s+interne\b|"
                        r"\bsin\s+(?:socios|ayuda)\b", re.IGNORECASE)
# "joint venture of OpenAI, SoftBank and Oracle": who the deal is between
_MEMBERS_AFTER = re.compile(r"\s+(?:of|between|among|entre)\s+(?P<list>[^.;:(]{3,100})")
# "Microsoft's partnership", "its AI search deals": who owns the deal noun
_OWNER_BEFORE = re.compile(r"(?:\b(?P<word>its|their)|(?P<name>\S+?)(?P<poss>'s?))\s+(?:[\w-]+\s+){0,3}$",
                           re.IGNORECASE)
_WITH_PARTNER = re.compile(r"(?:\s+[\w'-]+){0,3}?\s+(?:with|avec|con)\s+(?:the\s+)?")
_ITS_START = re.compile(r"^[\s\"“«]*(?:Its|Their|Sa|Son|Ses|Su|Sus)\b")
_DEAL_NOUNS = (r"(?:deal|agreement|project|data cent(?:re|er)|partnership|plan|programme|program|delivery|deliveries|"
               r"livraisons?|entregas?|shipments?|"
               r"initiative|talks|negotiations|accord|projet|proyecto|contract|contrat|contrato|"
               r"partenariat|acuerdo|convenio|programa|supercomputers?|supercalculateurs?|superordenador(?:es)?|"
               r"supercomputadoras?|orders?|commandes?|pedidos?|encomendas?|computing cent(?:re|er)s?|"
               r"centres? de (?:calcul|données)|centros? de (?:datos|cómputo|cálculo|dados)|clusters?)\b")
# "non-binding", "n'engage aucune dépense de l'État", "no implica transferencia de recursos": no purchase obligation.
_NON_BINDING = re.compile(
    r"\bnon[- ]binding|\bnot\s+(?:legally\s+)?binding|\bno\s+(?:financial\s+)?(?:commitment|obligation)s?\s+to\s+"
    r"(?:buy|purchase|spend|procure)|\b(?:carries|entails|involves|creates|imposes)\s+no\s+(?:[\w-]+\s+)?"
    r"(?:obligation|commitment)|\bdoes\s+not\s+commit\s+(?:[\w-]+\s+){0,3}?to\s+(?:buy|spend|pay|purchase)|"
    r"\bnon[- ]contraignant|\bn'(?:engage|entraîne|implique|comporte|prévoit|impose)\s+(?:[\w'-]+\s+){0,4}?aucune?\s+(?:dépense|"
    r"engagement|obligation)|\bsans\s+(?:engagement|obligation)\s+(?:financi|d'achat|de\s+commande)|"
    r"\bno\s+vinculante|\bno\s+(?:implica|supone|conlleva|compromete)\s+(?:[\w-]+\s+){0,5}?(?:obligaci[oó]n|"
    r"compromisos?\s+de\s+(?:compra|contrataci[oó]n))|\bsin\s+(?:compromisos?|obligaci[oó]n(?:es)?)\s+"
    r"(?:financier|de\s+compra|de\s+contrataci|econ[oó]mic)|\bnão\s+vinculante|\bnão\s+(?:implica|envolve|prevê)\s+"
    r"(?:[\w-]+\s+){0,5}?(?:obrigaç|compromisso\s+de\s+compra)", re.IGNORECASE)
# "The GPUs will be supplied by Nvidia", "seront fournis par Nvidia": an undertaking in the passive.
_PASSIVE_UNDERTAKING = re.compile(
    r"\b(?:will\s+be|(?:is|are)\s+to\s+be|sera|seront|será|serán|(?:vai|vão)\s+ser)\s+(?:[\w-]+\s+)?"
    r"(?:supplied|provided|built|delivered|installed|operated|financed|funded|hosted|fournie?s?|construite?s?|"
    r"livrée?s?|installée?s?|financée?s?|exploitée?s?|hébergée?s?|suministrad[oa]s?|proporcionad[oa]s?|"
    r"construid[oa]s?|entregad[oa]s?|instalad[oa]s?|financiad[oa]s?|operad[oa]s?|fornecid[oa]s?|"
    r"constru[ií]d[oa]s?)\s+(?:by|par|por|pela|pelo)\s+(?:the\s+|la\s+|le\s+|l'|el\s+|o\s+|a\s+)?"
    r"(?:[\w-]+\s+){0,2}?$", re.IGNORECASE)
_QUOTE_MARKS = frozenset("\"“«'‘")
# Users of a public service: "civil servants", "les infirmières", "los docentes de 300 escuelas"
_PUBLIC_USERS = re.compile(
    r"\b(?:civil\s+servants|public\s+servants|officials|teachers|pupils|students|nurses|doctors|clerks|caseworkers|"
    r"agents?\s+(?:publics|de\s+l'administration|de\s+l'État)|fonctionnaires|enseignants|professeurs|lycéens|élèves|"
    r"étudiants|infirmi(?:ers|ères)|médecins|funcionari[oa]s|servidores\s+públicos|docentes|profesores|alumnos|"
    r"estudiantes|enfermer[oa]s|médicos|equipos\s+directivos|professores|alunos|enfermeir[oa]s|servidores|"
    r"escuelas|écoles|schools|escolas|hôpitaux|hospitals|hospitales|centres\s+de\s+santé|health\s+centres)\b",
    re.IGNORECASE)
_DEAL_WORDS = re.compile(r"\b" + _DEAL_NOUNS, re.IGNORECASE)
# "suspendió el piloto de Grok", "suspended the project with G42": the object of the suspension is a deal.
_DEAL_AFTER = re.compile(r"\s+(?:(?:the|its|their|this|that|le|la|les|l'|son|sa|ses|el|los|las|su|sus|este|esta)\s+)?"
                         r"(?:[\w-]+\s+)?(?:pilot|piloto|pilote|trial|essai|prueba|" + _DEAL_NOUNS + ")",
                         re.IGNORECASE)
# "It went live in January. The agency built it with Microsoft": what the launched thing is built on.
_BUILT_ON = re.compile(
    r"\b(?:built|developed|designed|powered|based|running|runs|hosted|trained)\s+(?:(?:it|them)\s+)?"
    r"(?:with|on|by|using|upon)\b|\b(?:bâtie?s?|construite?s?|développée?s?|basée?s?|fondée?s?|propulsée?s?|"
    r"hébergée?s?|conçue?s?|créée?s?)\s+(?:sur|avec|par)\b|\b(?:repose|reposent|reposant|s'appuie|s'appuient|"
    r"s'appuyant|relies|rely|runs|run)\s+(?:sur|on)\b|\b(?:construid[oa]s?|desarrollad[oa]s?|basad[oa]s?|"
    r"impulsad[oa]s?|alojad[oa]s?|cread[oa]s?|diseñad[oa]s?|contratad[oa]s?)\s+(?:con|sobre|en|por|a)\b|"
    r"\bcon\s+tecnolog[ií]a\s+de\b|\bavec\s+la\s+technologie\s+de\b|\bcom\s+tecnologia\s+d[ao]\b|"
    # "gives pupils accounts on OpenAI's ChatGPT Edu": what users of the launched service get is the partner's
    r"\b(?:access\s+to|accounts\s+on|accounts\s+for|licen[cs]es\s+(?:for|to)|subscriptions\s+to|supplied\s+by|"
    r"provided\s+by|accès\s+à|comptes\s+sur|licences\s+(?:de|pour)|fourni(?:e|s|es)?\s+par|acceso\s+a|"
    r"cuentas\s+(?:en|de)|licencias\s+de|suministrad[oa]s?\s+por|proporcionad[oa]s?\s+por)\b", re.IGNORECASE)
# What a non-AI deal is about, when its own sentences name no AI: factories, phones, cars, tariffs.
_NON_AI_OBJECT = re.compile(
    r"\b(?:phones?|smartphones?|handsets?|iPhones?|components?\s+plant|assembly\s+(?:plant|line)|electric\s+vehicles?|"
    r"EVs?|batter(?:y|ies)|car\s+plant|tariffs?|textiles?|téléphones?|smartphones|usine\s+d'assemblage|"
    r"véhicules?\s+électriques?|teléfonos?|celulares|planta\s+de\s+ensamblaje|vehículos?\s+eléctricos?|"
    # mobile and fixed networks: "couvrir 1 000 localités en 4G", "fibre optique"
    r"[2-5]G|LTE|fibre\s+optique|fibra\s+óptica|fib(?:er|re)[- ]optic|réseau\s+mobile|red\s+móvil|"
    r"mobile\s+network|couverture\s+mobile|cobertura\s+móvil|"
    # retail and trade: "la apertura de tiendas oficiales", "opening stores", "baja de aranceles"
    r"tiendas?|stores?|boutiques?|magasins?|lojas?|aranceles|droits\s+de\s+douane|tarifas\s+aduaneras)\b",
    re.IGNORECASE)
BUILT_REACH = 2  # sentences between a launch and the sentence naming what it is built on
COUNTED_REACH = 6  # sentences after "signed three deals" in which the three companies may be named
UNDERTAKING_REACH = 3  # sentences after a signing in which a company's undertaking belongs to it
SUBJECT_GAP = 3  # words between a company and its undertaking verb ("Microsoft, for its part, will train")
FRAMEWORK_REACH = 1  # sentences after a framework's in which its orders or award may be told
NON_BINDING_REACH = 3  # sentences after a deal's first mention in which "non-binding" may describe it
SIGNED = frozenset({"mou", "agreement"})
_CLAUSE_OPENER = re.compile(r"(?:(?:and|but|while|whereas|et|mais|y|pero|mientras)\s+)?(?:the\s+|la\s+|le\s+|el\s+)?",
                            re.IGNORECASE)
_PRONOUN_SUBJECT = re.compile(r"^[\s\"“«]*(?:It|Elle|Il|Ella|The company|The firm|The group|L'entreprise|"
                              r"La société|Le groupe|La empresa|La compañía)\b")


@dataclass(frozen=True)
class Record:
    """One piece of evidence: a stage cue attributed to a (country, partner) pair."""

    country: str
    partner: str
    stage: str
    strength: str
    sentence: int
    position: int
    direct: bool  # both parties were named in the sentence itself
    weakness: str = ""  # the cue was negated, modal, denied...: evidence for a candidate only
    end: int = -1  # where the cue phrase ends, for --explain (-1: no phrase of its own)


@dataclass
class Candidate:
    """A deal the article may report: the deal, the records behind it, and the features that score it."""

    deal: DealMention
    records: list[Record]  # every record of the pair (the valid ones, or else the weakened ones)
    chosen: list[Record]  # the records of the deal's stage
    evidence: Record
    features: dict[str, float] = field(default_factory=dict)

    @property
    def weak(self) -> bool:
        """Return True when only weakened cues (negated, modal...) back the deal."""
        return all(r.weakness for r in self.records)

    def is_deal(self, threshold: float) -> bool:
        """Return True when the candidate is stored as a deal: confident enough, and no plan or denial."""
        return not self.weak and self.deal.confidence >= threshold


@dataclass
class _Context:
    """What earlier sentences leave for later ones to refer back to."""

    dominant: str | None
    sections: list[str | None]
    established: dict[str, set[str]]
    fallbacks: bool = True
    last_pairs: list[tuple[str, str]] = field(default_factory=list)
    last_index: int = -10
    launch: tuple[int, list[str]] | None = None  # a launch by a state that named no partner: (sentence, countries)
    signing: tuple[int, list[str], str] | None = None  # the last signing: (sentence, its countries, mou or agreement)
    summary: tuple[int, list[str]] | None = None  # "signed deals with three firms": (sentence, its countries)
    counted: tuple[str, int] | None = None  # the summary's stage and how many companies it counts
    summed_partners: set[str] = field(default_factory=set)  # the companies the summary's sentences named so far
    pair_stages: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # the stages each pair's cues gave


def _previous_partner(article: Article, position: int) -> str | None:
    before = [m for m in article.partner_mentions if m.end <= position]
    return before[-1].name if before else None


def _other_org(article: Article, facts: Facts) -> bool:
    """Return True when the sentence names an organisation outside the registry as a counterpart."""
    taken = [(m.start, m.end) for m in facts.partners] + [(m.start, m.end) for m in facts.countries]
    sentence = facts.sentence
    for match in _OTHER_ORG.finditer(article.text, sentence.start, sentence.end):
        start, end = match.start("name"), match.end("name")
        if not any(s < end and start < e for s, e in taken):
            return True
    return False


def _recent_pairs(facts: Facts, context: _Context, stage: str = "") -> list[tuple[str, str]]:
    """Return the pairs "the deal" may point back to; a roundup heading in between starts a new story.

    "A memorandum with Nvidia and an agreement with YTL. The memorandum provides ...": a document
    of one stage points back to the pair that signed a document of that stage, when one did.
    """
    if context.last_pairs and facts.index - context.last_index <= ANAPHOR_REACH and (
            context.sections[facts.index] == context.sections[context.last_index]):
        same = [pair for pair in context.last_pairs if stage in context.pair_stages.get(pair, ())]
        return same or context.last_pairs
    return []


def _country_fallback(article: Article, facts: Facts, context: _Context, partners: list[str],
                      clause: int, stage: str) -> list[str]:
    """Return the state party of a sentence that names none itself, or []."""
    recent = _recent_pairs(facts, context, stage)
    if (facts.pair_anaphor or facts.partners_anaphor) and recent:
        codes = [c for c, p in recent if not partners or p in partners]
        if codes:
            return list(dict.fromkeys(codes))
    if not context.fallbacks:
        return []
    here = context.sections[facts.index] or context.dominant
    text = article.sentence_text(facts.index)
    summed_up = _summed_up_by(facts, context)
    counted = context.counted is not None and stage in SIGNED
    if summed_up and (partners or counted) and not _OTHER_STATES.search(text):
        return summed_up  # after "trois accords", a company the registry does not know: "la start-up Kata.ai"
    if here and _refers_to_state(facts, clause) and not _OTHER_STATES.search(text):
        return [here]
    if here and stage == "launched" and _public_users(article, facts, here):
        return [here]  # "quelque 25 000 lycéens lettons disposent d'un accès à Claude": the state's service in use
    if _ITS_START.match(text) and facts.index > 0:  # "El Salvador went furthest. Its agreement with ..."
        previous = article.facts[facts.index - 1]
        if len(previous.parties()) == 1 and not previous.partner_names():
            return previous.parties()
    owner = _subject_state_company(article, facts, text) or _state_company_thread(article, facts)
    if owner is not None and partners:
        return [owner]
    # A company that launches or releases something on its own is launching a product, not the
    # state's deal: "the Hangzhou-based company released a model".
    if here and stage != "launched" and _one_more_partner(article, facts, context, here, partners, clause, text):
        return [here]
    if here and stage != "launched" and _headline_of(article, facts, here):
        return [here]  # "Le fédéral attribue son accord-cadre à Mistral AI et Capgemini": the article's state
    if here and stage == "launched" and facts.index == 0 and article.has_title and partners \
            and set(partners) <= context.established.get(here, set()):
        return [here]  # "l'assistant conçu avec Mistral AI testé auprès des contribuables": the state's deal at work
    return []


def _headline_of(article: Article, facts: Facts, here: str) -> bool:
    """Return True for a headline naming no state in an article whose state acts in its body."""
    if facts.index != 0 or not article.has_title or _OTHER_STATES.search(article.sentence_text(0)):
        return False
    # Companies on both sides ("Nscale wins Microsoft contract", "OpenAI y Sur Energy firman") deal
    # with each other; a list of companies ("à Mistral AI et Capgemini") may be the state's partners.
    mentions = sorted(facts.partners, key=lambda m: m.start)
    listed = all(_LIST_LINK.fullmatch(article.text[a.end:b.start]) for a, b in zip(mentions, mentions[1:]))
    if not listed or _other_org(article, facts):
        return False
    return any(m.code == here and m.role == "party" for f in article.facts[1:] for m in f.countries)


def _summed_up_by(facts: Facts, context: _Context) -> list[str]:
    """Return the states of a signing summed up just before ("signed deals with three firms"), or [].

    The sentences that follow, one per company ("Google signed a contract ...; Nvidia signed a
    memorandum ..."), report that signing's deals, each at its own stage.
    """
    if context.summary is None:
        return []
    index, countries = context.summary
    # A counted summary reaches on until every company it counted has been named.
    open_count = context.counted is not None and len(context.summed_partners) < context.counted[1]
    reach = COUNTED_REACH if open_count else UNDERTAKING_REACH
    if 0 < facts.index - index <= reach and context.sections[facts.index] == context.sections[index]:
        return countries
    return []


def _subject_state_company(article: Article, facts: Facts, text: str) -> str | None:
    """Return the state behind "The company" or "It" when the organisation last named is state-owned, else None.

    "Humain is wholly owned by the sovereign fund. The company also announced a partnership with AMD":
    the company is the state's, so the partnership is the state's deal.
    """
    if not _PRONOUN_SUBJECT.match(text):
        return None
    for previous in reversed(article.facts[max(0, facts.index - ANAPHOR_REACH):facts.index]):
        named = [(m.start, "") for m in previous.partners] + [
            (m.start, m.code) for m in previous.countries if m.form == "proxy"]
        if named:
            return max(named)[1] or None
    return None


def _state_company_thread(article: Article, facts: Facts) -> str | None:
    """Return the state whose own company the sentence before was about, when it names no other party.

    "Viettel, the state group, suspended the extension. The Nvidia accelerators it ordered remain
    blocked": the order is Viettel's, so its state's (taxonomy: a state-owned buyer is its state's side).
    """
    if facts.index == 0:
        return None
    previous = article.facts[facts.index - 1]
    states = set(previous.parties())
    own = previous.partner_names()
    if len(states) != 1 or not own:
        return None
    state = next(iter(states))
    return state if all(_own_state(article, state, name) for name in own) else None


def _refers_to_state(facts: Facts, clause: int) -> bool:
    """Return True when "the ministry", "officials"... stand in the clause or a clause it reaches."""
    return any(_reachable(facts, clause, facts.sentence.clause_of(offset)) for offset in facts.state_refs)


def _public_users(article: Article, facts: Facts, here: str) -> bool:
    """Return True when the sentence's users are the public servants, pupils or patients of the article's state."""
    text = article.sentence_text(facts.index)
    own_people = any(m.code == here and m.form == "demonym" for m in facts.countries)
    return bool(_PUBLIC_USERS.search(text)) and (own_people or not facts.countries) and not _OTHER_STATES.search(text)


def _one_more_partner(article: Article, facts: Facts, context: _Context, here: str, partners: list[str],
                      clause: int, text: str) -> bool:
    """Return True for one more partner in an article about a country's deals ("OpenAI received a contract")."""
    if len(set(partners)) != 1 or not context.established.get(here):
        return False
    if facts.sentence.clause_marks[clause] in RELATIVE_OPENERS:
        return False  # "its cloud region, which opened in 2023"
    previous = _previous_partner(article, facts.sentence.start)
    if _PRONOUN_SUBJECT.match(text) and previous and previous not in partners:
        return False  # "Elle a noué des partenariats avec Helsing": the company's deal, not the state's
    return not (_OTHER_STATES.search(text) or _PRIVATE_COUNTERPART.search(text) or _other_org(article, facts))


def _partner_fallback(article: Article, facts: Facts, context: _Context, countries: list[str],
                      clause_span: tuple[int, int], stage: str) -> list[PartnerMention]:
    """Return the partner of a sentence that names none itself, or []."""
    recent = _recent_pairs(facts, context, stage)
    if facts.partners_anaphor and recent:
        names = [p for c, p in recent if not countries or c in countries]
        if names:
            return [PartnerMention(n, facts.sentence.start, facts.sentence.start) for n in dict.fromkeys(names)]
    if facts.partner_anaphor is not None:
        name = _previous_partner(article, facts.partner_anaphor)
        if name:
            return [PartnerMention(name, facts.partner_anaphor, facts.partner_anaphor)]
    if facts.pair_anaphor and recent:
        names = [p for c, p in recent if not countries or c in countries]
        if names:
            return [PartnerMention(n, facts.sentence.start, facts.sentence.start) for n in dict.fromkeys(names)]
    if countries and context.fallbacks and clause_span[1] > clause_span[0]:
        taken = [(m.start, m.end) for m in facts.countries]
        found = fuzzy_partners(article.vocab, article.text, clause_span[0], clause_span[1], taken)
        if not found:
            ai_lead = any(f.ai for f in article.facts if f.sentence.paragraph <= 1)
            found = find_unknown_partners(article.text, clause_span[0], clause_span[1], taken, ai_lead)
        for mention in found:
            article.known.setdefault(mention.name, mention.known)
        return found
    return []


def _reachable(facts: Facts, clause: int, other: int) -> bool:
    """Return True when no semicolon or comma splice separates the two clauses of the sentence (or they are one)."""
    marks = facts.sentence.clause_marks
    low, high = min(clause, other), max(clause, other)
    return all(marks[k] not in (";", "splice") for k in range(low + 1, high + 1))


def _borrowable(facts: Facts, clause: int, other: int, cue_clauses: set[int]) -> bool:
    """Return True when a cue in `clause` may take its parties from clause `other` of the same sentence.

    A clause with cues of its own keeps its parties; an "as ..." clause is a separate event
    ("... as Samsung and SK join Stargate"); a semicolon separates two statements.
    """
    if other == clause or other in cue_clauses:
        return False
    return facts.sentence.clause_marks[other] not in ("as", "intro") and _reachable(facts, clause, other)


def _cue_parties(article: Article, facts: Facts, cue: Cue, context: _Context,
                 cue_clauses: set[int]) -> tuple[list[str], list[str], bool] | None:
    """Return (countries, partners, direct) for one cue, or None when it belongs to no deal."""
    sentence = facts.sentence
    clause = sentence.clause_of(cue.start)
    if sentence.clause_marks[clause] == "intro":
        return None  # "Following Saudi Arabia's deal with Groq, ...": background
    clause_countries = facts.parties(clause)
    clause_partners = _own_partners(facts, cue, clause)
    if clause in facts.gov_gov or (len(clause_countries) >= 2 and not clause_partners):
        return None  # a pact between two governments
    if clause in facts.company_pair and not clause_countries:
        return None  # a deal between two companies
    if clause in facts.enforcement or _between_companies(article, facts, cue):
        return None  # an antitrust probe of a deal, or "a joint venture of OpenAI, SoftBank and Oracle"
    if _describes_partner(article, facts, clause) and not clause_countries:
        return None  # "Microsoft, which opened its first data centre in 2019, ...": the partner's own history
    others = [k for k in range(len(sentence.clause_starts)) if _borrowable(facts, clause, k, cue_clauses)]
    # A clause that names both sides keeps them against a clause with a partner of its own as subject:
    # "Kenya and Microsoft launched ..., and Nvidia said it would donate GPUs" is not Nvidia's launch.
    direct_clause = bool(clause_partners and clause_countries)
    lenders = [k for k in others if not (clause_partners and _describes_partner(article, facts, k))
               and not (direct_clause and _partner_subject(article, facts, k))]
    partners = clause_partners + [p for k in lenders for p in facts.partner_names(k) if p not in clause_partners]
    countries = list(dict.fromkeys(clause_countries or [c for k in others for c in facts.parties(k)]))
    if sentence.clause_marks[clause] in RELATIVE_OPENERS:
        # A relative clause is about its antecedent: "..., under which OpenAI and Anthropic have
        # agreed ...", "an agreement with Microsoft and G42 ..., which itself is on hold".
        countries = countries or facts.parties()
        partners = partners or facts.partner_names(clause - 1)
    direct = bool(countries and partners)
    if not countries:
        countries = _country_fallback(article, facts, context, partners, clause, cue.stage)
    if not partners:
        span = (sentence.clause_starts[clause],
                sentence.clause_starts[clause + 1] if clause + 1 < len(sentence.clause_starts) else sentence.end)
        # An unregistered organisation is looked for only where a state acts: the sentence names
        # one, or "the ministry" stands for the article's country.
        found = _partner_fallback(article, facts, context, countries,
                                  span if facts.parties() or countries else (0, 0), cue.stage)
        partners = list(dict.fromkeys(m.name for m in found))
        if not countries and partners:
            countries = _country_fallback(article, facts, context, partners, clause, cue.stage)
        if not partners and cue.stage == "launched":
            partners = _sole_partner(article, facts, context, countries)
            if countries and not partners:
                context.launch = (facts.index, countries)  # the next sentence may say what it is built on
    if not countries or not partners:
        return None
    return countries, partners, direct


def _own_partners(facts: Facts, cue: Cue, clause: int) -> list[str]:
    """Return the partners of the cue's own event within its clause.

    "Le Gabon signe avec Huawei et discute avec Cassava": with two cues in a clause, each takes
    the partners named between it and the next cue, plus a shared subject named before the first
    ("Microsoft signed a memorandum and agreed to build ..."). A cue with no partner of its own
    takes every partner of the clause.
    """
    names = facts.partner_names(clause)
    # A weakened cue ends the event before it too: "firma un memorando con Huawei y niega contactos con DeepSeek".
    bounds = sorted({c.start for c in facts.cues + facts.weak_cues if facts.sentence.clause_of(c.start) == clause})
    if len(bounds) < 2:
        return names
    ends = bounds[1:] + [facts.sentence.end]
    segments = [[m.name for m in facts.partners if begin <= m.start < end] for begin, end in zip(bounds, ends)]
    here = max(k for k, begin in enumerate(bounds) if begin <= cue.start)
    # "firma con Microsoft un protocolo ... y adjudica a Telefónica un acuerdo marco": a cue naming no
    # partner after it continues the event begun just before it.
    own = next((segment for segment in reversed(segments[:here + 1]) if segment), [])
    if not own:
        return names
    shared = [m.name for m in facts.partners if m.start < bounds[0] and facts.sentence.clause_of(m.start) == clause]
    return list(dict.fromkeys(shared + own))


def _describes_partner(article: Article, facts: Facts, clause: int) -> bool:
    """Return True for a relative clause hung on a partner's name: "Nvidia, whose partners Foxconn and Dell ..."."""
    sentence = facts.sentence
    if clause == 0 or sentence.clause_marks[clause] not in RELATIVE_OPENERS:
        return False
    begin = sentence.clause_starts[clause]
    return any(0 <= begin - m.end <= 2 and article.text[m.end:begin].strip() in ("", ",") for m in facts.partners)


def _partner_subject(article: Article, facts: Facts, clause: int) -> bool:
    """Return True when a clause opens with a partner as its subject: "..., and Nvidia said"."""
    sentence = facts.sentence
    opener = _CLAUSE_OPENER.match(article.text, sentence.clause_starts[clause])
    return opener is not None and any(m.start == opener.end() for m in facts.partners)


def _sole_partner(article: Article, facts: Facts, context: _Context, countries: list[str]) -> list[str]:
    """Return the one partner of the country's deals when the state launches something alone, else [].

    "King Frederik X inaugurated Gefion" in an article whose one Danish deal is with Nvidia: the
    supercomputer switched on is that deal being carried out.
    """
    text = article.sentence_text(facts.index)
    if len(countries) != 1 or not context.fallbacks or _other_org(article, facts):
        return []
    if _PRIVATE_COUNTERPART.search(text) or _OWN_THING.search(text) or _SOME_BODIES.search(text):
        return []  # "launched its own model with local start-ups", "plusieurs administrations expérimentent"
    if text[:1] in _QUOTE_MARKS:
        return []  # "\"Kenya wants to be a place where AI is deployed\"": a view, not the deal carried out
    partners = context.established.get(countries[0], set())
    return sorted(partners) if len(partners) == 1 else []


def _between_companies(article: Article, facts: Facts, cue: Cue) -> bool:
    """Return True when the cue's deal is one between companies.

    "a joint venture of OpenAI, SoftBank and Oracle", "a letter of intent between OpenAI and Sur
    Energy", "Microsoft's partnership with OpenAI", "Google ... its AI search deals with Apple".
    """
    members = _MEMBERS_AFTER.match(article.text, cue.end, facts.sentence.end)
    if members is not None:
        low, high = members.start("list"), members.end("list")
        state = any(low <= m.start < high and m.role == "party" for m in facts.countries) or any(
            low <= offset < high for offset in facts.state_refs)
        # Members are two organisations or more: "a pilot of OpenAI's ChatGPT" names what, not whom.
        named = {m.name for m in facts.partners if low <= m.start < high}
        other = bool(_OTHER_ORG.search(article.text, low, high))
        if not state and (len(named) >= 2 or (named and other) or (not named and other)):
            return True
    return _owned_by_company(article, facts, cue)


def _owned_by_company(article: Article, facts: Facts, cue: Cue) -> bool:
    """Return True for "<Partner>'s deal with <Partner>" or "its deal with <Partner>" after a partner."""
    text = article.text
    counterpart = _WITH_PARTNER.match(text, cue.end, facts.sentence.end)
    if counterpart is None or not any(m.start == counterpart.end() for m in facts.partners):
        return False
    owner = _OWNER_BEFORE.search(text, max(facts.sentence.start, cue.start - 40), cue.start)
    if owner is None:
        return False
    if owner.group("word"):  # "its" stands for the nearest party named before it
        partners = [m.end for m in facts.partners if m.end <= owner.start()]
        countries = [m.end for m in facts.countries if m.end <= owner.start()]
        return bool(partners) and max(partners) > max(countries, default=-1)
    return any(m.end == owner.end("name") for m in facts.partners)


def _co_mentions(facts: Facts) -> list[tuple[str, str]]:
    """Return the (country, partner) pairs named together in one clause of the sentence."""
    pairs = []
    for clause in range(len(facts.sentence.clause_starts)):
        pairs += [(c, p) for c in facts.parties(clause) for p in facts.partner_names(clause)]
    return pairs


def _own_state(article: Article, country: str, partner: str) -> bool:
    """Return True when the partner is a state-owned company of that very state: never a partner of its own state."""
    return article.proxies.get(partner) == country


def _precedent(facts: Facts, context: _Context, country: str) -> bool:
    """Return True for another state's deal cited as a precedent ("... resembles one G42 agreed with Kenya")."""
    here = context.dominant or (next(iter(context.established)) if len(context.established) == 1 else None)
    return (context.fallbacks and here is not None and country != here
            and facts.precedent and here not in facts.parties())


def _note_signing(article: Article, facts: Facts, cue: Cue, context: _Context) -> None:
    """Remember a signing whose partners the sentence does not name ("signed agreements with three firms")."""
    clause = facts.sentence.clause_of(cue.start)
    countries = facts.parties(clause) or facts.parties()
    if not countries and context.fallbacks and facts.state_refs:
        here = context.sections[facts.index] or context.dominant
        countries = [here] if here else []
    if countries and cue.stage in SIGNED and not facts.partner_names():
        context.signing = (facts.index, countries, cue.stage)
        context.summary = (facts.index, countries)
        count = _COUNTED.search(article.sentence_text(facts.index))
        if count:
            context.counted = (cue.stage, NUMBER_WORDS.get(count.group("n").lower(), 0) or int(count.group("n")))
            context.summed_partners = set()


def _summed_up_records(article: Article, facts: Facts, context: _Context, found: list[tuple[str, str]]) -> list[Record]:
    """Return the deals of companies a counted summary announced, named one sentence each without a cue.

    "Trois protocoles d'accord ont été signés. Avec Cisco, le ministère prévoit des formations ...
    Liquid Intelligent Technologies étudiera un centre de données": each company named after the
    summary, up to the number it gave, is a partner at the summary's stage.
    """
    countries = _summed_up_by(facts, context)
    if not countries or context.counted is None or any(c not in countries for c in facts.parties()):
        return []
    stage, count = context.counted
    context.summed_partners.update(p for _, p in found)
    records = []
    mentions = facts.partners or _listed_unknown(article, facts)
    for mention in mentions:
        if mention.name in context.summed_partners or len(context.summed_partners) >= count:
            continue
        context.summed_partners.add(mention.name)
        records += [Record(c, mention.name, stage, "strong" if stage == "mou" else "generic", facts.index,
                           mention.start, False) for c in countries if not _own_state(article, c, mention.name)]
    return records


def _listed_unknown(article: Article, facts: Facts) -> list[PartnerMention]:
    """Return the organisations outside the registry that a sentence after a counted summary names."""
    found = listed_names(article.text, facts.sentence.start, facts.sentence.end,
                         [(m.start, m.end) for m in facts.countries])
    for mention in found:
        article.known.setdefault(mention.name, False)
    return found


def _undertakings(article: Article, facts: Facts, context: _Context) -> list[Record]:
    """Return records for companies that undertake something in a signing just reported.

    "MinTIC signed agreements with three firms. Microsoft will train 40,000 teachers, Google will
    supply cloud credits": each company named right before an undertaking verb takes part in the
    deal signed in the last few sentences, at its stage (taxonomy: every company taking part in the
    state's project is a partner of its own pair).
    """
    if context.signing is None or not facts.partners:
        return []
    index, countries, stage = context.signing
    if not 0 <= facts.index - index <= UNDERTAKING_REACH or context.sections[facts.index] != context.sections[index]:
        return []
    if any(c not in countries for c in facts.parties()):
        return []  # another state acts in the sentence: not the same deal
    subjects = []  # (company, where its undertaking is)
    for token in facts.tokens:
        if not token.has("undertaking"):
            continue
        before = [m for m in facts.partners if m.end <= token.start
                  and facts.sentence.clause_of(m.start) == facts.sentence.clause_of(token.start)]
        if before and len(article.text[before[-1].end:token.start].split()) <= SUBJECT_GAP:
            subjects.append((before[-1].name, token.start, token.end))
    for mention in facts.partners:  # "Les processeurs seront fournis par Nvidia"
        passive = _PASSIVE_UNDERTAKING.search(article.text, max(facts.sentence.start, mention.start - 80), mention.start)
        if passive:
            subjects.append((mention.name, passive.start(), passive.end()))
    # A memorandum's undertaking is that memorandum; an agreement's gives way to one, as generic cues do.
    strength = "strong" if stage == "mou" else "generic"
    return [Record(c, partner, stage, strength, facts.index, start, False, end=end)
            for partner, start, end in subjects for c in countries if not _own_state(article, c, partner)]


def _attribute(article: Article, established: dict[str, set[str]],
               fallbacks: bool) -> tuple[list[Record], list[tuple[int, Cue]]]:
    """Return every (pair, stage) record of the article, and the stalled cues no pair claimed."""
    context = _Context(dominant_country(article), roundup_sections(article), established, fallbacks)
    records: list[Record] = []
    orphans: list[tuple[int, Cue]] = []
    for facts in article.facts:
        records += _built_on(article, facts, context)
        if context.fallbacks:
            records += _undertakings(article, facts, context)
        if not facts.cues and not (facts.countries and facts.partners):
            if context.fallbacks:
                records += _summed_up_records(article, facts, context, [])
            continue
        pairs = _co_mentions(facts)
        cue_clauses = {facts.sentence.clause_of(c.start) for c in facts.cues}
        for cue in sorted(facts.cues, key=lambda c: c.start):
            parties = _cue_parties(article, facts, cue, context, cue_clauses)
            if parties is None:
                if _orphan_stall(article, facts, cue):
                    orphans.append((facts.index, cue))
                _note_signing(article, facts, cue, context)
                continue
            countries, partners, direct = parties
            strength = _stalled_strength(article, facts, cue)
            found = [(c, p) for c in countries for p in partners if not _own_state(article, c, p)
                     and not _precedent(facts, context, c)]
            if not found and _orphan_stall(article, facts, cue):
                orphans.append((facts.index, cue))  # "le centre de calcul de Viettel suspendu": the state's own firm
            records += [Record(c, p, cue.stage, strength, facts.index, cue.start, direct, end=cue.end)
                        for c, p in found]
            if found and cue.stage in SIGNED:
                context.signing = (facts.index, list(dict.fromkeys(c for c, _ in found)), cue.stage)
            pairs += found
            for pair in found:
                context.pair_stages.setdefault(pair, set()).add(cue.stage)
            if found:
                # "..., after the two sides failed to agree": the pair just named in this sentence
                context.last_pairs, context.last_index = list(dict.fromkeys(found)), facts.index
        if context.fallbacks:
            records += _summed_up_records(article, facts, context, pairs)
        if pairs:
            context.last_pairs = list(dict.fromkeys(pairs))
            context.last_index = facts.index
        records += _weak_records(article, facts)
    return records, orphans


def _orphan_stall(article: Article, facts: Facts, cue: Cue) -> bool:
    """Return True for a stall naming no foreign partner and at most one state: it stalls that state's deal."""
    foreign = [p for p in facts.partner_names() if article.proxies.get(p) not in facts.parties()]
    return cue.stage == "stalled" and not foreign and len(set(facts.parties())) <= 1


def _weak_records(article: Article, facts: Facts) -> list[Record]:
    """Return records for the pairs a weakened cue's own clause names ("Kenya could sign with OpenAI")."""
    records = []
    for cue in facts.weak_cues:
        clause = facts.sentence.clause_of(cue.start)
        for country in facts.parties(clause):
            for partner in facts.partner_names(clause):
                if not _own_state(article, country, partner):
                    records.append(Record(country, partner, cue.stage, cue.strength, facts.index, cue.start, True,
                                          cue.weakness, cue.end))
    return records


def _built_on(article: Article, facts: Facts, context: _Context) -> list[Record]:
    """Return launch records for the partner a launched system is said to be built on.

    "The ministry put an assistant into service. The tool, built on Microsoft's cloud, answers ...":
    the launch named the state, the next sentence names the partner.
    """
    if context.launch is None or not facts.partners:
        return []
    index, countries = context.launch
    if any(c not in countries for c in facts.parties()):
        return []  # another state's sentence
    if not 0 < facts.index - index <= BUILT_REACH:
        return []
    built = _BUILT_ON.search(article.text, facts.sentence.start, facts.sentence.end)
    names = list(dict.fromkeys(m.name for m in facts.partners if built and m.start >= built.end()))
    if built is None or not names or any(m.start < built.start() for m in facts.partners):
        return []  # a partner before the link is the subject of something else
    context.launch = None
    launched = article.facts[index]
    position = min((c.start for c in launched.cues if c.stage == "launched"), default=launched.sentence.start)
    return [Record(c, name, "launched", "strong", index, position, False) for c in countries for name in names]


def _stalled_strength(article: Article, facts: Facts, cue: Cue) -> str:
    """Return the cue's strength; a suspension whose subject is a deal presupposes that deal.

    "The data-centre project announced with G42 was suspended by the ministry", "the ministry suspended
    the pilot of Grok": the project existed, so the pair needs no other evidence, unlike "the regulator
    blocked the app".
    """
    if cue.stage != "stalled" or cue.strength != "strong":
        return cue.strength
    sentence = facts.sentence
    begin = sentence.clause_starts[sentence.clause_of(cue.start)]
    if _DEAL_WORDS.search(article.text, begin, cue.start) or _DEAL_AFTER.match(article.text, cue.end, sentence.end):
        return "presupposing"
    return cue.strength


def _orphan_records(article: Article, records: list[Record], orphans: list[tuple[int, Cue]]) -> list[Record]:
    """Give stalled cues that name no partner to the deals of the state they name, or of the article's one state.

    "The project has been put on hold", "Uzbekistan's supercomputer is blocked": the deal stalled
    is the one the article reports for that state.
    """
    pairs = dict.fromkeys((r.country, r.partner) for r in records if not r.weakness)
    countries = {country for country, _ in pairs}
    extra = []
    for index, cue in orphans:
        named = article.facts[index].parties()
        stalled = [(c, p) for c, p in pairs if c in named] if named else list(pairs) if len(countries) == 1 else []
        if named and len(stalled) > 1:
            # Another state's export controls hold up every hardware deal of the state (taxonomy 8);
            # otherwise which of the state's deals stalled the sentence does not say.
            blocked = any(m.role == "regulator" for m in article.facts[index].countries)
            supplied = {(r.country, r.partner) for r in records if r.stage in SIGNED and not r.weakness}
            hardware = [(c, p) for c, p in stalled if _partner_kind(article, p) == "chips" and (c, p) in supplied]
            if not (blocked and hardware):
                continue
            stalled = hardware
        if _DEAL_WORDS.search(article.sentence_text(index)):
            extra += [Record(country, partner, cue.stage, cue.strength, index, cue.start, False, end=cue.end)
                      for country, partner in stalled]
    return extra


def _partner_kind(article: Article, partner: str) -> str:
    entry = article.vocab.partners.get(partner)
    return entry.kind if entry is not None else ""


def _resolve(article: Article, pair: tuple[str, str], records: list[Record]) -> Candidate | None:
    """Return the deal of one pair at its furthest stage, with evidence and event date, or None.

    Records of weakened cues count only when the pair has no other: the deal is then a candidate
    whose confidence says how often such evidence is right.
    """
    valid = [r for r in records if not r.weakness]
    records = valid or records
    has_mou = any(r.stage == "mou" for r in records)
    effective = [r for r in records if not (r.strength == "generic" and has_mou)]
    others = [r for r in records if r.stage != "stalled"]
    stalled = [r for r in effective if r.stage == "stalled" and (r.strength == "presupposing" or others)]
    if stalled:
        final, chosen = "stalled", stalled
    else:
        ranked = [r for r in effective if r.stage != "stalled"]
        if not ranked:
            return None
        final = max(ranked, key=lambda r: STAGE_ORDER[r.stage]).stage
        chosen = [r for r in ranked if r.stage == final]
    if not _about_ai(article, pair[1], records):
        return None
    if final == "agreement" and all(r.strength == "generic" for r in chosen) and _non_binding(article, pair, records):
        final = "mou"  # "el convenio ... no implica transferencia de recursos": a cooperation text (taxonomy 3)
    elif final == "mou" and any(procurement_framework(article.text, r.position, r.end, _pair_context_end(article, r))
                                for r in chosen) and not _non_binding(article, pair, records):
        final = "agreement"  # "un accord-cadre ... Les premiers bons de commande": orders under it (taxonomy 3)
    chosen.sort(key=lambda r: (not r.direct, r.sentence, r.position))
    evidence = chosen[0]
    dated = [r for r in records if r.stage == final or (final == "mou" and r.strength == "generic")]
    event_date = _event_date(article, evidence, sorted(dated, key=lambda r: (r.sentence, r.position)))
    level, body = _level(article, pair[0], records)
    deal = DealMention(country=pair[0], partner=pair[1], stage=final, event_date=event_date,
                       evidence=article.sentence_text(evidence.sentence), known=article.known.get(pair[1], True),
                       level=level, body=body)
    return Candidate(deal, records, chosen, evidence)


def _pair_context_end(article: Article, record: Record) -> int:
    """Return where the sentences about a record's deal end: a few sentences on, before another partner's."""
    end = article.facts[record.sentence].sentence.end
    for facts in article.facts[record.sentence + 1:record.sentence + FRAMEWORK_REACH + 1]:
        if any(name != record.partner for name in facts.partner_names()):
            break
        end = facts.sentence.end
    return end


def _non_binding(article: Article, pair: tuple[str, str], records: list[Record]) -> bool:
    """Return True when a sentence near the pair's deal says the text binds nobody to spend or buy."""
    first = min(r.sentence for r in records)
    for facts in article.facts[first:first + NON_BINDING_REACH + 1]:
        named = facts.partner_names()
        if (not named or pair[1] in named) and _NON_BINDING.search(article.text, facts.sentence.start,
                                                                     facts.sentence.end):
            return True
    return False


def _level(article: Article, country: str, records: list[Record]) -> tuple[str, str | None]:
    """Return ("subnational", body) when the country side is one sub-national government, else ("national", None).

    The mentions of the country where its cues are decide; a deal whose sentences name the country
    only through a fallback looks at every acting mention of it in the article.
    """
    def acting(indexes: set[int]) -> list[str]:
        return [m.body for i in indexes for m in article.facts[i].countries if m.code == country and m.role == "party"]

    bodies = acting({r.sentence for r in records}) or acting(set(range(len(article.facts))))
    if bodies and all(bodies) and len(set(bodies)) == 1:
        return "subnational", bodies[0]
    return "national", None


def _sentence_dates(article: Article, facts: Facts) -> list[tuple[int, str]]:
    if facts.dates is None:
        sentence = facts.sentence
        facts.dates = [(sentence.start + offset, value) for offset, value in
                       find_dates(article.text[sentence.start:sentence.end], article.published)]
    return facts.dates


def _event_date(article: Article, evidence: Record, dated: list[Record]) -> str | None:
    for record in [evidence] + dated:
        dates = _sentence_dates(article, article.facts[record.sentence])
        if dates:
            return min(dates, key=lambda d: abs(d[0] - record.position))[1]
    return None


def _about_ai(article: Article, partner: str, records: list[Record]) -> bool:
    """Return True when the deal is about AI: an AI partner, an AI lead, or AI words in its sentences."""
    entry = article.vocab.partners.get(partner)
    if entry is None or entry.kind in AI_KINDS:
        return True
    own = list({r.sentence: article.facts[r.sentence] for r in records}.values())
    non_ai = [f for f in own if _NON_AI_OBJECT.search(article.sentence_text(f.index))]
    if len(non_ai) == len(own) and any(not f.ai for f in non_ai):
        return False  # every sentence of the deal is about a phone plant: not an AI deal (taxonomy: scope per deal)
    if any(f.ai for f in article.facts if f.sentence.paragraph <= 2):
        return True
    return any(article.facts[r.sentence].ai for r in records)


def _fold_parent_brands(records: list[Record]) -> list[Record]:
    """Give a parent brand's records to its unit that the same state deals with in the article.

    "El centro de datos de Huawei ... firmó con Huawei Cloud un memorando": the article's "Huawei" is
    the Huawei Cloud of the deal, not a second partner.
    """
    names = {(r.country, r.partner) for r in records}
    units = {}
    for country, parent in names:
        longer = [p for c, p in names if c == country and p != parent and p.startswith(parent + " ")]
        if len(longer) == 1:
            units[(country, parent)] = longer[0]
    return [replace(r, partner=units[(r.country, r.partner)]) if (r.country, r.partner) in units else r
            for r in records]


def find_candidates(vocab: Vocabulary, title: str, text: str, published: date | None) -> list[Candidate]:
    """Return every deal an article may report, with the records behind each, in order of first mention."""
    return analyse(vocab, title, text, published)[1]


def analyse(vocab: Vocabulary, title: str, text: str,
            published: date | None) -> tuple[Article | None, list[Candidate]]:
    """Return the analysed article (None when it cannot report a deal) and its candidate deals."""
    article = build_article(vocab, title, text, published)
    if article is None:
        return None, []
    # First the deals whose sentences name both sides; they tell which country the article is about.
    direct, _ = _attribute(article, {}, fallbacks=False)
    established: dict[str, set[str]] = defaultdict(set)
    for record in direct:
        if record.direct and not record.weakness and not article.facts[record.sentence].precedent:
            established[record.country].add(record.partner)
    records, orphans = _attribute(article, established, fallbacks=True)
    records += _orphan_records(article, records, orphans)
    records = _fold_parent_brands(records)
    by_pair: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        by_pair[(record.country, record.partner)].append(record)
    candidates = []
    for pair, pair_records in by_pair.items():
        candidate = _resolve(article, pair, pair_records)
        if candidate is not None:
            candidates.append(candidate)
    candidates.sort(key=lambda c: min(r.sentence for r in c.records))
    dominant = dominant_country(article)
    for candidate in candidates:
        candidate.features = pair_features(article, candidate, candidates, dominant)
    attach_amounts(article, candidates)
    attach_purposes(article, candidates)
    return article, candidates
