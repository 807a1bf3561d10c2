"""Sub-national governments named by a government word and a place: "la provincia de Mendoza",
"le gouvernement du Télangana", "the Queensland state government".

`config/subnational.toml` lists the governments news names most often, with every surface form.
This module covers the rest: any first-level subdivision pycountry knows (states, provinces,
regions, Länder, cantons...), but only where a government word says the place acts as a
government, so that "Victoria" or "Córdoba" alone stay what they usually are. A place name two
countries share counts only when subnational.toml settles it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pycountry

from pipeline.classify.matcher import ascii_fold

# First-level subdivisions that have a government of their own.
GOVERNED_TYPES = frozenset({
    "State", "Province", "Region", "Autonomous community", "Autonomous region", "Land", "Canton",
    "Department", "Governorate", "Prefecture", "Union territory", "Republic", "Emirate",
    "Regional state", "Metropolitan region", "Oblast", "Territory", "Federal district",
    "Capital district", "Autonomous province", "Voivodship", "County",
})

_NAME = r"(?P<name>[A-ZÀ-Ý][\w'’-]+(?:\s+(?:de|del|do|da|dos|y|e|and|[A-ZÀ-Ý][\w'’-]+)){0,3})"
_HEAD = (r"(?:[Gg]overnment|[Gg]obierno|[Gg]ouvernement|[Gg]overno|[Pp]rovince|[Pp]rovincia|[Pp]rovíncia|"
         r"[Ss]tate|[Ee]stado|[ÉéEe]tat|[Gg]obernación|[Jj]unta|[Xx]unta|[Gg]eneralitat|[Cc]omunidad|[Cc]anton|"
         r"[Cc]antón|[Rr]égion|[Rr]egión|[Rr]egion|[Dd]epartamento|[Dd]épartement|[Ll]and)")
_LINK = (r"(?:\s+(?:provincial|regional|estatal|fédéral|federal))?(?:\s+(?:del|do|da)\s+[Ee]stado)?"
         r"\s+(?:of(?:\s+the)?|de(?:\s+la|\s+l'|\s+los)?|del|du|de\s+l'|d'|da|do|des)\s*")
GOVERNMENT_OF = re.compile(rf"\b{_HEAD}{_LINK}(?:{_HEAD}{_LINK})?{_NAME}")  # "gouvernement de l'État de Sarawak"
# "the Queensland government", "the Queensland state government", "Queensland State Government"
NAME_GOVERNMENT = re.compile(
    rf"{_NAME}\s+(?:[Ss]tate\s+|[Pp]rovincial\s+|[Rr]egional\s+)?[Gg]overnment\b")
# "Victoria's Department of Education", "Karnataka's IT minister": the place's own government
POSSESSIVE_GOVERNMENT = re.compile(
    r"(?P<name>[A-ZÀ-Ý][\w-]+(?:\s+[A-ZÀ-Ý][\w-]+){0,3})(?:'s|’s)\s+(?:[Ss]tate\s+)?(?:[Gg]overnment|"
    r"[Dd]epartment|[Mm]inistry|[Mm]inister|[Pp]remier|[Cc]hief\s+[Mm]inister|[Gg]overnor|"
    r"[A-Z]{2,4}\s+(?:[Dd]epartment|[Mm]inister|[Mm]inistry))\b")


@dataclass(frozen=True)
class GovernmentMention:
    """A sub-national government found in a text: where, its country and its name."""

    start: int
    end: int
    code: str
    body: str


def fold(name: str) -> str:
    """Return a lookup key: accents dropped, lower case, one space between words."""
    return " ".join(ascii_fold(name.replace("’", "'")).lower().split())


def _display(name: str) -> str:
    """Return pycountry's name as news writes it: transliteration marks ("Telangāna") dropped."""
    return name if all(ord(c) < 256 for c in name) else ascii_fold(name)


def _pycountry_names() -> Iterator[tuple[str, str]]:
    """Yield (country code, name) for every governed first-level subdivision."""
    for subdivision in pycountry.subdivisions:
        if subdivision.parent_code is not None or subdivision.type not in GOVERNED_TYPES:
            continue
        for name in re.split(r"\s*\[|\]\s*|\s*/\s*", subdivision.name):
            if name and "," not in name and len(name) > 3:
                yield subdivision.country_code, name


def government_names(explicit: dict[str, dict[str, str]], country_names: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Return folded place name -> (country code, body) for the governments the patterns may name.

    `explicit` is subnational.toml's choice (code -> folded name -> body); it wins over pycountry.
    `country_names` maps every name of a country (not capitals or demonyms) to its code. A place
    named like another country ("Georgia": subnational.toml lists the US state's unambiguous
    forms) or like its own country ("México", whose government is the federal one) is left out, as
    is a name two countries share without subnational.toml choosing.
    """
    claimed = {fold(form): code for form, code in country_names.items()}
    own = {fold(getattr(c, "common_name", None) or c.name): c.alpha_2 for c in pycountry.countries}
    own.update({fold(c.name): c.alpha_2 for c in pycountry.countries})

    def allowed(key: str, code: str) -> bool:
        return claimed.get(key, code) == code and own.get(key) is None

    claims: dict[str, set[tuple[str, str]]] = {}
    for code, name in _pycountry_names():
        claims.setdefault(fold(name), set()).add((code, _display(name)))
    names = {key: next(iter(owners)) for key, owners in claims.items()
             if len({code for code, _ in owners}) == 1 and allowed(key, next(iter(owners))[0])}
    for code, bodies in explicit.items():
        names.update({key: (code, body) for key, body in bodies.items() if allowed(key, code)})
    return names


def find_governments(text: str, names: dict[str, tuple[str, str]]) -> list[GovernmentMention]:
    """Return the sub-national governments a government word names in `text`."""
    found = []
    for pattern in (GOVERNMENT_OF, NAME_GOVERNMENT, POSSESSIVE_GOVERNMENT):
        for match in pattern.finditer(text):
            words = list(re.finditer(r"\S+", match.group("name")))
            offset = match.start("name")
            # The longest run of the captured words that names a place: "Mendoza firmó" is Mendoza
            # after a government word, "The Queensland" is Queensland before one.
            for size in range(len(words), 0, -1):
                run = words[:size] if pattern is GOVERNMENT_OF else words[-size:]
                place = names.get(fold(" ".join(w.group() for w in run)))
                if place is None:
                    continue
                if pattern is GOVERNMENT_OF:
                    found.append(GovernmentMention(match.start(), offset + run[-1].end(), *place))
                elif pattern is NAME_GOVERNMENT:
                    found.append(GovernmentMention(offset + run[0].start(), match.end(), *place))
                else:  # "Victoria's": the office that follows may be a name of its own ("Department of Education")
                    found.append(GovernmentMention(offset + run[0].start(), match.end("name") + 2, *place))
                break
    return found
