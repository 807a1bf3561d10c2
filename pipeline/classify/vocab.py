"""The classifier's vocabularies, loaded once per process from `config/` and pycountry.

`load_vocabulary()` reads `partners.toml`, `countries.toml` and `stages.toml` (and, for amounts and
purposes, `amounts.toml`, `rates.toml` and `purposes.toml`), adds every ISO
3166-1 country name from pycountry (English, French and Spanish), and compiles two phrase
matchers: one case-insensitive (cues, grammar words, partner aliases) and one case-sensitive
(country names, demonyms, capitals, abbreviations, institutions, leaders, cased partner aliases,
product names). `vocabulary()` caches the result per directory, until one of its files changes.
"""

from __future__ import annotations

import gettext
import logging
import os
import re
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pycountry

from pipeline.classify.amounts import MoneyVocabulary, load_money, read_toml
from pipeline.classify.governments import GOVERNMENT_OF, NAME_GOVERNMENT, fold, government_names
from pipeline.classify.matcher import PhraseMatcher, ascii_fold, phrase_key
from pipeline.classify.purposes import PurposeVocabulary, load_purposes

LOGGER = logging.getLogger(__name__)

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
LEGAL_SUFFIXES = frozenset({
    "inc", "inc.", "ltd", "ltd.", "llc", "plc", "sas", "sa", "s.a.", "ag", "gmbh", "corp", "corp.",
    "corporation", "co.", "limited", "lp", "pbc", "se", "bv", "b.v.", "nv", "n.v.", "s.r.l.", "srl",
})
# Country surface forms, strongest claim first: when two countries claim one form, the
# stronger kind keeps it, and a tie drops it (it names neither reliably).
FORM_RANK = {"institution": 0, "abbreviation": 1, "name": 2, "leader": 3, "capital": 4, "demonym": 5}
CI_SECTIONS = {
    # stages.toml table -> (kind, value) for every phrase in it
    "talks": ("cue", "talks"), "mou": ("cue", "mou"), "agreement": ("cue", "agreement"),
    "agreement_generic": ("cue", "agreement"), "agreement_money": ("money", "agreement"),
    "launched": ("cue", "launched"), "stalled": ("cue", "stalled"),
    "stalled_presupposing": ("cue", "stalled"), "blockers": ("blocker", ""),
    "negation": ("neg", ""), "modality": ("modal", ""), "state_nouns": ("state_noun", ""),
    "state_refs": ("state_ref", ""), "regulators": ("regulator", ""), "gov_gov": ("gov_gov", ""),
    "company_pair": ("company_pair", ""), "ai_terms": ("ai", ""), "comparison": ("comparison", ""),
    "enforcement": ("enforcement", ""), "undertakings": ("undertaking", ""),
    "precedent": ("precedent", ""),
}
# Institution names that many states share ("Ministry of Communications and Information Technology"):
# they name a country only when the article names that country too.
_GENERIC_INSTITUTION = re.compile(
    r"^(?:the\s+)?(?:Ministry|Ministère|Ministerio|Department|Secretaría|Secretariat|Agency|Agence|Agencia|"
    r"Office|Bureau|Council|Conseil|Consejo|Commission|Authority|Autorité|Autoridad)\s+(?:of|for|de|du|des|del)\b",
    re.IGNORECASE)  # French writes "le ministère de l'Économie" in lower case
# Cue strength by table: generic agreement cues give way to a memorandum for the same pair.
CUE_STRENGTH = {"agreement_generic": "generic", "stalled_presupposing": "presupposing"}


class Entry(NamedTuple):
    """What a matched phrase means: a kind ("country", "partner", "cue", "neg", ...) and details."""

    kind: str
    value: str
    extra: str = ""


@dataclass(frozen=True)
class Partner:
    """One organisation of the partner registry."""

    name: str
    home: str = ""
    kind: str = ""
    aliases: tuple[str, ...] = ()
    cased_aliases: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    state_owned: bool = False  # its home state controls it: that state's side, never its partner


@dataclass
class Vocabulary:
    """Compiled matchers and lookup tables for one configuration directory."""

    ci: PhraseMatcher
    cs: PhraseMatcher
    ci_entries: dict[str, tuple[Entry, ...]]
    ci_kinds: dict[str, frozenset[str]]
    cs_entries: dict[str, tuple[Entry, ...]]
    partners: dict[str, Partner]
    fuzzy_forms: dict[str, str]  # normalised alias -> canonical partner, for near-miss matching
    ambiguous: frozenset[str]  # country surface forms that often are not the country
    determiners: frozenset[str]
    anaphor_nouns: frozenset[str]
    partner_nouns: frozenset[str]
    trial_use: frozenset[str]
    trial_nouns: frozenset[str]
    money: MoneyVocabulary
    purposes: PurposeVocabulary
    country_names: dict[str, str] = field(default_factory=dict)  # alpha-2 -> English name
    bodies: dict[str, str] = field(default_factory=dict)  # surface form of a sub-national government -> its name
    governments: dict[str, tuple[str, str]] = field(default_factory=dict)  # folded place -> (code, body)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def _pycountry_forms(name: str) -> list[str]:
    """Return usable surface forms of one pycountry name ("Korea, Republic of" -> "Republic of Korea")."""
    name = name.split(" (")[0].strip()
    if ", " not in name:
        return [name]
    head, tail = name.split(", ", 1)
    forms = [f"{tail} {head}".replace("  ", " ")]
    if tail[:1].isupper() or tail.startswith(("d", "l")):
        forms.append(head)
    return forms


def _country_forms(extras: dict[str, Any]) -> dict[str, list[tuple[str, str, bool]]]:
    """Return surface form -> [(alpha-2, form kind, from config)] for every country and the EU."""
    forms: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    catalogs = []
    for lang in ("fr", "es", "pt"):
        try:
            catalogs.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]))
        except OSError:
            LOGGER.warning("pycountry has no %s catalog; %s country names skipped", lang, lang)
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if not value:
                continue
            for translated in [value] + [c.gettext(value) for c in catalogs]:
                for form in _pycountry_forms(translated):
                    forms[form].append((code, "name", False))
    for code, table in extras.items():
        if not isinstance(table, dict):
            continue
        for key, kind in (("names", "name"), ("demonyms", "demonym"), ("capitals", "capital"),
                          ("abbreviations", "abbreviation"), ("institutions", "institution"),
                          ("leaders", "leader")):
            for form in _strings(table.get(key)):
                forms[form.strip()].append((code, kind, True))
    return forms


def _explicit_places(table: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Return code -> folded place name -> body for subnational.toml's bodies and their plain-name forms."""
    places: dict[str, dict[str, str]] = {}
    for code, governments in table.items():
        if isinstance(governments, dict):
            for body, forms in governments.items():
                for form in [body, *_strings(forms)]:
                    if not (GOVERNMENT_OF.search(form) or NAME_GOVERNMENT.search(form)):
                        places.setdefault(code, {})[fold(form)] = body
    return places


def _subnational_entries(table: dict[str, Any], resolved: dict[str, Entry],
                         cs: dict[str, list[Entry]]) -> dict[str, str]:
    """Add the sub-national governments of subnational.toml as mentions of their country; return form -> body."""
    bodies: dict[str, str] = {}
    for code, governments in table.items():
        if not isinstance(governments, dict):
            continue
        for body, forms in governments.items():
            for form in _strings(forms):
                entry = resolved.get(form)
                if entry is not None and entry.value != code:
                    LOGGER.debug("sub-national form %r is already a form of %s; not matched", form, entry.value)
                    continue
                kind = "institution" if form != body and form.lower() != body.lower() else "name"
                for variant in {form, ascii_fold(form)}:
                    _add(cs, variant, entry or Entry("country", code, kind), lower=False)
                    bodies[phrase_key(variant)] = body
    return bodies


def _case_variants(form: str, kind: str) -> set[str]:
    """Return the exact-case spellings to match for one country form."""
    variants = {form, ascii_fold(form)}
    if kind in ("name", "capital", "demonym") and len(form) > 3:
        variants.add(form.upper())  # datelines and headlines: "RABAT —", "MOROCCO"
    if kind == "demonym":
        # countries.toml lists French and Spanish adjectives in lower case ("ivoirien"); a sentence may
        # start with one.
        variants.add(form[:1].upper() + form[1:])
    return variants


def _resolve_country_forms(forms: dict[str, list[tuple[str, str, bool]]]) -> dict[str, Entry]:
    """Return one country entry per surface form, dropping forms two countries claim equally."""
    resolved: dict[str, Entry] = {}
    for form, claims in forms.items():
        configured = [c for c in claims if c[2]] or claims
        best = min(FORM_RANK[c[1]] for c in configured)
        codes = {c[0] for c in configured if FORM_RANK[c[1]] == best}
        if len(codes) != 1:
            LOGGER.debug("country form %r claimed by %s; not matched", form, sorted(codes))
            continue
        kind = next(c[1] for c in configured if FORM_RANK[c[1]] == best)
        resolved[form] = Entry("country", codes.pop(), kind)
    return resolved


def _country_words(resolved: dict[str, Entry]) -> dict[str, tuple[str, ...]]:
    """Return alpha-2 -> its names and demonyms, to tell "Egypt's Ministry of ..." from a generic ministry."""
    words: dict[str, list[str]] = defaultdict(list)
    for form, entry in resolved.items():
        if entry.extra in ("name", "demonym", "abbreviation", "capital") and len(form) > 2:
            words[entry.value].append(form.lower())
    return {code: tuple(forms) for code, forms in words.items()}


def _is_generic_institution(form: str, own_words: tuple[str, ...]) -> bool:
    lowered = form.lower()
    return bool(_GENERIC_INSTITUTION.match(form)) and not any(word in lowered for word in own_words)


def _partner_forms(name: str) -> set[str]:
    """Return a name and its variants without legal suffixes or accents."""
    forms = {name, ascii_fold(name)}
    words = name.split()
    while len(words) > 1 and words[-1].lower().rstrip(",") in LEGAL_SUFFIXES:
        words = words[:-1]
        forms.add(" ".join(words).rstrip(","))
    return {f for f in forms if f}


def _load_partners(data: dict[str, Any]) -> dict[str, Partner]:
    partners: dict[str, Partner] = {}
    for table in data.get("partner", []):
        if not isinstance(table, dict) or not isinstance(table.get("name"), str):
            continue
        partner = Partner(
            name=table["name"].strip(), home=str(table.get("home") or "").upper(),
            kind=str(table.get("kind") or ""), aliases=tuple(_strings(table.get("aliases"))),
            cased_aliases=tuple(_strings(table.get("cased_aliases"))),
            products=tuple(_strings(table.get("products"))), state_owned=table.get("state_owned") is True,
        )
        partners[partner.name] = partner
    return partners


# (stages.toml table, key, what each phrase listed there is)
LIST_ENTRIES = (
    ("generic", "contract_nouns", Entry("noun", "contract")),
    ("generic", "verbs", Entry("verb", "")),
    ("generic", "frames", Entry("frame", "")),
    ("anaphora", "nouns", Entry("anaphor", "")),
    ("anaphora", "pairs", Entry("pair_anaphor", "")),
    ("partner_anaphora", "nouns", Entry("partner_noun", "")),
    ("partner_anaphora", "plural", Entry("partners_anaphor", "")),
    ("launched_trial", "use", Entry("trial_use", "")),
    ("launched_trial", "trial", Entry("trial_noun", "")),
)


def _add(entries: dict[str, list[Entry]], phrase: str, entry: Entry, lower: bool) -> None:
    key = phrase_key(phrase)
    if lower:
        key = key.lower()
    if key and entry not in entries[key]:
        entries[key].append(entry)


def _stage_entries(stages: dict[str, Any], ci: dict[str, list[Entry]]) -> None:
    for section, (kind, value) in CI_SECTIONS.items():
        table = stages.get(section, {})
        strength = CUE_STRENGTH.get(section, "strong")
        for phrases in table.values() if isinstance(table, dict) else []:
            for phrase in _strings(phrases):
                _add(ci, phrase, Entry(kind, value, strength if kind == "cue" else ""), lower=True)
    generic = stages.get("generic", {})
    for key in ("nouns_en", "nouns_fr", "nouns_es", "nouns_pt"):
        for phrase in _strings(generic.get(key)):
            _add(ci, phrase, Entry("noun", "generic"), lower=True)
    for section, key, entry in LIST_ENTRIES:
        for phrase in _strings(stages.get(section, {}).get(key)):
            _add(ci, phrase, entry, lower=True)


def _partner_entries(partners: dict[str, Partner], ci: dict[str, list[Entry]],
                     cs: dict[str, list[Entry]]) -> dict[str, str]:
    fuzzy: dict[str, str] = {}
    for partner in partners.values():
        cased = set(partner.cased_aliases)
        # "Writer Inc" stripped of its suffix is "Writer", a word: a cased form stays cased.
        folded = {c.casefold() for c in cased}
        for alias in ({partner.name} - cased) | set(partner.aliases):
            for form in _partner_forms(alias):
                if form.casefold() in folded:
                    continue
                # Short forms are acronyms ("AMD", "G42"): matching them in any case finds words.
                if len(form) <= 4:
                    _add(cs, form, Entry("partner", partner.name), lower=False)
                    _add(cs, form.upper(), Entry("partner", partner.name), lower=False)
                else:
                    _add(ci, form, Entry("partner", partner.name), lower=True)
                    fuzzy[normalise_name(form)] = partner.name
        for alias in cased:
            for form in _partner_forms(alias):
                _add(cs, form, Entry("partner", partner.name), lower=False)
        for product in partner.products:
            _add(cs, product, Entry("product", partner.name), lower=False)
    return fuzzy


def normalise_name(name: str) -> str:
    """Return an organisation name lower-cased, without punctuation or legal suffixes, for fuzzy matching."""
    words = "".join(c if c.isalnum() else " " for c in ascii_fold(name).lower()).split()
    while len(words) > 1 and words[-1] in {s.rstrip(".").replace(".", "") for s in LEGAL_SUFFIXES}:
        words = words[:-1]
    return " ".join(words)


def load_vocabulary(config_dir: Path | None = None) -> Vocabulary:
    """Return the vocabularies of `config_dir` (default: the repository's config/) compiled for matching."""
    directory = Path(config_dir) if config_dir is not None else DEFAULT_CONFIG_DIR
    stages = read_toml(directory / "stages.toml")
    partners = _load_partners(read_toml(directory / "partners.toml"))
    extras = read_toml(directory / "countries.toml")
    ci: dict[str, list[Entry]] = defaultdict(list)
    cs: dict[str, list[Entry]] = defaultdict(list)
    _stage_entries(stages, ci)
    fuzzy = _partner_entries(partners, ci, cs)
    ambiguous: set[str] = set()
    for table in extras.values():
        if isinstance(table, dict):
            ambiguous.update(phrase_key(a) for a in _strings(table.get("ambiguous")))
    resolved = _resolve_country_forms(_country_forms(extras))
    own_words = _country_words(resolved)
    for form, entry in resolved.items():
        if entry.extra == "institution" and _is_generic_institution(form, own_words.get(entry.value, ())):
            ambiguous.add(phrase_key(form))
        for variant in _case_variants(form, entry.extra):
            _add(cs, variant, entry, lower=False)
            if phrase_key(form) in ambiguous:
                ambiguous.add(phrase_key(variant))
    subnational = read_toml(directory / "subnational.toml")
    bodies = _subnational_entries(subnational, resolved, cs)
    governments = government_names(_explicit_places(subnational),
                                   {form: entry.value for form, entry in resolved.items() if entry.extra == "name"})
    anaphora = stages.get("anaphora", {})
    names = {c.alpha_2: getattr(c, "common_name", None) or c.name for c in pycountry.countries}
    names["EU"] = "European Union"
    vocab = Vocabulary(
        ci=PhraseMatcher(ci, ignore_case=True), cs=PhraseMatcher(cs, ignore_case=False),
        ci_entries={k: tuple(v) for k, v in ci.items()},
        ci_kinds={k: frozenset(e.kind for e in v) for k, v in ci.items()},
        cs_entries={k: tuple(v) for k, v in cs.items()},
        partners=partners, fuzzy_forms=fuzzy, ambiguous=frozenset(ambiguous),
        determiners=frozenset(d.lower() for d in _strings(anaphora.get("determiners"))),
        anaphor_nouns=frozenset(phrase_key(n).lower() for n in _strings(anaphora.get("nouns"))),
        partner_nouns=frozenset(phrase_key(n).lower() for n in
                                _strings(stages.get("partner_anaphora", {}).get("nouns"))),
        trial_use=frozenset(phrase_key(n).lower() for n in _strings(stages.get("launched_trial", {}).get("use"))),
        trial_nouns=frozenset(phrase_key(n).lower() for n in _strings(stages.get("launched_trial", {}).get("trial"))),
        money=load_money(directory), purposes=load_purposes(directory), country_names=names, bodies=bodies,
        governments=governments,
    )
    LOGGER.debug("vocabulary from %s: %d case-insensitive and %d cased phrases, %d partners",
                 directory, vocab.ci.size, vocab.cs.size, len(partners))
    return vocab


VOCABULARY_FILES = ("stages.toml", "partners.toml", "countries.toml", "subnational.toml")
Stamps = tuple[int, ...]
_CACHE: dict[Path, tuple[Stamps, Vocabulary]] = {}
_LOCK = threading.Lock()


def file_stamps(directory: Path, names: Iterable[str]) -> Stamps:
    """Return each named file's modification time in nanoseconds (-1 when missing), to tell a stale cache."""
    stamps = []
    for name in names:
        try:
            stamps.append(os.stat(directory / name).st_mtime_ns)
        except OSError:
            stamps.append(-1)
    return tuple(stamps)


def vocabulary(config_dir: Path | None = None) -> Vocabulary:
    """Return the compiled vocabulary for `config_dir`, built once per process and again only when a file changed.

    A few stat calls per article (microseconds) let a long-running `serve` pick up an edited
    vocabulary; compiling one costs ~0.6 s.
    """
    directory = Path(config_dir) if config_dir is not None else DEFAULT_CONFIG_DIR
    stamps = file_stamps(directory, VOCABULARY_FILES)
    cached = _CACHE.get(directory)
    if cached is not None and cached[0] == stamps:
        return cached[1]
    with _LOCK:  # one thread compiles; the others wait for its result
        cached = _CACHE.get(directory)
        if cached is None or cached[0] != stamps:
            cached = _CACHE[directory] = (stamps, load_vocabulary(directory))
        return cached[1]
