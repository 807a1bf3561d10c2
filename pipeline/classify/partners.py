"""The partner registry in context: which organisations act in a sentence.

Registry names and aliases are found by the vocabulary's phrase matchers; this module decides
what those mentions mean (a rival named for comparison is not a party), recognises a registry
company that the article shows to be state-owned (it then acts for its country), follows
"the company" back to the partner named before, and finds near-misses (rapidfuzz) and
organisations missing from the registry ("the Swiss start-up Foo AI signed ...").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from pipeline.classify.vocab import Vocabulary, normalise_name

LOGGER = logging.getLogger(__name__)

FUZZY_CUTOFF = 90
_RIVAL_BEFORE = re.compile(
    r"\b(?:rivals?|competitors?|compete[sd]?\s+with|competing\s+with|unlike|rather\s+than|instead\s+of|"
    r"concurrents?|rivales?)\s+(?:[\w.'-]+\s+){0,3}$", re.IGNORECASE)
_MEDIUM_BEFORE = re.compile(
    r"\b(?:posted|published|posting|wrote|written|statement|post|message|video|account|page|shared|said)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:on|via|sur|en)\s+$", re.IGNORECASE)
# "Siam AI, a partner of Nvidia", "Core42, the subsidiary of G42", "une filiale de Orange"
_DESCRIPTOR_BEFORE = re.compile(
    r"\b(?:partner|partners|customer|customers|subsidiary|unit|arm|affiliate|spin-?off|investee|"
    r"partenaire|partenaires|filiale|socio|socios|filial)\s+(?:of|de|du|del|d')\s*(?:the\s+|la\s+|le\s+|el\s+|l')?$",
    re.IGNORECASE)
# "founded by former researchers from Google DeepMind and Meta", "ex-OpenAI engineers": where its
# people once worked, not a party to anything the sentence reports.
_ALUMNI_BEFORE = re.compile(
    r"(?:\b(?:former|ex|anciens?|anciennes?|antiguos?|antiguas?)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:from|of|at|de|du|des|del|chez|en|d')\s*(?:the\s+)?(?:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*(?:,\s+|\s+(?:and|or|et|ou|y|o)\s+))*|\bex-)$")
# "owns stakes in around 9,000 companies, including Microsoft, Nvidia and Alphabet": a portfolio holding
_HOLDING_BEFORE = re.compile(
    r"\b(?:stakes?|shares|holdings|positions|investments?|participations?|acciones|participaciones)\s+(?:in|dans|en)\s+"
    r"(?:[\w,.-]+\s+){0,3}?(?:companies|firms|groups|businesses|stocks|entreprises|sociétés|empresas|compañías),?\s+"
    r"(?:including|such\s+as|like|among\s+them|notamment|dont|como|incluidas?|entre\s+ellas)\s+"
    r"(?:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*(?:,\s+|\s+(?:and|or|et|ou|y|o)\s+))*$")
_DESCRIPTOR_AFTER = re.compile(
    r"^(?:-(?:backed|owned|funded|made|built|based|powered)\b|\s+(?:partner|partners|customer|customers|"
    r"subsidiary|unit|arm|affiliate|investee|spin-?off|alumni|veteran|veterans|rival|rivals)\b)", re.IGNORECASE)
# "Humain, the AI company set up by Saudi Arabia's sovereign wealth fund", "Humain is owned by the PIF"
_OWNED_AFTER = re.compile(
    r"^\s*,?\s*(?:(?:is|was|which\s+is|est|es)\s+)?(?:(?:the|a|an|une?|la|le|el)\s+)?"
    # up to four describing words, none of them a preposition: "services to a unit of" names a customer
    r"(?:(?!(?:to|for|with|from|of|à|pour|avec|para|con|de)\b)[\w-]+\s+){0,4}?"
    r"(?:wholly\s+|majority[- ]|fully\s+)?(?:owned|set\s+up|created|launched|established|founded|controlled|"
    r"détenue?|contrôlée?|créée?|fondée?|propiedad|controlad[ao]|participad[ao]|cread[ao]|fundad[ao]|subsidiary|"
    r"unit|arm|division|filiale|filial)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:by|par|por|de|of|du|del)\s+", re.IGNORECASE)
# "Swisscom, dont la Confédération détient la majorité du capital", "Fortum, in which the state holds 51%"
_HELD_AFTER = re.compile(
    r"^\s*,\s*(?:dont|in\s+which|en\s+la\s+que|en\s+el\s+que|del\s+que|de\s+la\s+que|da\s+qual|do\s+qual)\s+"
    r"(?=(?:[\w'-]+\s+){1,4}?(?:détient|détiennent|contrôle|holds|owns|controls|has\s+a\s+(?:majority|controlling)|"
    r"posee|controla|tiene\s+(?:la\s+mayoría|el\s+control)|detém)\b)", re.IGNORECASE)
# "state-owned Humain", "la société publique Foo"
_OWNED_BEFORE = re.compile(r"\b(?:(?:state|government)[- ]owned|(?:la\s+|el\s+)?(?:estatal|pública)|"
                           r"(?:l'|la\s+)?(?:publique|étatique))\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
# An organisation outside the registry that the article shows to be the state's: "Aramco, which is
# majority-owned by the Saudi state", "Fortum, the Finnish energy company in which the state holds a
# majority stake", "state-owned utility Foo Power", "la empresa estatal Foo", "l'entreprise publique Foo".
_ORG_NAME = r"[A-Z][\w&'-]*(?:[ ](?:(?:de|del|of|du|des|y|et|and)[ ])?[A-Z][\w&'-]*){0,4}"
_STATE_OWNER = (r"(?:the\s+|its\s+|la\s+|el\s+|l')?(?:[\w-]+\s+){0,2}?(?:state|government|treasury|"
                r"état|estado|gobierno|gouvernement)\b")
_STATE_ORG_PATTERNS = (
    re.compile(rf"(?P<name>{_ORG_NAME}),\s+(?:which|that|qui|que)\s+(?:is|was|est|es)\s+(?:[\w-]+\s+){{0,2}}?"
               rf"(?:wholly[- ]|majority[- ]|fully[- ]|partly[- ]|mostly[- ])?(?:owned|controlled|détenue?|controlada|"
               rf"controlado|propiedad)\s+(?:by|par|por|de|del)\s+{_STATE_OWNER}"),
    re.compile(rf"(?P<name>{_ORG_NAME})(?:\s+\((?P<acronym>[A-Z]{{2,8}})\))?,\s+(?:(?:the|a|an|la|le|l'|el|una?|uma|o)\s*)?[^,.;:]{{0,60}}?(?:in\s+which\s+the\s+"
               rf"(?:state|government)\s+(?:holds|owns|has)|(?:state|government)[- ](?:owned|controlled|run)|"
               rf"(?:majority|wholly)[- ]owned\s+by\s+{_STATE_OWNER}|dont\s+l'(?:é|É)tat\s+(?:détient|est)|"
               rf"publique?s?\b|estatal(?:es)?\b|pública\b)"),
    re.compile(rf"\b(?:state|government)[- ](?:owned|controlled|run)\s+(?:[a-z][\w-]*\s+){{0,3}}(?P<name>{_ORG_NAME})"),
    re.compile(rf"\b(?:entreprise|société|compagnie|groupe|empresa|compañía)\s+(?:publique|estatal|pública|"
               rf"d'(?:É|é)tat|del\s+Estado)\s+(?P<name>{_ORG_NAME})"),
)
# Plain substring tests: most articles have none of these, and `in` is far cheaper than a regex scan.
_STATE_ORG_HINTS = ("owned", "controlled", "state holds", "government holds", "publique", "estatal", "pública",
                    "d'État", "d'état", "del Estado", "l'État détient", "controlad", "propiedad", "détenu")
_PARTNER_ANAPHOR = re.compile(
    r"(?:\b(?:the|la|le|l'|el|its)\s+|'s\s+)(?:[\w.()'-]+\s+){0,3}?$", re.IGNORECASE)
_ORG_NOUNS = (r"start-?ups?|company|firm|developer|lab|laboratory|provider|scale-?up|unicorn|chipmaker|"
              r"jeune\s+pousse|entreprise|société|empresa|compañía")
# French and Spanish adjectives after the noun: "la start-up arequipeña Foo", "la jeune pousse lyonnaise Foo"
_POSTPOSED = (r"(?!(?:de|del|des|du|of|in|en|for|para|pour|con|with|y|and|et|la|le|el|los|las|les|que|qui|which|"
              r"that)\s)[a-zà-ÿ][\w-]*\s+")
_NAME = r"[A-Z][\w&.'-]*(?:\s+(?:[A-Z][\w&.'-]*|AI|IA|Labs?|de|of|and|&)){0,4}"
_DESCRIBED_NAME = re.compile(
    rf"\b(?P<desc>(?:[\w-]+\s+){{0,3}}?)(?P<noun>{_ORG_NOUNS})\s+"
    rf"(?P<field>(?:d'|de\s+)(?:IA|intelligence\s+artificielle|inteligencia\s+artificial)\s+)?(?:{_POSTPOSED}){{0,2}}"
    rf"(?:called\s+|named\s+|baptisée?\s+|llamada\s+)?(?P<name>{_NAME})",
    re.UNICODE)
_NAME_DESCRIBED = re.compile(
    rf"(?P<name>{_NAME}),\s+(?:a|an|the|une?|la|le|una?)\s+(?P<desc>(?:[\w-]+\s+){{0,4}}?)(?P<noun>{_ORG_NOUNS})\b",
    re.UNICODE)
_SUFFIXED_NAME = re.compile(
    r"\b(?:with|avec|con|and|et|y)\s+(?P<name>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3}\s+"
    r"(?:AI|IA|Labs|Robotics|Intelligence|Analytics|Analytica|Technologies|Tech|Systems|Computing|Solutions|Software|"
    r"Inc|Ltd|GmbH|SAS|S\.A\.))\b")
# "accorde 15 millions de dollars à Coveo", "granted $40 million to Cohere": who receives the state's money
_RECIPIENT_NAME = re.compile(
    r"(?:\b(?:millions?|billions?|milliards?|millones|mil\s+millones|bn|m)\b|\bM[\$€]|\bMd[\$€])\s*"
    r"(?:(?:de|d')\s*(?:dollars|euros|pesos|reais|dólares|livres)\s+|(?:dollars|euros|pounds|\$|€)\s+|"
    r"(?:CA|US|CAD|USD)\s+)?(?:(?:(?:in|en)\s+(?:[a-z][\w-]*\s+){1,5}?)?(?:to|à|a|para)\s+"
    # "C$22 million in a grant and a loan to Quebec City-based Coveo"
    r"(?:[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?-based\s+)?|"
    # "invierte 20 millones en la valenciana Maisa", "invests $20m in Radix": the money goes into the company
    r"(?:in|en|dans)\s+(?:(?:la|le|l'|el|the)\s*)?(?:[a-zà-ÿ][\w-]*\s+)?)"
    r"(?P<name>[A-Z][\w&.-]+(?:\s+[A-Z][\w&.-]+){0,2})")
# The name a list item opens with, before its verb or apposition: "Gnani.ai, from Bengaluru, will build"
_LEADING_NAME = re.compile(
    r"[\s\"“«•*\-–—]*(?:\d+[.)]\s*)?(?P<name>[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,2})(?=,|\s+(?:will|would|is|has|"
    r"was|gets|got|receives|a|est|va|sera|obtient|ha|recibe|recibirá|se|vai|receberá|obtém)\b)")
_AI_NAME = re.compile(r"\b(?P<name>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?\s+(?:AI|IA|Labs)|[A-Z][\w-]*\.ai)\b")
_LEADING_ARTICLES = frozenset({"The", "La", "Le", "Les", "El", "Los", "Las", "O", "A", "Os", "As"})
_INSIDE_STATE_NAME = re.compile(
    r"\b(?:Ministry|Ministère|Ministerio|Minist[eé]rio|Department|Secretar[iíy]a?\w*|Agency|Agence|Agencia)\s+"
    r"(?:of|for|de|du|des|del|da|do)\s+(?:(?:[A-Z][\w,'-]*|and|et|y|e|de|of|the|la|los|las|des|du|l')\s+){0,6}$")
_AI_WORDS = re.compile(
    r"\b(?:AI|IA|A\.I\.|artificial intelligence|intelligence artificielle|inteligencia artificial|machine learning|"
    r"data|cloud|chips?|computing|robotics|LLM|language models?|GPU|semiconductor|Labs|Intelligence|Analytics|"
    r"chatbots?|voice assistants?|virtual assistants?|assistant (?:vocal|virtuel|conversationnel)|"
    r"asistente (?:virtual|de voz)|agents? conversationnels?|agentes? conversacionales?|conversational agents?|"
    r"assistentes? virtua(?:l|is))\b|\w\.ai\b")
_NOT_COMPANY = re.compile(
    r"^(?:Ministry|Minister|Department|Government|Agency|University|Institute|National|Federal|Royal|State|"
    r"President|Prime|The|This|That|Its|Their|Le|La|Les|El|Los|Las|Université|Universidad|Ministère|Ministerio|"
    r"Gobierno|Gouvernement|Office|Council|Commission|Centre|Center|Foundation|Bank|Secretar[ií]a|Secretariat|"
    r"Secrétariat|Subsecretar[ií]a|Direcci[oó]n|Direction|Consejer[ií]a|Conselleria|Departamento|Département|"
    # sentence adverbs before an apposition: "Enfin, la start-up Kata.ai"
    r"Enfin|Finally|Lastly|Also|Meanwhile|However|Moreover|Besides|Separately|Finalement|Ensuite|Puis|Ainsi|"
    r"Par|Además|Asimismo|Luego|Finalmente|Por|Mientras|Também|Além|Depois|Aujourd'hui|Hier|Demain|Today|Yesterday|"
    r"Tomorrow|Hoy|Ayer|Mañana|Hoje|Ontem|Amanhã)(?![\w'])")
_CAPITALISED = re.compile(r"\b[A-Z][\w.&-]{3,}(?:\s+[A-Z][\w.&-]+){0,2}")


@dataclass(frozen=True)
class PartnerMention:
    """An organisation named in a sentence as a possible deal party."""

    name: str
    start: int
    end: int
    known: bool = True


def is_rival_mention(text: str, sentence_start: int, start: int, end: int) -> bool:
    """Return True when the partner is named only as a rival, a medium or a descriptor.

    "rivals such as OpenAI", "a statement posted on Facebook", "Siam AI, the Nvidia partner",
    "a partner of Nvidia", "a Microsoft-backed start-up", "former researchers from Meta",
    "stakes in companies including Nvidia".
    """
    before = text[max(sentence_start, start - 60):start]
    after = text[end:end + 30]
    return bool(_RIVAL_BEFORE.search(before) or _MEDIUM_BEFORE.search(before) or _DESCRIPTOR_BEFORE.search(before)
                or _DESCRIPTOR_AFTER.match(after) or _ALUMNI_BEFORE.search(before)
                or _HOLDING_BEFORE.search(text[max(sentence_start, start - 120):start]))


def ownership_end(text: str, start: int, end: int) -> int | None:
    """Return where the owner's name begins when text[start:end] is said to be owned or set up by someone.

    "Humain, the AI company set up by Saudi Arabia's ..." returns the offset of "Saudi"; the
    caller checks that the owner is a state. "state-owned Humain" returns `end`.
    """
    if _OWNED_BEFORE.search(text[max(0, start - 40):start]):
        return end
    match = _OWNED_AFTER.match(text[end:end + 120]) or _HELD_AFTER.match(text[end:end + 120])
    return end + match.end() if match else None


def find_state_organisations(text: str) -> list[tuple[str, int, int]]:
    """Return (name, start, end of its description) for organisations the text says the state owns."""
    if not any(hint in text for hint in _STATE_ORG_HINTS):
        return []
    found: list[tuple[str, int, int]] = []
    for regex in _STATE_ORG_PATTERNS:
        for match in regex.finditer(text):
            name = _clean_name(match.group("name"))
            if len(name) >= 3 and not _NOT_COMPANY.match(name):
                found.append((name, match.start(), match.end()))
                if match.groupdict().get("acronym"):  # "el ICE" after "Instituto Costarricense de Electricidad (ICE)"
                    found.append((match.group("acronym"), match.start(), match.end()))
    return found


def referring_phrase_start(text: str, sentence_start: int, noun_start: int) -> int | None:
    """Return where "the company", "the San Francisco-based firm", "Elon Musk's company" begins, or None.

    `noun_start` is the offset of the organisation noun; None means the noun does not refer back.
    """
    match = _PARTNER_ANAPHOR.search(text, max(sentence_start, noun_start - 50), noun_start)
    return match.start() if match else None


def _clean_name(name: str) -> str:
    words = name.strip(" .,'").split()
    while words and words[-1] in {"de", "of", "and", "&"}:
        words.pop()
    while len(words) > 1 and words[0] in _LEADING_ARTICLES:
        words.pop(0)  # "El Instituto Costarricense de Electricidad" is the institute
    return " ".join(words)


def find_unknown_partners(text: str, start: int, end: int, taken: Iterable[tuple[int, int]],
                          ai_article: bool = False) -> list[PartnerMention]:
    """Return AI organisations named in text[start:end] that are not in the registry.

    `ai_article` says the article's lead is about AI, which vouches for a company that receives the
    state's money in a clause that does not say what for ("invierte 20 millones en Maisa").
    """
    blocked = list(taken)
    found: list[PartnerMention] = []
    chunk = text[start:end]
    ai_clause = bool(_AI_WORDS.search(chunk))
    for regex in (_DESCRIBED_NAME, _NAME_DESCRIBED, _SUFFIXED_NAME, _RECIPIENT_NAME):
        for match in regex.finditer(chunk):
            name = _clean_name(match.group("name"))
            described = " ".join(filter(None, (match.groupdict().get("desc"), match.groupdict().get("field"))))
            if not name or _NOT_COMPANY.match(name) or len(name) < 3:
                continue
            # The organisation is an AI one when it says so, or when the clause it acts in is about AI.
            vouched = ai_clause or (ai_article and regex is _RECIPIENT_NAME)
            if regex is not _SUFFIXED_NAME and not _AI_WORDS.search(described + " " + name) and not vouched:
                continue
            name_start = start + match.start("name")
            if _INSIDE_STATE_NAME.search(text, max(0, name_start - 80), name_start):
                continue  # "Ministry of Information and Communications Technologies" is the state's name
            _add_new(found, name, name_start, blocked)
    return found


def _add_new(found: list[PartnerMention], name: str, start: int, blocked: list[tuple[int, int]]) -> None:
    """Add an unregistered organisation to `found` unless it overlaps a taken span or is already there."""
    end = start + len(name)
    if not any(s < end and start < e for s, e in blocked) and not any(m.name == name for m in found):
        found.append(PartnerMention(name, start, end, known=False))


def listed_names(text: str, start: int, end: int, taken: Iterable[tuple[int, int]]) -> list[PartnerMention]:
    """Return the organisations a sentence after a counted summary names: its leading name, and AI-suffixed names.

    "Soket AI, based in Gurugram, will develop ...", "Parmi elles figurent Soket AI ... et Gnani.ai".
    """
    blocked = list(taken)
    spans = []
    leading = _LEADING_NAME.match(text, start, end)
    if leading:
        spans.append((leading.start("name"), leading.end("name")))
    spans += [(m.start("name"), m.end("name")) for m in _AI_NAME.finditer(text, start, end)]
    found: list[PartnerMention] = []
    for low, high in spans:
        name = _clean_name(text[low:high])
        if len(name) >= 3 and not _NOT_COMPANY.match(name) and not any(s < high and low < e for s, e in blocked):
            _add_new(found, name, low, blocked)
    return found


def fuzzy_partners(vocab: Vocabulary, text: str, start: int, end: int,
                   taken: Iterable[tuple[int, int]]) -> list[PartnerMention]:
    """Return registry partners written with a small typo in text[start:end] ("Antropic", "Mistal AI")."""
    if not vocab.fuzzy_forms:
        return []
    blocked = list(taken)
    choices = list(vocab.fuzzy_forms)
    found: list[PartnerMention] = []
    for match in _CAPITALISED.finditer(text, start, end):
        if any(s < match.end() and match.start() < e for s, e in blocked):
            continue
        words = match.group().split()
        for size in range(len(words), 0, -1):
            candidate = normalise_name(" ".join(words[:size]))
            if len(candidate) < 5:
                continue
            best = process.extractOne(candidate, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if best is not None:
                name = vocab.fuzzy_forms[best[0]]
                LOGGER.debug("fuzzy partner %r -> %s (%.0f)", match.group(), name, best[1])
                found.append(PartnerMention(name, match.start(), match.end()))
                break
    return found
