"""Stage cues in a sentence: the cue lexicon of config/stages.toml, plus negation and modality.

A cue is a phrase that reports a stage ("memorandum of understanding" -> mou), or a generic deal
noun brought to life by a verb or frame nearby ("signed a seven-year agreement", "under an
agreement with"). A cue does not count when a negation ("has not signed", "aucun accord n'a été
signé") or a modal word ("could sign", "ahead of a possible deal", "plans to launch") precedes it
in the same clause, or when a launch or suspension is only an infinitive ("to roll out").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.classify.dates import MONTHS, WEEKDAYS
from pipeline.classify.vocab import Entry

LOGGER = logging.getLogger(__name__)

STAGES = ("talks", "mou", "agreement", "launched", "stalled")
STAGE_ORDER = {"talks": 1, "mou": 2, "agreement": 3, "launched": 4, "stalled": 5}
NEGATION_WINDOW = 5  # words between a negation and the cue it negates
MODAL_WINDOW = 2  # words between a modal word and the cue it weakens
COMPARISON_WINDOW = 3  # "similar arrangements": words between a comparison word and the cue
VERB_BEFORE_NOUN = 4  # "signed a seven-year agreement"
NOUN_BEFORE_VERB = 3  # "the agreement was signed"
TRIAL_WINDOW = 8  # "used Microsoft 365 Copilot during a six-month trial"

_DATE_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS)
_DATE_FILLERS = frozenset({"on", "the", "of", "le", "el", "de", "del", "this", "last", "ce", "este"})
_NUMBER = re.compile(r"\d{1,4}(?:st|nd|rd|th|er)?,?")
_BREAK = re.compile(r"[;:()—–]|,\s|\s-\s|\.\s")
_MONEY = re.compile(
    r"^\W*(?:\w+\W+){0,5}?(?:[$€£¥]\s?\d|(?:US|CA|C|A|R|NZ|S|HK)\$\s?\d|\d[\d.,]*\s?(?:billion|million|bn|mn|m\b|"
    r"milliards?|millions?|mil millones|millones|reais|rand|euros?|dollars?|pounds?|dirhams?|riyals?|M\$|G\$|"
    r"Md\$|M€|Md€))",
    re.IGNORECASE)
_INFINITIVE = re.compile(r"\b(?:to|à|de|va a|van a|vamos a)\s+$", re.IGNORECASE)
_CONTINUING = re.compile(r"\b(?:continue|continuing|keep|pursue|poursuivre|seguir|resume)\b", re.IGNORECASE)
_MONTH_AFTER = re.compile(r"^\s+\d")
# "opened its Tokyo office", "opens a new office": the partner's own premises, not a deal carried out.
_OWN_PREMISES = re.compile(
    r"^\s+(?:(?:a|an|its|their|the|un|une|una)\s+)?(?:(?:new|first|second|largest)\s+)?(?-i:[A-Z][\w-]+)\s+"
    r"(?:office|offices|headquarters|"
    r"bureau|bureaux|oficina|oficinas)\b|"  # "opens Singapore office", "opened its new Tokyo office"
    r"^\s+(?:(?:its|their|his|her|sa|son|ses|su|sus)\s+(?:[\w-]+\s+){0,3}?(?:office|offices|headquarters|hub|lab|"
    r"laboratory|campus|store|branch|region|subsidiary|bureau|bureaux|siège|filiale|locaux|oficina|oficinas|sede|"
    r"sedes)|"
    r"(?:a|an|the|un|une|una)\s+(?:[\w-]+\s+){0,3}?(?:office|offices|headquarters|store|branch|subsidiary|bureau|"
    r"bureaux|siège|filiale|oficina|oficinas|sede|sedes))\b", re.IGNORECASE)
# "a inauguré jeudi ses nouveaux bureaux": a day between the verb and its object leaves the object as it is.
_DAY_FIRST = re.compile(r"^\s+(?:(?:on|this|last|le|ce|el|este)\s+)?(?:" + "|".join(WEEKDAYS) +
                        r"|yesterday|today|hier|aujourd'hui|ayer|hoy)\b,?", re.IGNORECASE)
# "le lancement du « New Deal technologique »": the launch of a named plan, not of a deal.
_LAUNCH_OF_NAMED = re.compile(r"^\s+(?:of|du|de la|de l'|des|de|del)\s*(?:the\s+|la\s+|le\s+)?[«\"“]", re.IGNORECASE)
# "launched a national plan", "a lancé l'an dernier une stratégie": a state's policy or call, not a service
_PLAN_AFTER = re.compile(
    r"^(?:\s+(?:last|this|next|in|on|l'an|l'année|el|la|le|ce|cette|este|esta|year|an|año|dernier|dernière|pasado|"
    r"passé|\d{4}))*\s+(?:a|an|the|its|their|un|une|una|un|le|la|el|su|sus|son|sa|ses|o|um|uma)\s+(?:[\w-]+\s+)?"
    r"(?:plan|plans|strategy|stratégie|estrategia|estratégia|policy|politique|política|roadmap|feuille\s+de\s+route|"
    r"hoja\s+de\s+ruta|consultation|consulta|call|appel|convocatoria|chamada|edital|tender|appel\s+d'offres|"
    r"licitación|licitação|competition|concours|concurso|campaign|campagne|campaña|campanha)\b", re.IGNORECASE)
# "a wider rollout", "un lancement": a launch spoken of, not one that happened.
_INDEFINITE_BEFORE = re.compile(r"\b(?:a|an|any|un|une|una|uno)\s+(?:[\w-]+\s+)?$", re.IGNORECASE)
# "an agreement on the deployment of", "travailler sur le déploiement", "para el despliegue": a launch
# named as what something is about or for.
_SUBJECT_OF_BEFORE = re.compile(
    r"\b(?:on|about|for|towards?|regarding|concerning|covering|sur|pour|vers|concernant|en\s+vue\s+du?|"
    r"para|sobre|hacia|relativ[oa]\s+a)\s+(?:(?:the|a|an|its|their|le|la|les|l'|un|une|son|sa|el|los|las|su|un|una|"
    r"o|os)\s*)?(?:[\w-]+\s+)?$", re.IGNORECASE)
_ENTRUSTED_BEFORE = re.compile(
    r"\b(?:entrust(?:s|ed)?|commission(?:s|ed)?|hired|hires|tasked|contracted|awarded|confi(?:e|ent|é|ée)|a\s+confié|"
    r"confí(?:a|an|ó)|encarg(?:a|ó|an)|contrat(?:o|ó)|adjudic(?:a|ó))\b[^.;:]{0,80}$", re.IGNORECASE)
_NOMINAL_LAUNCH = frozenset({"launch", "rollout", "roll out", "deployment", "lancement", "déploiement",
                             "lanzamiento", "despliegue", "mise en service", "puesta en marcha", "first cohort",
                             "première cohorte", "primera cohorte", "first users", "premiers utilisateurs",
                             "primeros usuarios"})
# "its mAigov assistant, launched earlier this year,": a participle describing something else.
_BACKGROUND_AFTER = re.compile(
    r"^\s+(?:earlier|last|this|in\s+(?:19|20)\d\d|years?|months?|weeks?|\w+\s+(?:years?|months?)\s+ago|"
    r"(?:en|em)\s+(?:19|20)\d\d|l'an\s+dernier|l'année\s+dernière|il\s+y\s+a|el\s+año\s+pasado|hace|"
    r"no\s+ano\s+passado|há|(?:in|en|em)\s+(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r"))\b",
    re.IGNORECASE)
# "its agreement with Google Cloud", "son contrat d'intelligence artificielle avec Oracle"
_WITH_AFTER = re.compile(r"^(?:\s+[\w'-]+){0,3}?\s+(?:with|avec|con)\b", re.IGNORECASE)
# "its contract", "son contrat": a contract that exists
_OWNER_BEFORE = re.compile(r"\b(?:its|their|his|her|son|sa|ses|leur|leurs|su|sus)\s+(?:[\w-]+\s+){0,2}$",
                           re.IGNORECASE)
# "discuss the rollout of", "talks on a possible deployment", "explorer le déploiement de"
_TALKED_GAP = re.compile(
    r"(?:\s+(?:with|avec|con|com)(?:\s+[A-Z][\w.&'-]*){1,4})?"  # "held talks with Anthropic about deploying"
    r"\s+(?:(?:about|on|over|of|for|sur|sobre|de|du|la|le|les|l'|el|los|las|the|a|an|its|their|un|une|una|su|sus|"
    r"son|sa|ses|leur|possible|potential|wider|future|nationwide|eventual|éventuel|éventuelle|posible)\s+)*")
# "Since Monday, 3,000 civil servants can ask ...", "Desde el lunes, los funcionarios pueden usar ...": a service in use.
_SINCE_USE = re.compile(
    r"[\s\"“«]*(?:depuis|since|desde|dès)\s+(?:(?:le|el|la|this|last|ce|este|o|a)\s+)?[^\s,.;:]+(?:\s+[^\s,.;:]+){0,3},"
    r"[^.;:!?]{0,200}?\b(?P<use>peuvent|peut|can|pueden|puede|podem|pode|ont\s+accès|a\s+accès|have\s+access|"
    r"has\s+access|tienen\s+acceso|tiene\s+acceso|têm\s+acesso|tem\s+acesso|disposent|dispose|utilisent|utilise|"
    r"use|uses|usan|usa|utilizan|utiliza|usam|utilizam|con\s+ayuda\s+de|with\s+the\s+help\s+of|à\s+l'aide\s+d|"
    r"avec\s+l'aide\s+d|com\s+a\s+ajuda\s+de|trabajan\s+con|travaillent\s+avec|work\s+with|trabalham\s+com)\b",
    re.IGNORECASE)
# "have, since Monday, been chatting with an assistant", "llevan desde septiembre preparando clases con":
# a use that has gone on for some time.
_ONGOING_USE = re.compile(
    r"\b(?P<use>(?:have|has)\s+(?:[\w,'-]+\s+){0,4}?been\s+(?:using|chatting|working|drafting|running|testing|"
    r"trialling|trialing|piloting|answering|preparing|relying)|(?:llevan|lleva|llevamos)\s+"
    r"(?:[\w-]+\s+){0,4}?\w+(?:ando|iendo)|(?:puso|pusieron|ha\s+puesto|han\s+puesto|a\s+mis|ont\s+mis|"
    r"a\s+été\s+mise?)\s+(?:[\w'-]+\s+){0,4}?(?:a\s+disposición|à\s+(?:la\s+)?disposition))\b", re.IGNORECASE)
_SINCE_WORD = re.compile(r"\b(?:since|desde|depuis)\b", re.IGNORECASE)
_DURATIVE_OPENERS = ("have", "has", "llev")
_UNDER_WHICH = re.compile(r",?\s+(?:under|by)\s+which\b|,?\s+(?:en\s+vertu\s+duquel|aux\s+termes\s+duquel|"
                          r"par\s+lequel|por\s+el\s+cual|mediante\s+el\s+cual|en\s+virtud\s+del\s+cual|"
                          r"pelo\s+qual)\b", re.IGNORECASE)
# "the interface deployed to staff", "l'interface déployée": a participle describing a thing, not an event
_ROMANCE_ENDINGS = r"ée|ées|és|é|ado|ada|ados|adas|ido|ida|idos|idas"
_PARTICIPLE = re.compile(rf"(?:ed|{_ROMANCE_ENDINGS})$")
# a noun right before an English participle, no auxiliary: "the fund launched in February"
_NOUN_BEFORE = re.compile(r"\b(?!(?:has|have|had|was|were|been|is|are|be|being|it|they|he|she|we|which|that|who|"
                          r"and|or|but|also|then|now|just|recently|officially|formally|jointly|successfully|first|"
                          r"already|finally|today|yesterday)\b)[a-z]{3,}\s+$")
_ROMANCE_PARTICIPLE = re.compile(rf"(?:{_ROMANCE_ENDINGS})$")
# a plain noun right before the participle, no auxiliary: "modelos desplegados", "l'interface déployée"
_ATTRIBUTIVE = re.compile(r"\b(?!(?:ha|han|había|habían|fue|fueron|sido|está|están|estaba|a|ont|avait|avaient|est|"
                          r"sont|été|était|foi|foram|tem|têm|sido|se|s'|y|et|e|o|ou|que|qui|ya|déjà|já|bien|ainsi|"
                          r"también|aussi|también)\b)[a-zà-ÿ]{3,}\s+$")
_SINCE_AFTER = re.compile(r"^\s+(?:[\w'-]+\s+){0,3}?(?:depuis|desde|since|hace|il\s+y\s+a|en\s+(?:19|20)\d\d|"
                          r"el\s+\d|le\s+\d|em\s+(?:19|20)\d\d|há)\b", re.IGNORECASE)
# a future or conditional main verb earlier in the clause puts the participle's thing in the future
_FUTURE_VERB = re.compile(r"\b(?:will|shall|would|should|could|sera|seront|devra|devront|devrait|devraient|"
                          r"pourrait|pourraient|va|vont|irá|irão|vai|vão|debería|deberían|podría|podrían)\b|"
                          r"\b\w{3,}(?:era|ira|eront|iront)\b|\b\w{3,}(?:rá|rán|rão)\b", re.IGNORECASE)
# "L'accord couvre l'accès aux modèles, leur déploiement ...": what a deal covers, not what happened
_CONTENT_VERB = re.compile(r"\b(?:covers|cover|includes|include|provides\s+for|couvre|couvrent|prévoit|prévoient|"
                           r"comprend|comprennent|inclut|incluent|porte\s+sur|cubre|cubren|incluye|incluyen|contempla|"
                           r"contemplan|prevé|prevén|abarca|abarcan|prevê|inclui|abrange)\b", re.IGNORECASE)
_COOPERATION_AFTER = re.compile(r"\s+(?:de\s+coopération|de\s+partenariat|de\s+cooperación|de\s+colaboración|"
                                r"de\s+cooperação|of\s+cooperation|for\s+cooperation)\b", re.IGNORECASE)
_QUOTE_END = re.compile(r"[»\"”]\s*,?\s*$")
_TO_BEFORE = re.compile(r"\bto\s+$", re.IGNORECASE)
# "A memorandum could be signed later this year", 'a memorandum "could be signed"', "un protocole
# pourrait être signé", "un memorando podría firmarse": a modal after the deal noun puts the document
# in the future.
_MODAL_AFTER = re.compile(
    r"^(?:[\s\"“”«»]+[\w'-]+){0,3}?[\s\"“”«»]+(?:could|might|may|would|will|should|is\s+(?:expected|set|due|likely)\s+to|"
    r"are\s+(?:expected|set|due|likely)\s+to|pourrait|pourraient|devrait|devraient|pourra|sera|seront|"
    r"podría|podrían|debería|deberían|podrá|será|serán)\s+(?:(?:soon|then|still|only|also|possibly|"
    r"eventually|bientôt|pronto)\s+)?(?:(?:be|être|ser|estar)\s+(?:[\w-]+\s+)?(?:signed|inked|sealed|concluded|"
    r"finali[sz]ed|agreed|reached|struck|ready|announced|signé|signée|conclu|conclue|prêt|prête|firmado|"
    r"firmada|suscrito|listo|lista)|firmarse|suscribirse|concluirse|signer|conclure|firmar|ready|prêt|prête|"
    r"come|follow|suivre|seguir)\b", re.IGNORECASE)
# "contradicting a report that Tashkent was negotiating with ...", "a démenti les informations selon
# lesquelles ...": a cue inside a denied report is no event.
_DENIAL = (r"\b(?:den(?:y|ies|ied|ying)|contradict(?:s|ed|ing)?|dismiss(?:es|ed|ing)?|rejects?|rejected|rejecting|"
           r"refut(?:es|ed|ing)|démen(?:t|ti|tait|tant)|contredi(?:t|sant)|desmint(?:ió|e|ieron|en|iendo)|"
           r"neg(?:ó|aron|ando)|niegan?|nie(?:nt)?|dément(?:ent)?)\s+")
_DENIED_REPORT = re.compile(
    _DENIAL + r"(?:(?:[\w'-]+\s+){0,4}?(?:reports?|claims?|rumou?rs?|suggestions?|informations?|rumeurs|affirmations|"
    r"informes?|informaci[oó]n(?:es)?|versiones|rumores|noticias?)\b[^;]*?\b(?:that|selon\s+lesquel\w+|"
    r"selon\s+laquelle|según\s+l[oa]s?\s+cual(?:es)?|de\s+que|of|about|on|sur|sobre|faisant\s+état\s+d|claiming|saying|alleging|suggesting|affirmant|"
    r"prétendant|afirmando|asegurando|que\s+afirmaba|que\s+aseguraba)\b|(?:[\w'-]+\s+){0,3}?(?:that|que|qu')\s*"
    r"|(?:having|avoir|haber)\s+|(?:[\w'-]+\s+){0,2}$)[^;]*$", re.IGNORECASE)
# "The rollout will begin in spring", "Le déploiement commencera au printemps": a launch still to come.
_FUTURE_AFTER = re.compile(
    r"^(?:\s+[\w'-]+){0,5}?\s+(?:(?:is|are)\s+(?:expected|scheduled|due|set|planned)\s+to|will|would|shall|commencera|débutera|"
    r"démarrera|interviendra|aura\s+lieu|sera|devrait|doit|comenzará|empezará|arrancará|iniciará|será|"
    r"está\s+previst[oa]|debería)\b", re.IGNORECASE)
# "agreed to acquire a local start-up", "acordó comprar una empresa": a takeover of a company, not a deal with a state.
_TAKEOVER_AFTER = re.compile(
    r"^(?:\s+[\w'-]+){0,4}?\s+(?:to\s+)?(?:acquire|buy|purchase|take\s+over|merge\s+with|racheter|acquérir|"
    r"adquirir|comprar)\s+(?:[\w'-]+\s+){0,4}?(?:start-?ups?|companies|company|firms?|stakes?|business(?:es)?|rivals?|"
    r"subsidiar(?:y|ies)|entreprises?|sociétés?|empresas?|compañías?|participación)\b", re.IGNORECASE)
# what links a memorandum to its subject: "a memorandum for/on/covering a package"
_CONTENT_LINK = re.compile(r"\b(?:for|on|covering|concerning|regarding|pour|sur|concernant|para|sobre|relativo a)\s+"
                           r"(?:[^\s;:]+\s+){0,5}$", re.IGNORECASE)
# The object of a comparison is a relative clause: "similar to the one Chile signed", "celui que".
_COMPARED_CLAUSE = re.compile(r"\b(?:the\s+one|those|el\s+que|la\s+que|los\s+que|las\s+que|celui\s+que|"
                              r"celle\s+que|ceux\s+que|o\s+que|a\s+que)\b", re.IGNORECASE)
_COMPARED_AFTER = re.compile(r"\s+(?:comparable|similaire|semblable|similar|parecido|parecida|análogo|análoga|"
                             r"équivalent|equivalente)\b", re.IGNORECASE)
_POSSIBILITY = re.compile(r"could|would|may|might|pourrait|pourraient|podría|podrían|poderia|poderiam|"
                          r"espera que|esperan que|se espera que|espère que|s'attend à ce que|expects|hopes",
                          re.IGNORECASE)
_TENDER_BEFORE = re.compile(r"\b(?:appels?\s+d'offres|tenders?|licitaci[oó]n(?:es)?|concursos?|consultations?|"
                            r"procurements?|procurement\s+process(?:es)?|procédures?|procedimientos?|processos?|"
                            r"convocatorias?|"
                            r"calls?\s+for\s+(?:bids|proposals|tenders))\s+(?:[\w'-]+\s+){0,2}$", re.IGNORECASE)
_PROJECT_AFTER = re.compile(r"\s+(?:officially\s+|officiellement\s+|oficialmente\s+)?(?:the|le|la|les|el|los|las|"
                            r"its|son|sa|ses|su|sus)\s+(?:[\w-]+\s+)?(?:projects?|projets?|proyectos?|construction|"
                            r"chantiers?|works|obras|travaux|building\s+work)\b", re.IGNORECASE)
_ADJECTIVE_SELECTED = re.compile(r"\b(?:in|at|to|for|among|across|some|several|the|a)\s+selected$", re.IGNORECASE)
_PRICE = re.compile(r"(?:[$€£¥]|\b(?:US|A|C|R|NZ|S|HK)\$|\b[A-Z]{3}\s?)\d[\d.,]*\s?(?:bn|billion|million|m|mn)?\b|"
                    r"\b\d[\d.,]*\s?(?:bn|billion|million|milliards?|millions?|millones|mil\s+millones)\s+"
                    r"(?:de\s+|d')?(?:dollars?|euros?|dólares|riyals?|dirhams?|rupees?|pesos|reais|francs?)\b")
_ESTIMATE = re.compile(r"\s+(?:it\s+)?at\b", re.IGNORECASE)
_ACCORDING = re.compile(r"\bde\s+acuerdo\s+(?:con|a)\b|\bd'accord\s+(?:avec|pour|sur)\b", re.IGNORECASE)
_NOT_ONLY = re.compile(r"^\s*only\b", re.IGNORECASE)
# A negation governs every noun of a list it heads: "no existe convenio, negociación ni reunión".
_LIST_JOIN = r"(?:,\s*|\s+(?:or|nor|ou|o|ni)\s+)"
_NEGATED_LIST = re.compile(rf"^(?:\s+[\w'-]+){{1,3}}(?:{_LIST_JOIN}[\w'-]+){{0,3}}{_LIST_JOIN}$")
# "has not published the terms of its partnership": the negation governs "terms", and the
# partnership stands; "has not signed any of the deals" still negates the deals.
_OF_HEAD = re.compile(
    r"\b(?!(?:any|none|one|either|all|each|signing|signature|conclusion|ninguno|ninguna|aucun|aucune|firma)\b)"
    r"[\w-]+\s+(?:of|de|du|des|del|d')\s*(?:(?:the|its|their|this|that|la|le|les|l'|el|los|las|su|sus|son|sa|"
    r"ses|leur|leurs)\s*)?(?:[\w-]+\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Cue:
    """One valid stage cue: its stage, its strength, and where it sits."""

    stage: str
    strength: str  # strong | generic | presupposing
    start: int
    end: int
    weakness: str = ""  # why it reports no event ("negation", "modal"...), "" for a valid cue


@dataclass(frozen=True)
class Token:
    """A matched phrase of the case-insensitive vocabulary, with what it means."""

    start: int
    end: int
    entries: tuple[Entry, ...]
    kinds: frozenset[str] = frozenset()

    def has(self, kind: str) -> bool:
        """Return True when the phrase has meaning `kind` ("cue", "neg", "noun", ...)."""
        return kind in self.kinds

    def first(self, kind: str) -> Entry | None:
        """Return the first meaning of kind `kind`, or None."""
        return next((e for e in self.entries if e.kind == kind), None)


# "a signé en décembre avec le fabricant Supermicro un contrat", "firmó con Oracle un contrato":
# the verb's with-phrase stands between it and its object.
_WITH_PHRASE_GAP = re.compile(
    r"\s*(?:(?:en|in|el|le|on)\s+\S+\s+)?(?:with|avec|con|com)\s+(?:[^\s,;:]+\s+){1,4}?"
    r"(?:a|an|the|un|une|le|la|les|el|los|las|um|uma|o|os|l')\s*", re.IGNORECASE)


# A short aside between commas: "signed, in Luanda, a contract", "a signé, mardi, un accord".
_ASIDE = re.compile(r",\s+(?:[^\s,;:()]+\s+){0,3}[^\s,;:()]+,\s")


def _gap(text: str, start: int, end: int) -> tuple[int, bool]:
    """Return (words between, whether a clause break lies between) for text[start:end].

    A date does not part a verb from its noun: "firmaron el jueves 21 de agosto un convenio" is
    "firmaron un convenio".
    """
    between = text[start:end] if end > start else ""
    between = _ASIDE.sub(" ", between)  # "assinou nesta terça-feira, em Luanda, um contrato"
    words = between.split()
    if any(w.lower().strip(".,") in _DATE_WORDS for w in words):
        words = [w for w in words if w.lower().strip(".,") not in _DATE_WORDS and not _NUMBER.fullmatch(w)
                 and w.lower() not in _DATE_FILLERS]
    return len(words), bool(_BREAK.search(between))


def _near_before(text: str, tokens: Sequence[Token], kind: str, position: int, window: int,
                 floor: int) -> Token | None:
    for token in reversed(tokens):
        if token.end > position or not token.has(kind):
            continue
        if token.end <= floor:
            return None
        words, broken = _gap(text, token.end, position)
        if broken or words > window:
            return None
        return token
    return None


def _inside(tokens: Sequence[Token], kind: str, start: int, end: int) -> bool:
    return any(t.has(kind) and t.start >= start and t.end <= end for t in tokens)


def _heads_negated_list(text: str, tokens: Sequence[Token], cue: Cue, floor: int) -> bool:
    """Return True when the cue is a later item of a list a negation heads ("no deal, talks or meeting")."""
    before = [t for t in tokens if t.has("neg") and floor <= t.start and t.end <= cue.start]
    return bool(before) and bool(_NEGATED_LIST.match(text[before[-1].end:cue.start]))


def weakness(text: str, tokens: Sequence[Token], cue: Cue, floor: int) -> str:
    """Return why the cue reports no event ("negation", "modal", "denied"...), or "" when it does."""
    negation = _near_before(text, tokens, "neg", cue.start, NEGATION_WINDOW, floor)
    if negation is not None and not _NOT_ONLY.match(text[negation.end:cue.start]):
        if not (cue.stage == "agreement" and _OF_HEAD.search(text[negation.end:cue.start])):
            return "negation"
    if _inside(tokens, "neg", cue.start, cue.end) or _heads_negated_list(text, tokens, cue, floor):
        return "negation"
    modal = _near_before(text, tokens, "modal", cue.start, MODAL_WINDOW, floor)
    if modal is not None:
        word = text[modal.start:modal.end]
        month = word == "May" and _MONTH_AFTER.match(text[modal.end:modal.end + 3])
        continuing = _CONTINUING.search(text[modal.end:cue.start])
        if not month and not continuing:
            return "modal"
    if _inside(tokens, "modal", cue.start, cue.end):
        return "modal"
    if cue.stage == "launched":
        farther = _near_before(text, tokens, "modal", cue.start, MODAL_WINDOW + 3, floor)
        if farther is not None and _POSSIBILITY.fullmatch(text[farther.start:farther.end]):
            return "modal"  # "a memorandum that could put ChatGPT Edu in the hands of teachers"
    if cue.stage == "agreement" and _ADJECTIVE_SELECTED.search(text[max(floor, cue.start - 12):cue.end]):
        return "adjective"  # "a trial in selected government agencies"
    if _DENIED_REPORT.search(text[floor:cue.start]):
        return "denied"
    if cue.stage in ("mou", "agreement") and _MODAL_AFTER.match(text[cue.end:cue.end + 80]):
        return "modal"
    if cue.stage == "agreement" and _TAKEOVER_AFTER.match(text[cue.end:cue.end + 120]):
        return "takeover"
    if _near_before(text, tokens, "comparison", cue.start, COMPARISON_WINDOW, floor) is not None:
        return "comparison"
    if _COMPARED_AFTER.match(text, cue.end):
        return "comparison"  # "le Maroc avait signé un protocole comparable avec la même entreprise"
    compared = _near_before(text, tokens, "comparison", cue.start, COMPARISON_WINDOW + 4, floor)
    if compared is not None and _COMPARED_CLAUSE.search(text[compared.end:cue.start]):
        return "comparison"  # "guarda similitudes con el que AWS pactó con Chile": the other deal
    if cue.stage in ("launched", "stalled") and _INFINITIVE.search(text[max(floor, cue.start - 4):cue.start]):
        return "infinitive"
    if cue.stage == "launched" and _talked_about(text, tokens, cue, floor):
        return "talked_about"
    if cue.stage == "launched" and _QUOTE_END.search(text[max(floor, cue.start - 6):cue.start]):
        return "speech"  # "« ... », a lancé le ministre": launched a remark
    if cue.stage == "launched" and _TENDER_BEFORE.search(text[max(floor, cue.start - 40):cue.start]):
        return "tender"  # "au terme d'un appel d'offres lancé l'été dernier": the tender, not the service
    if cue.stage == "launched":
        after = text[cue.end:cue.end + 80]
        day = _DAY_FIRST.match(after)
        if _OWN_PREMISES.match(after[day.end():] if day else after) or _LAUNCH_OF_NAMED.match(after):
            return "own_premises"
        if _PLAN_AFTER.match(after):
            return "own_plan"  # "Libreville a lancé l'an dernier un plan de numérisation": a policy, not a deal's service
        before = text[max(floor, cue.start - 30):cue.start]
        word = " ".join(text[cue.start:cue.end].lower().replace("-", " ").split())
        if word in _NOMINAL_LAUNCH and (_INDEFINITE_BEFORE.search(before) or _FUTURE_AFTER.match(after)):
            return "future"
        if word in _NOMINAL_LAUNCH and (_SUBJECT_OF_BEFORE.search(before)
                                        or _CONTENT_VERB.search(_clause_before(text, floor, cue.start))):
            return "future"  # "s'engagent à travailler ... sur le déploiement d'un assistant": what the deal covers
        if word in _NOMINAL_LAUNCH and _ENTRUSTED_BEFORE.search(text[floor:cue.start]):
            return "future"  # "confie à Cohere le déploiement de l'IA": a deployment contracted, not carried out
        if (before.endswith(", ") or _NOUN_BEFORE.search(before)) and _BACKGROUND_AFTER.match(after) \
                and " " not in word:
            return "background"  # "the sovereign wealth fund launched in February"
        if floor > 0 and " " not in word and _ATTRIBUTIVE.search(before) and _ROMANCE_PARTICIPLE.search(word) \
                and not _SINCE_AFTER.match(after):
            return "attributive"  # "modelos desplegados en nube privada": what the lot covers, not a launch that happened
        if _PARTICIPLE.search(word) and _FUTURE_VERB.search(_clause_before(text, floor, cue.start)):
            return "future"  # "fournira ses modèles ainsi que l'interface déployée auprès des agents"
    return ""


def _clause_before(text: str, floor: int, position: int) -> str:
    """Return the text from the last clause break before `position` (or the sentence start) up to it."""
    breaks = [m.end() for m in _BREAK.finditer(text, floor, position)]
    return text[max([floor] + breaks):position]


def _talked_about(text: str, tokens: Sequence[Token], cue: Cue, floor: int) -> bool:
    """Return True for a launch that is only the subject of talks: "to discuss the rollout", "explore deploying"."""
    for token in reversed(tokens):
        if token.end > cue.start:
            continue
        if token.end <= floor:
            return False
        entry = token.first("cue")
        return entry is not None and entry.value == "talks" and bool(_TALKED_GAP.fullmatch(text[token.end:cue.start]))
    return False


def _direct_cues(tokens: Sequence[Token]) -> list[Cue]:
    cues = []
    for token in tokens:
        entry = token.first("cue")
        if entry is not None:
            cues.append(Cue(entry.value, entry.extra or "strong", token.start, token.end))
    return cues


def _noun_cues(text: str, tokens: Sequence[Token]) -> list[Cue]:
    """Return cues made of a generic deal noun and a concluding verb or an "under" frame nearby."""
    cues = []
    for index, token in enumerate(tokens):
        noun = token.first("noun")
        if noun is None:
            continue
        strength = "strong" if noun.value == "contract" else "generic"
        start, end = token.start, token.end
        found = False
        for other in reversed(tokens[:index]):
            if other.has("verb") or other.has("frame"):
                words, broken = _gap(text, other.end, token.start)
                with_phrase = other.has("verb") and _WITH_PHRASE_GAP.fullmatch(text[other.end:token.start])
                if not broken and (words <= VERB_BEFORE_NOUN or with_phrase):
                    start, found = other.start, True
                break
        if not found:
            for other in tokens[index + 1:index + 3]:
                if other.has("verb"):
                    between = text[token.end:other.start]
                    words = len(between.split())
                    broken = bool(_BREAK.search(between.lstrip(", ")))
                    if not broken and words <= NOUN_BEFORE_VERB:
                        end, found = other.end, True
                    break
        if not found and _UNDER_WHICH.match(text, token.end):
            found = True  # "a separate agreement under which Nvidia was to supply": a deal that exists
        if not found and noun.value == "contract" and _OWNER_BEFORE.search(text[max(0, token.start - 30):token.start]):
            found = True
        if not found and _WITH_AFTER.match(text[token.end:token.end + 50]):
            # "its agreement with Google Cloud", "contracts with the Israeli government": an existing deal;
            # but "exploring a collaboration with" is talks, and "to deal with" a verb.
            talked = _near_before(text, tokens[:index], "cue", token.start, VERB_BEFORE_NOUN, 0)
            talked_cue = talked.first("cue") if talked is not None else None
            found = not _TO_BEFORE.search(text[max(0, token.start - 4):token.start]) and not (
                talked_cue is not None and talked_cue.value == "talks")
        if found and _ACCORDING.search(text, max(0, token.start - 4), token.end + 8):
            found = False  # "de acuerdo con esas fuentes": according to, not an agreement
        if found:
            # "signs SAR 7.5bn AMD deal": a deal with a price is binding, not a memorandum's other name
            priced = strength == "generic" and _PRICE.search(text, start, end)
            cues.append(Cue("agreement", "strong" if priced else strength, start, end))
    return cues


def _money_cues(text: str, tokens: Sequence[Token]) -> list[Cue]:
    # "the project's cost put at about $300m" estimates a cost; nobody commits the money
    return [Cue("agreement", "strong", t.start, t.end) for t in tokens
            if t.has("money") and _MONEY.match(text[t.end:t.end + 60]) and not _ESTIMATE.match(text, t.end)]


def _since_cues(text: str, floor: int, ceiling: int) -> list[Cue]:
    """Return launches told as use: "Depuis lundi, 3 000 agents peuvent interroger ...", "puso a disposición".

    A durative ("have been chatting", "llevan ... preparando") tells a service in use only with its
    start ("since Monday"): "has been working on the deal" is no launch.
    """
    found = [m for m in (_SINCE_USE.match(text, floor, ceiling), _ONGOING_USE.search(text, floor, ceiling)) if m]
    if not _SINCE_WORD.search(text, floor, ceiling):
        found = [m for m in found if not m.group("use").lower().startswith(_DURATIVE_OPENERS)]
    return [Cue("launched", "strong", m.start("use"), m.end("use")) for m in found]


def _trial_cues(text: str, tokens: Sequence[Token]) -> list[Cue]:
    cues = []
    for index, token in enumerate(tokens):
        if not token.has("trial_use"):
            continue
        for other in tokens[index + 1:]:
            words, broken = _gap(text, token.end, other.start)
            if broken or words > TRIAL_WINDOW:
                break
            if other.has("trial_noun"):
                cues.append(Cue("launched", "strong", token.start, other.end))
                break
    return cues


def _memorandum_content(text: str, cue: Cue, cues: Sequence[Cue]) -> bool:
    """Return True for an agreement cue that names what a memorandum before it is about.

    "signed a letter of intent ... for a digital investment package", "un memorando para un contrato
    de 1.000 millones": the package is the memorandum's subject, not a second, binding deal.
    """
    if cue.stage != "agreement":
        return False
    for other in cues:
        if other.stage == "mou" and other.end <= cue.start:
            between = text[other.end:cue.start]
            if not _BREAK.search(between) and _CONTENT_LINK.search(between):
                return True
    return False


# Taxonomy decision 3: a framework under which the state orders or pays is an agreement; a
# cooperation framework (no purchase in sight) stays a memorandum.
_FRAMEWORK = re.compile(r"accords?[- ]cadres?|acuerdos?[- ]marco|contratos?[- ]marco|acordos?[- ]quadro|"
                        r"framework\s+(?:agreement|contract)s?", re.IGNORECASE)
_PROCUREMENT = re.compile(
    r"\b(?:bons?\s+de\s+commande|commandes?|commander|marchés?\s+publics?|appels?\s+d'offres|licences|licencias|"
    r"licitaci[oó]n|compras?\s+públicas?|procurement|tender|purchase\s+orders?|call-?offs?|"
    r"(?:de|of|por)\s+(?:compra|suministro|adquisici[oó]n)|de\s+(?:fourniture|prestations?)|"
    # a framework notified, awarded or split into lots is a procurement award
    r"notifi\w*|attribu\w*|adjudic\w*|award\w*|lots?)\b", re.IGNORECASE)


def procurement_framework(text: str, start: int, end: int, context_end: int) -> bool:
    """Return True when text[start:end] names a framework and text up to context_end shows orders under it.

    "un accord-cadre ... Les premiers bons de commande": a procurement framework; "un accord-cadre de
    coopération" stays a cooperation framework.
    """
    return bool(_FRAMEWORK.fullmatch(text[start:end]) and not _COOPERATION_AFTER.match(text, end)
                and _PROCUREMENT.search(text, end, context_end))


def _framework_stage(text: str, cue: Cue, floor: int, end: int) -> Cue:
    """Return the cue as an agreement when it is a procurement framework, else unchanged."""
    if cue.stage == "mou" and _FRAMEWORK.fullmatch(text[cue.start:cue.end]) and _PROCUREMENT.search(text, floor, end):
        return replace(cue, stage="agreement")
    return cue


def _project_stage(text: str, cue: Cue) -> Cue:
    """Return a launch of a project ("a officiellement lancé le projet") as the agreement it is (taxonomy 2)."""
    if cue.stage == "launched" and _PROJECT_AFTER.match(text, cue.end):
        return replace(cue, stage="agreement", strength="generic")
    return cue


def find_cues(text: str, tokens: Sequence[Token], floor: int, ceiling: int) -> tuple[list[Cue], list[Cue]]:
    """Return the valid stage cues among a sentence's tokens, and the weakened ones with their reason.

    `floor` and `ceiling` are the sentence's start and end. Weakened cues (negated, modal, denied...) report no event; they
    are kept so that the pairs they name can be shown as low-confidence candidates.
    """
    candidates = [_project_stage(text, _framework_stage(text, cue, floor, ceiling)) for cue in _direct_cues(tokens)]
    candidates += _noun_cues(text, tokens) + _money_cues(text, tokens) + _trial_cues(text, tokens)
    candidates += _since_cues(text, floor, ceiling)
    valid, weak = [], []
    for cue in candidates:
        reason = weakness(text, tokens, cue, floor)
        if reason:
            weak.append(replace(cue, weakness=reason))
        else:
            valid.append(cue)
    kept = [c for c in valid if not _memorandum_content(text, c, valid)]
    weak += [replace(c, weakness="memorandum_content") for c in valid if c not in kept]
    return kept, weak
