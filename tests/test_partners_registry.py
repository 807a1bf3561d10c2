"""Partner registry: config/partners.toml parses, and every surface form resolves to exactly one partner."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pycountry
import pytest

REGISTRY = Path(__file__).resolve().parents[1] / "config" / "partners.toml"
KINDS = {"ai_lab", "chips", "cloud", "datacenter", "software", "telecom", "investor", "integrator"}
REQUIRED_KEYS = {"name", "aliases", "cased_aliases", "home", "kind"}
LIST_KEYS = ("aliases", "cased_aliases", "products")
REQUIRED_PARTNERS = [
    "OpenAI", "Mistral AI", "Anthropic", "Nvidia", "Microsoft", "Google", "Amazon Web Services",
    "G42", "Nscale", "Sarvam AI", "Yotta", "Humain", "Core42", "Aleph Alpha", "Cohere", "Naver",
    "Kakao", "Huawei Cloud", "Alibaba Cloud",
]
# Ordinary words, names and phrases that would match prose if compared without case ("a meta-analysis",
# "on a larger scale", "an orange", "claro que sí", "le sens humain"): they may only be cased aliases.
COMMON_WORDS = {
    "meta", "scale", "arm", "oracle", "lambda", "apple", "amazon", "mistral", "crusoe", "writer",
    "faculty", "orange", "claro", "inception", "humain", "cohere", "intel", "alphabet", "snowflake",
    "perplexity", "poolside", "upstage", "etched", "rebellions", "moonshot", "micron", "vantage",
    "cassava", "reliance", "dell", "grab", "elm", "leonardo", "indra", "zain", "reka", "cognizant",
    "brookfield", "blackstone", "macquarie", "sap", "kt", "nec", "bt", "ey", "stc", "sk", "hcl",
    # phrases that read as ordinary prose: "open AI models", "to scale AI", "vast data centres"
    "open ai", "scale ai", "shield ai", "faculty ai", "character ai", "vast data", "main one",
    "taiwan semiconductor", "saudi telecom", "global infrastructure partners",
    "ai infrastructure partnership", "mobile telecommunications company",
}


@pytest.fixture(scope="module")
def partners() -> list[dict[str, Any]]:
    """Return the registry's partner tables."""
    with REGISTRY.open("rb") as handle:
        return tomllib.load(handle)["partner"]


def _forms(partner: dict[str, Any]) -> list[str]:
    """Return every surface form of one partner: name, aliases, cased aliases and products."""
    return [partner["name"], *partner["aliases"], *partner["cased_aliases"], *partner.get("products", [])]


def _resolver(partners: list[dict[str, Any]]) -> dict[str, str]:
    """Return a map from each case-insensitive form (name, alias, product) to its canonical name."""
    table: dict[str, str] = {}
    for partner in partners:
        for form in [partner["name"], *partner["aliases"], *partner.get("products", [])]:
            table[form.casefold()] = partner["name"]
    return table


def test_registry_is_large_enough(partners: list[dict[str, Any]]) -> None:
    assert len(partners) >= 170


def test_every_table_has_the_documented_shape(partners: list[dict[str, Any]]) -> None:
    for partner in partners:
        assert REQUIRED_KEYS <= partner.keys() <= REQUIRED_KEYS | {"products", "state_owned"}, partner.get("name")
        assert partner.get("state_owned", True) is True, (partner["name"], "state_owned is only ever true")
        assert not partner.get("state_owned") or partner["home"], (partner["name"], "a state-owned partner needs a home")
        assert isinstance(partner["name"], str) and partner["name"] == partner["name"].strip() != ""
        for key in LIST_KEYS:
            values = partner.get(key, [])
            assert isinstance(values, list), (partner["name"], key)
            assert all(isinstance(v, str) and v == v.strip() != "" for v in values), (partner["name"], key)


def test_canonical_names_are_unique(partners: list[dict[str, Any]]) -> None:
    names = [p["name"].casefold() for p in partners]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_no_form_belongs_to_two_partners(partners: list[dict[str, Any]]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for partner in partners:
        for form in _forms(partner):
            owners[form.casefold()].add(partner["name"])
    assert {form: sorted(who) for form, who in owners.items() if len(who) > 1} == {}


def test_aliases_do_not_repeat_the_name_or_each_other(partners: list[dict[str, Any]]) -> None:
    for partner in partners:
        folded = [partner["name"].casefold(), *(a.casefold() for a in partner["aliases"])]
        assert len(folded) == len(set(folded)), partner["name"]


def test_home_is_blank_or_an_iso_alpha2_code(partners: list[dict[str, Any]]) -> None:
    bad = [(p["name"], p["home"]) for p in partners
           if p["home"] != "" and (len(p["home"]) != 2 or pycountry.countries.get(alpha_2=p["home"]) is None)]
    assert bad == []


def test_kind_is_in_the_allowed_set(partners: list[dict[str, Any]]) -> None:
    assert [(p["name"], p["kind"]) for p in partners if p["kind"] not in KINDS] == []


def test_required_partners_are_present(partners: list[dict[str, Any]]) -> None:
    names = {p["name"] for p in partners}
    assert [name for name in REQUIRED_PARTNERS if name not in names] == []


def test_common_words_are_never_case_insensitive_aliases(partners: list[dict[str, Any]]) -> None:
    leaks = [(p["name"], a) for p in partners for a in p["aliases"] if a.casefold() in COMMON_WORDS]
    assert leaks == []


def test_names_that_are_common_words_are_marked_cased(partners: list[dict[str, Any]]) -> None:
    unmarked = [p["name"] for p in partners
                if p["name"].casefold() in COMMON_WORDS and p["name"] not in p["cased_aliases"]]
    assert unmarked == []


@pytest.mark.parametrize(("form", "canonical"), [
    ("AWS", "Amazon Web Services"),
    ("deepmind", "Google"),
    ("Google Cloud", "Google"),
    ("Facebook", "Meta"),
    ("Mistral AI SAS", "Mistral AI"),
    ("ChatGPT", "OpenAI"),
    ("Claude", "Anthropic"),
    ("Azure", "Microsoft"),
    ("Azure OpenAI", "Microsoft"),
    ("Grok", "xAI"),
    ("Llama", "Meta"),
    ("Naver Cloud", "Naver"),
    ("Etisalat", "e&"),
    ("Jais", "Inception"),
])
def test_common_surface_forms_resolve_to_their_canonical_partner(
    partners: list[dict[str, Any]], form: str, canonical: str
) -> None:
    assert _resolver(partners)[form.casefold()] == canonical


@pytest.mark.parametrize(("form", "canonical"), [
    ("Mistral", "Mistral AI"),
    ("Amazon", "Amazon Web Services"),
    ("Meta", "Meta"),
    ("Oracle", "Oracle"),
    ("KT", "KT"),
])
def test_ambiguous_words_resolve_only_with_exact_case(
    partners: list[dict[str, Any]], form: str, canonical: str
) -> None:
    owner = [p["name"] for p in partners if form in p["cased_aliases"]]
    assert owner == [canonical]
    assert all(form.lower() not in (a.casefold() for a in p["aliases"]) for p in partners)
