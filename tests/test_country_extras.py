"""Checks config/countries.toml, the country extras the classifier layers on top of pycountry."""

from __future__ import annotations

import gettext
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pycountry
import pytest

COUNTRIES_TOML = Path(__file__).resolve().parents[1] / "config" / "countries.toml"
ALLOWED_KEYS = {"names", "demonyms", "capitals", "abbreviations", "institutions", "leaders", "ambiguous"}
# Strings that resolve a mention to a country: one string must mean one country.
RESOLVING_KEYS = ("names", "demonyms", "capitals", "abbreviations", "institutions", "leaders")
# Deliberately shared strings, casefolded, with the reason. Empty today: where two states share
# a word ("Congolese", "Dominican", "MCIT") the file gives it to the likelier one instead.
ALLOWED_SHARED: dict[str, str] = {}
REQUIRED = (
    "MA", "AE", "SA", "QA", "IN", "GB", "FR", "US", "CN", "KR",
    "JP", "SG", "BR", "MX", "NG", "KE", "EG", "ZA", "EU",
)
# State-linked AI companies are partners (config/partners.toml), never country extras.
PARTNER_COMPANIES = ("G42", "Core42", "MGX", "Humain", "Khazna", "Aramco Digital", "Presight", "Stargate Project")


@pytest.fixture(scope="module")
def extras() -> dict[str, dict[str, Any]]:
    """Return the parsed countries.toml."""
    with COUNTRIES_TOML.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def pycountry_names() -> dict[str, set[str]]:
    """Return casefolded pycountry names (en, fr, es; name, official and common) mapped to alpha-2 codes."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    owners: dict[str, set[str]] = defaultdict(set)
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                for text in (value, french.gettext(value), spanish.gettext(value)):
                    owners[text.casefold()].add(country.alpha_2)
    return owners


def owners_by_string(extras: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Return each casefolded resolving string mapped to the codes whose tables list it."""
    owners: dict[str, set[str]] = defaultdict(set)
    for code, table in extras.items():
        for key in RESOLVING_KEYS:
            for text in table.get(key, []):
                owners[text.casefold()].add(code)
    return owners


def test_codes_are_alpha2_or_eu_and_cover_the_un(extras: dict[str, dict[str, Any]]) -> None:
    unknown = [code for code in extras if code != "EU" and pycountry.countries.get(alpha_2=code) is None]
    assert unknown == []
    assert len(extras) >= 190


def test_tables_use_only_known_keys_with_lists_of_clean_strings(extras: dict[str, dict[str, Any]]) -> None:
    problems = []
    for code, table in extras.items():
        problems += [f"{code}: unknown key {key}" for key in set(table) - ALLOWED_KEYS]
        for key, values in table.items():
            if not isinstance(values, list):
                problems.append(f"{code}.{key} is not a list")
                continue
            problems += [
                f"{code}.{key}: {value!r}"
                for value in values
                if not isinstance(value, str) or not value.strip() or value != value.strip()
            ]
            if len(values) != len(set(values)):
                problems.append(f"{code}.{key} repeats a value")
    assert problems == []


def test_no_string_resolves_to_two_countries(extras: dict[str, dict[str, Any]]) -> None:
    shared = {text: sorted(codes) for text, codes in owners_by_string(extras).items() if len(codes) > 1}
    assert {text: codes for text, codes in shared.items() if text not in ALLOWED_SHARED} == {}
    assert set(ALLOWED_SHARED) <= set(shared), "allowlisted strings that are no longer shared"


def test_no_extra_claims_another_countrys_pycountry_name(
    extras: dict[str, dict[str, Any]], pycountry_names: dict[str, set[str]]
) -> None:
    clashes = {
        text: (sorted(codes), sorted(pycountry_names[text] - codes))
        for text, codes in owners_by_string(extras).items()
        if pycountry_names.get(text, set()) - codes
    }
    assert clashes == {}


def test_ambiguous_entries_are_strings_the_matcher_knows(
    extras: dict[str, dict[str, Any]], pycountry_names: dict[str, set[str]]
) -> None:
    # An ambiguous entry that matches nothing in its own table or pycountry is a silent typo.
    orphans = []
    for code, table in extras.items():
        known = {text.casefold() for key in RESOLVING_KEYS for text in table.get(key, [])}
        orphans += [
            f"{code}: {text}"
            for text in table.get("ambiguous", [])
            if text.casefold() not in known and code not in pycountry_names.get(text.casefold(), set())
        ]
    assert orphans == []


def test_abbreviations_carry_capitals(extras: dict[str, dict[str, Any]]) -> None:
    # Abbreviations are matched with exact case; an all-lowercase one would match ordinary words.
    lowercase = [
        f"{code}: {text}"
        for code, table in extras.items()
        for text in table.get("abbreviations", [])
        if text == text.lower()
    ]
    assert lowercase == []


@pytest.mark.parametrize("code", REQUIRED)
def test_key_countries_have_names_and_institutions(extras: dict[str, dict[str, Any]], code: str) -> None:
    table = extras[code]
    assert table.get("names") or table.get("demonyms")
    assert table.get("institutions")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DRC", "CD"),
        ("RDC", "CD"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congolese", "CD"),
        ("Congo-Brazzaville", "CG"),
        ("Republic of the Congo", "CG"),
        ("Nigerian", "NG"),
        ("Nigerien", "NE"),
        ("nigérien", "NE"),
        ("Sudanese", "SD"),
        ("South Sudanese", "SS"),
        ("Dominican", "DO"),
        ("Dominica", "DM"),
        ("North Korean", "KP"),
        ("South Korea", "KR"),
        ("Korea", "KR"),
        ("Corée du Sud", "KR"),
        ("Equatorial Guinea", "GQ"),
        ("Guinea-Bissau", "GW"),
        ("Papua New Guinea", "PG"),
        ("Ivory Coast", "CI"),
        ("Türkiye", "TR"),
        ("Brussels", "EU"),
        ("European Commission", "EU"),
        ("UAE", "AE"),
        ("EAU", "AE"),
        ("Mubadala", "AE"),
        ("Public Investment Fund", "SA"),
        ("SDAIA", "SA"),
        ("Qatar Investment Authority", "QA"),
        ("Kuwait Investment Authority", "KW"),
        ("EE.UU.", "US"),
        ("Pentagon", "US"),
        ("Bpifrance", "FR"),
        ("Élysée", "FR"),
        ("IndiaAI Mission", "IN"),
        ("AI Security Institute", "GB"),
        ("Temasek", "SG"),
        ("Danantara", "ID"),
        ("NITDA", "NG"),
        ("Konza Technopolis", "KE"),
        ("ITIDA", "EG"),
        ("Agence de Développement du Digital", "MA"),
        ("Israel Innovation Authority", "IL"),
        ("Diia", "UA"),
        ("Norges Bank Investment Management", "NO"),
        ("Barcelona Supercomputing Center", "ES"),
    ],
)
def test_tricky_strings_resolve_to_the_right_country(
    extras: dict[str, dict[str, Any]], text: str, code: str
) -> None:
    assert owners_by_string(extras)[text.casefold()] == {code}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Georgia", "GE"), ("Jordan", "JO"), ("Chad", "TD"), ("Turkey", "TR"),
        ("Niger", "NE"), ("Guinea", "GN"), ("Washington", "US"),
    ],
)
def test_words_that_are_often_not_the_country_are_flagged(
    extras: dict[str, dict[str, Any]], text: str, code: str
) -> None:
    assert text in extras[code]["ambiguous"]


def test_partner_companies_are_not_country_extras(extras: dict[str, dict[str, Any]]) -> None:
    listed = owners_by_string(extras)
    assert [company for company in PARTNER_COMPANIES if company.casefold() in listed] == []
