"""The country gazetteer in context: is this mention of a country a party to a deal, or only context?

A country counts as a party when its state acts: "Chile's government", "the Kenyan government",
"le ministère ivoirien", "Greece signed", "Rabat opens talks", a named ministry or a leader.
It is context when it only locates or describes: "French AI company Mistral AI",
"San Francisco-based", "in New York", "following Saudi Arabia's deal", "unlike China",
"Abu Dhabi's G42", "northern Norway", "Stargate Argentina".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.classify.stages import Token

LOGGER = logging.getLogger(__name__)

PARTY_STRONG = 2  # a state body is named: "Chile's government", a ministry, a leader
PARTY_PLAIN = 1  # the country itself acts: "Greece signed", "with Vietnam"

NAME_WINDOW = 7  # words of a state body's name before its head noun: "Information and Communication Technology Agency"
# "Sri Lanka's Information and Communication Technology Agency": a named body, capitalised up to its head noun
_NAME_WORDS = re.compile(r"(?:'s)?\s*(?:(?:[A-Z][\w&-]*|and|of|for|the|&|de|du|des|del|la|el|y|et)\s+)*")
_BASED = re.compile(r"^(?:-|\s)(?:based|headquartered|born|founded|made)\b", re.IGNORECASE)
_COMPOUND = re.compile(r"^-\w")
_POSSESSIVE = re.compile(r"^'s?\s+")
_LOCATION = re.compile(
    r"\b(?:in|into|from|across|throughout|outside|inside|within|near|around|via|at|en|au|aux|à|dans|"
    r"desde|hacia|over|off|beyond|based in|headquartered in|born in|next to|cerca de|cerca del|près de|près du|"
    r"em|no|na|nos|nas|"  # Portuguese: "em Seattle, nos Estados Unidos"
    r"próximo a|junto a)\s+(?:the\s+|la\s+|le\s+|les\s+|l'|el\s+|los\s+|las\s+)?$",
    re.IGNORECASE)
_TRAVEL = re.compile(r"\b(?:visit|visits|visited|trip|trips|travel(?:led|ed)?|flew|flocked|came|went|exports?|shipments?|"
                     r"returned|moved|expand(?:ed|ing)?|relocat\w*)\s+to\s+(?:the\s+)?$|"
                     # "durante su visita a California", "lors d'une visite aux États-Unis", "viagem aos EUA"
                     r"\b(?:visitas?|viajes?|gira|visites?|voyages?|déplacement|viagem|viagens)\s+"
                     r"(?:(?:oficial|officielle?|présidentiel(?:le)?|presidencial|presidential|d'État|de\s+Estado|"
                     r"de\s+trabajo|de\s+travail|d'affaires)\s+)?(?:a|al|à|au|aux|en|por|ao|aos|à|às|na|no|nos|nas)\s+"
                     r"(?:la\s+|el\s+|los\s+|las\s+|l')?$", re.IGNORECASE)
# "le directeur général, venu spécialement des Émirats": where a person comes from is no party.
_ORIGIN = re.compile(
    r"\b(?:venue?s?|arrivée?s?|procedentes?|llegad[oa]s?|venid[oa]s?|vind[oa]s?|chegad[oa]s?)\s+"
    r"(?:(?:spécialement|exprès|directement|especialmente|directamente|diretamente)\s+)?"
    r"(?:de|des|du|d'|desde|da|do|dos|das)\s*(?:la\s+|le\s+|les\s+|l'|el\s+|los\s+|las\s+)?$", re.IGNORECASE)
# "el presidente de IBM para España, Portugal y Grecia", "Microsoft's head for Africa": the territory
# of a company officer's job, not a party
_OFFICE_TERRITORY = re.compile(
    r"\b(?:president[ea]?|président|director[a]?|directeur|directrice|head|chief|CEO|gerente|manager|"
    r"vice[- ]president|vicepresident[ea]|responsable|jef[ea]|country\s+manager|general\s+manager)\s+"
    r"(?:(?:de|of|du|del|d')\s+)?(?:[A-Z][\w&.'-]*\s+){1,3}(?:para|for|pour|en|in)\s+(?:la\s+|le\s+|the\s+|el\s+)?$",
    re.IGNORECASE)
_COMPARE = re.compile(
    r"\b(?:unlike|like|than|following|similar to|compared (?:with|to)|other than|versus|vs\.?|"
    r"contrairement à|comme|a diferencia de|como)\s+(?:the\s+|la\s+|le\s+|l'|el\s+)?$|"
    r"\b(?:rivals?|rivall?ing|outperform\w*|match(?:es|ing)?)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
_RANGE = re.compile(r"\bfrom\s+(?:the\s+)?[A-Z][\w' .-]*\s+to\s+(?:the\s+)?$")
_HYPHENATED = re.compile(r"\w-$")
# "Bancolombia, the largest bank of Colombia", "el mayor banco de Colombia": the country describes a
# company, it does not act. Lower case only: "Bank of Ghana" is a central bank, the state's own.
_ORG_OF = re.compile(
    r"\b(?<!central\s)(?<!national\s)(?<!development\s)(?:bank|banks|lender|lenders|insurer|insurers|retailer|"
    r"retailers|carrier|carriers|airline|airlines|conglomerate|banco|bancos|banque|banques|aseguradora|"
    r"operador|opérateur|minorista|aerolínea|entidad(?:es)?\s+financieras?|financiera|group|grupo|groupe|company|"
    r"empresa|firm|société|compañía|telco)\s+(?:of|in|de|du|des|del|d')\s*(?:the\s+|la\s+|le\s+|l'|el\s+)?$")
# "Commonwealth Bank of Australia", "Royal Bank of Canada": a company's name; "Reserve Bank of India" is the state's.
_PRIVATE_BANK_OF = re.compile(r"\b(?!(?:The|A|An|Central|Reserve|National|Development|State|People's|Federal|Export-Import)\s)"
                              r"[A-Z][\w&'-]+\s+Bank\s+of\s+(?:the\s+)?$")
# "El banco, el mayor de Colombia", "the largest lender in Kenya": a rank describes a company.
_SUPERLATIVE = re.compile(
    r"\b(?:largest|biggest|leading|oldest|second-largest|third-largest|(?:el|la|los|las)\s+mayor(?:es)?|"
    r"(?:el|la)\s+más\s+grande|(?:le|la)\s+plus\s+grand(?:e)?|(?:o|a)\s+maior)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:of|in|de|du|des|del|d'|en|do|da|dos|no|na)\s*(?:the\s+|la\s+|le\s+|l'|el\s+|los\s+)?$", re.IGNORECASE)
# "across the kingdom and the United States": a country coordinated with a place is a place too.
# "una gira por empresas tecnológicas de Estados Unidos", "tech companies from the US": the country
# says where the companies are from; the state does not act.
# "anunciou planos para o Egipto, o Quénia ...", "plans for Kenya": where a company means to expand, a market
_PLANS_FOR = re.compile(r"\b(?:plans?|planes|planos|projets?|proyectos?|projetos?|expansion|expansión|expansão|"
                        r"ambitions?)\s+(?:(?:for|in|into|to|para|pour|en|au|aux|hacia)\s+)(?:the\s+|la\s+|le\s+|les\s+"
                        r"|l'|el\s+|los\s+|las\s+|o\s+|a\s+|os\s+|as\s+)?$", re.IGNORECASE)
# "no pueden salir de Estados Unidos", "cannot leave the United States": where goods leave from is a place
_LEAVE_FROM = re.compile(r"\b(?:salir|sale|salen|salió|leave|leaves|left|quitter|quittent|quitté|sortir|sortent|sair|"
                         r"saem|saiu)\s+(?:de\s+(?:los\s+|la\s+|el\s+)?|del\s+|du\s+|des\s+|de\s+l'|the\s+|dos\s+|da\s+|do\s+)?$",
                         re.IGNORECASE)
# "in six African markets, including Nigeria, Ghana and Uganda": markets a company sells in
_MARKETS_INCLUDING = re.compile(
    r"\b(?:markets?|countries|pays|marchés|mercados|países)\b[^.;:]{0,40}?,?\s+(?:including|such\s+as|like|notably|"
    r"notamment|dont|comme|como|incluidos?|incluyendo|entre\s+ellos|incluindo)\s+(?:the\s+|la\s+|le\s+|el\s+|o\s+|a\s+)?$",
    re.IGNORECASE)
_COMPANIES_OF = re.compile(
    r"\b(?:companies|firms|start-?ups|groups|giants|empresas|compañías|firmas|entreprises|sociétés|groupes)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:of|from|in|de|du|des|del|d')\s*(?:the\s+|la\s+|le\s+|l'|el\s+)?$", re.IGNORECASE)
_PLACE_LIST = re.compile(
    r"\b(?:in|across|throughout|within|outside|en|dans|à travers)\s+(?:the\s+|la\s+|le\s+|les\s+|el\s+|los\s+)?"
    r"[\w-]+(?:\s+[\w-]+)?(?:,\s+[\w-]+(?:\s+[\w-]+)?){0,4}(?:,\s*|,?\s+(?:and|as well as|et|y)\s+)"
    r"(?:the\s+|la\s+|le\s+|les\s+|l'|el\s+|los\s+)?$",
    re.IGNORECASE)
# "A similar trial ... by Australia's federal agencies": a comparison, not this article's deal.
_COMPARISON = re.compile(r"\b(?:similar|comparable|same|semblables?|similaires?|similares?|mism[oa]s?)\b[^.;:]{0,60}$",
                         re.IGNORECASE)
_GEOGRAPHIC = re.compile(
    r"\b(?:northern|southern|eastern|western|central|north|south|east|west|north-eastern|north-western|"
    r"south-eastern|south-western|rural|coastal|neighbouring|neighboring|mainland)\s+$|"
    # "dans l'ouest de la Norvège", "in the north of Chile", "en el sur de México": a region of the country
    r"\b(?:north|south|east|west|centre|center|nord|sud|est|ouest|norte|sur|este|oeste|centro|noreste|noroeste|"
    r"sudeste|sureste|nord-est|nord-ouest|sud-est|sud-ouest)\s+(?:of\s+(?:the\s+)?|de\s+la\s+|de\s+l'|du\s+|"
    r"des\s+|de\s+|del\s+)$", re.IGNORECASE)
_PARTY_BEFORE = re.compile(r"\b(?:with|avec|con|between|entre|by|par|and|et|y)\s+(?:the\s+|la\s+|le\s+|l'|el\s+)?$",
                           re.IGNORECASE)
_OF = re.compile(r"^\s*(?:of|of the|du|de|de la|d'|des|del)\s*$", re.IGNORECASE)
_ORG_AFTER = re.compile(
    # "India's largest start-up", but not "Tonga holds talks with start-up": the words between are no preposition
    r"^\s+(?:(?!(?:with|avec|con|to|and|et|y)\s)[\w().'&-]+\s+){0,3}?"
    r"(?:company|companies|firm|firms|start-?ups?|group|groups|giant|giants|lab|labs|"
    r"developer|developers|chipmaker|chipmakers|maker|makers|provider|providers|operator|operators|conglomerate|"
    r"bank|banks|lender|investor|investors|executives?|users|customers|market|markets|businesses|business|"
    r"suppliers?|hardware|processors|chips|society|language|languages|people|citizens|billionaire|businessman|"
    r"entrepreneurs?|counterpart|soil|territory|accents?|data|residency|dialects?|rivals?|competitors?|"
    r"law|laws|rules|regulations?|act|accession|membership|standards|candidates?|"
    r"apps?|platforms?|services|systems|models|technology|technologies|tech|products|brands?|messaging|"
    r"chatbots?|search\s+engine|economy|industry|ecosystem|champions?|unicorns?|chiefs|bosses|marketplaces?|"
    r"retailers?|airlines?|insurers?|carriers?|telecoms?|"
    r"entreprise|entreprises|société|groupe|empresa|empresas|compañía)\b",
    re.IGNORECASE)
_DATELINE_AFTER = re.compile(r"^\s*(?:[—–-]|,\s*(?:[A-Z][a-z]{2,}\.?\s+\d|\d|[A-Z]{2,}))")
_VISIT_AFTER = re.compile(r"^'s\s+(?:state\s+|official\s+)?(?:visit|trip|tour)\b", re.IGNORECASE)
_OPEN_QUOTE = re.compile(r"[\"“«][^\"”»]{0,60}$")
_CLOSE_QUOTE = re.compile(r"^[^\"“”«»]{0,40}[\"”»]")
_LEAD_IN = re.compile(r"^[\s\"“«•\-–—(]*$")


@dataclass(frozen=True)
class CountryMention:
    """A country named in a sentence, with the part it plays there."""

    code: str
    start: int
    end: int
    form: str  # name | demonym | capital | abbreviation | institution | leader | proxy
    role: str  # party | context | regulator | dateline
    strength: int = 0  # PARTY_STRONG or PARTY_PLAIN for parties
    body: str = ""  # the sub-national government it names ("Telangana"), "" for the state itself


@dataclass(frozen=True)
class Span:
    """A matched partner or product that a country mention may sit next to, with the partner's home."""

    start: int
    end: int
    home: str = ""


def _next_token(tokens: Sequence[Token], position: int, kinds: tuple[str, ...]) -> Token | None:
    for token in tokens:
        if token.start >= position and any(token.has(k) for k in kinds):
            return token
    return None


def _prev_token(tokens: Sequence[Token], position: int, kinds: tuple[str, ...]) -> Token | None:
    for token in reversed(tokens):
        if token.end <= position and any(token.has(k) for k in kinds):
            return token
    return None


def _words(text: str) -> int:
    return len(text.split())


def _state_after(text: str, tokens: Sequence[Token], end: int, window: int) -> str | None:
    """Return "state" or "regulator" when a state noun follows within `window` words, else None."""
    token = _next_token(tokens, end, ("state_noun", "state_ref", "regulator"))
    if token is None:
        return None
    between = text[end:token.start]
    if re.search(r"[,;:.]\s", between):
        return None
    if _words(between) > window and not (_words(between) <= NAME_WINDOW and _NAME_WORDS.fullmatch(between)):
        return None
    return "regulator" if token.has("regulator") else "state"


def _state_before(text: str, tokens: Sequence[Token], start: int, adjacent_only: bool) -> str | None:
    token = _prev_token(tokens, start, ("state_noun", "state_ref", "regulator"))
    if token is None:
        return None
    between = text[token.end:start]
    if adjacent_only:
        if between.strip():
            return None
    elif between.strip() and not _OF.match(between):
        return None
    return "regulator" if token.has("regulator") else "state"


def _is_context_prefix(prefix: str) -> bool:
    return bool(_LOCATION.search(prefix) or _TRAVEL.search(prefix) or _ORIGIN.search(prefix)
                or _OFFICE_TERRITORY.search(prefix) or _COMPARE.search(prefix)
                or _GEOGRAPHIC.search(prefix) or _RANGE.search(prefix) or _COMPARISON.search(prefix)
                or _ORG_OF.search(prefix) or _PLACE_LIST.search(prefix) or _COMPANIES_OF.search(prefix)
                or _SUPERLATIVE.search(prefix) or _PRIVATE_BANK_OF.search(prefix) or _PLANS_FOR.search(prefix)
                or _LEAVE_FROM.search(prefix) or _MARKETS_INCLUDING.search(prefix))


def _in_quoted_name(prefix: str, suffix: str) -> bool:
    opened = _OPEN_QUOTE.search(prefix)
    closed = _CLOSE_QUOTE.match(suffix)
    return bool(opened and closed and (opened.group().strip("\"“« ") or closed.group().strip("\"”» ")))


def _after_entity(start: int, entities: Sequence[Span], text: str) -> bool:
    """Return True when the country directly follows a partner or product ("Stargate Argentina")."""
    for span in entities:
        if span.end <= start and start - span.end <= 5 and re.fullmatch(r"\s*(?:for\s+)?", text[span.end:start]):
            return True
    return False


def _possessive_role(text: str, code: str, tokens: Sequence[Token], end: int,
                     entities: Sequence[Span]) -> tuple[str, int]:
    """Role of "<country>'s ...": its government is strong, its own company is context."""
    rest = _POSSESSIVE.match(text[end:end + 4])
    after = end + (rest.end() if rest else 0)
    for span in entities:
        words = _words(text[after:span.start]) if span.start >= after else 99
        if words == 0 or (words <= 2 and span.home == code):
            return "context", 0  # "Abu Dhabi's G42", "France's Mistral AI"
    state = _state_after(text, tokens, after, 3)
    if state == "regulator":
        return "regulator", 0
    if state == "state":
        return "party", PARTY_STRONG
    if _ORG_AFTER.match(text[after - 1:after + 80]):
        return "context", 0  # "South Korea's dominant messaging app", "India's largest start-up"
    return "party", PARTY_PLAIN


_COMPANY_BEFORE = re.compile(
    r"\b(?:start-?up|start-?ups|company|firm|group|giant|developer|lab|entreprise|société|groupe|jeune\s+pousse|"
    r"empresa|compañía|firma|grupo|startup)\s+$", re.IGNORECASE)
_COMPANY_NOUN_AFTER = re.compile(
    r"^\s+(?:(?:chip|tech|technology|software|cloud|AI|telecoms?|internet)\s+)?(?:company|company's|firm|firm's|"
    r"start-?up|start-?up's|group|giant|developer|designer|chipmaker|lab|maker|provider|conglomerate)\b|"
    # "during a US presidential visit", "the Saudi market": an event or a market, not the state acting
    r"^\s+(?:presidential\s+|official\s+|state\s+)?(?:visit|trip|tour|summit|elections?|market|markets|economy|"
    r"media|press)\b", re.IGNORECASE)
# A state whose export controls hold a deal up is not a party to it (taxonomy decision 8).
_EXPORT_AFTER = re.compile(
    r"^(?:'s)?\s+(?:[\w-]+\s+){0,2}?(?:export|exports|chip\s+(?:rules|controls|curbs)|licen[cs]ing|"
    r"d'exportation|de\s+exportación)\b", re.IGNORECASE)
_EXPORT_BEFORE = re.compile(
    r"\b(?:export|exportation|exportación|exportations)\s+(?:[\w-]+\s+){0,5}?(?:de|from|by|of|des|del|américaines?)?"
    r"\s*(?:los\s+|las\s+|the\s+|l'|la\s+|le\s+)?(?:(?-i:[A-Z][\w.]*)\s+){0,2}$|"
    r"\blicen[cs]i?as?\s+(?:[\w-]+\s+){0,2}?(?:de|des|del|from|of)\s+(?:los\s+|the\s+)?$|"
    r"\b(?:blocked|held\s+up|halted|bloqué|bloquée|bloqués|bloqueado|bloqueada|frenado|frenada)\s+(?:by|par|por)\s+"
    r"(?:the\s+|los\s+)?$", re.IGNORECASE)
# "... on hold because the United States has not issued the export licence": the cause of a stall
_GOVERNMENT_WORD = re.compile(r"\b(?:ministr|minist[eè]re|ministerio|ministério|government|gouvernement|gobierno|"
                              r"governo|department|département|departamento|agency|agence|agencia|council|conseil|"
                              r"consejo|office|secretar|state\s+of|état|estado|generalitat|junta|xunta)", re.IGNORECASE)
_CAUSE_BEFORE = re.compile(r"\b(?:because|as|since|until|porque|hasta\s+que|car|parce\s+que|tant\s+que|awaiting|"
                           r"waiting\s+for|pending|en\s+attente\s+d(?:e|es|u)|a\s+la\s+espera\s+de|esperando|"
                           r"à\s+espera\s+de|aguardando)\s+"
                           r"(?:the\s+|los\s+|las\s+|les\s+|l')?(?:(?:authorities|autorités|autoridades|government|"
                           r"gouvernement|gobierno|administration|administración)\s+)?(?:(?-i:[A-Z][\w.]*)\s+)?$",
                           re.IGNORECASE)
_LICENCE_AFTER = re.compile(r"^\s+(?:[\w'-]+\s+){0,8}?(?:export|licen[cs]es?|licencias?|approvals?|autorisations?|"
                            r"autorizaci[oó]n(?:es)?)\b", re.IGNORECASE)


def mention_role(text: str, sentence_start: int, start: int, end: int, code: str, form: str,
                 tokens: Sequence[Token], entities: Sequence[Span]) -> tuple[str, int]:
    """Return (role, strength) of the country named at text[start:end] in its sentence."""
    prefix = text[max(sentence_start, start - 60):start]
    suffix = text[end:end + 80]
    if (_EXPORT_BEFORE.search(prefix) or _EXPORT_AFTER.match(suffix)
            or (_CAUSE_BEFORE.search(prefix) and _LICENCE_AFTER.match(suffix))):
        return "regulator", 0  # "U.S. export licences", "a licence from the US Commerce Department": the blocking state
    if form == "institution" and _TRAVEL.search(prefix) and not _GOVERNMENT_WORD.search(text, start, end):
        return "context", 0  # "lors du voyage présidentiel en Californie": a sub-national place visited
    if form == "institution":
        inside = any(t.has("regulator") and start <= t.start and t.end <= end for t in tokens)
        return ("regulator", 0) if inside else ("party", PARTY_STRONG)
    if form == "leader":
        return ("context", 0) if _VISIT_AFTER.match(suffix) else ("party", PARTY_STRONG)
    if (_BASED.match(suffix) or _COMPOUND.match(suffix) or _HYPHENATED.search(prefix)
            or _in_quoted_name(prefix, suffix)):
        return "context", 0
    if _after_entity(start, entities, text):
        return "context", 0
    if form == "capital":
        return _capital_role(text, sentence_start, start, end, code, tokens, entities, prefix, suffix)
    if form == "demonym" and _COMPANY_BEFORE.search(prefix):
        return "context", 0  # "la start-up française", "the French company": a company's nationality
    if form == "demonym":
        return _state_role(_state_before(text, tokens, start, adjacent_only=True),
                           _state_after(text, tokens, end, 3)) or ("context", 0)
    if _COMPARISON.search(prefix):
        return "context", 0
    if _POSSESSIVE.match(suffix):
        role, strength = _possessive_role(text, code, tokens, end, entities)
        # "a unit within Israel's Ministry of Defense" is the ministry; "in Kenya's capital" a place
        return (role, strength) if strength == PARTY_STRONG or not _is_context_prefix(prefix) else ("context", 0)
    if _is_context_prefix(prefix) or _COMPANY_NOUN_AFTER.match(suffix):
        return "context", 0  # a place, or a nationality: "the US company's programme"
    state_role = _state_role(_state_before(text, tokens, start, adjacent_only=False),
                             _state_after(text, tokens, end, 3))
    if state_role:
        return state_role
    if _ORG_AFTER.match(suffix):
        return "context", 0
    return "party", PARTY_PLAIN


def _state_role(before: str | None, after: str | None) -> tuple[str, int] | None:
    """Return the role a state or regulator word next to a country mention gives it, or None."""
    if "regulator" in (before, after):
        return "regulator", 0
    if "state" in (before, after):
        return "party", PARTY_STRONG
    return None


def _capital_role(text: str, sentence_start: int, start: int, end: int, code: str, tokens: Sequence[Token],
                  entities: Sequence[Span], prefix: str, suffix: str) -> tuple[str, int]:
    """A capital stands for its government only as an actor: "Ottawa commits", "talks with Rabat"."""
    at_start = bool(_LEAD_IN.match(text[sentence_start:start]))
    if at_start and (text[start:end].isupper() or _DATELINE_AFTER.match(suffix)):
        return "dateline", 0
    if _COMPARISON.search(prefix):
        return "context", 0
    if _POSSESSIVE.match(suffix):
        role, strength = _possessive_role(text, code, tokens, end, entities)
        return (role, strength) if strength == PARTY_STRONG or role != "party" else ("context", 0)
    if _is_context_prefix(prefix) or _ORG_AFTER.match(suffix):
        return "context", 0
    if at_start or _PARTY_BEFORE.search(prefix):
        return "party", PARTY_PLAIN
    if re.match(r"^\s+(?:and|et|y)\s+", suffix):
        return "party", PARTY_PLAIN
    return "context", 0
