"""Sub-national governments named by a government word and a place, in any of the project's languages."""

from __future__ import annotations

import pytest

from pipeline.classify import classify_article
from pipeline.classify.governments import find_governments, government_names

NAMES = government_names({"AR": {"cordoba": "Córdoba Province"}}, {"Georgia": "GE", "Karnataka": "IN"})


@pytest.mark.parametrize(("text", "found"), [
    ("La provincia de Mendoza firmó el miércoles un memorando.", ("AR", "Mendoza", "provincia de Mendoza")),
    ("Le conseiller que le gouvernement du Télangana a conçu.", ("IN", "Telangana", "gouvernement du Télangana")),
    ("The Queensland state government signed a contract.", ("AU", "Queensland", "Queensland state government")),
    ("O Governo do Estado de São Paulo assinou.", ("BR", "São Paulo", "Governo do Estado de São Paulo")),
    ("El gobierno de Córdoba firmó.", ("AR", "Córdoba Province", "gobierno de Córdoba")),  # settled by the toml
    ("MELBOURNE — Victoria's Department of Education signed.", ("AU", "Victoria", "Victoria's")),
    ("Karnataka's IT minister said.", ("IN", "Karnataka", "Karnataka's")),  # also a name of India
])
def test_a_government_word_and_a_place_name_a_subnational_government(text: str, found: tuple) -> None:
    [mention] = find_governments(text, NAMES)
    assert (mention.code, mention.body, text[mention.start:mention.end]) == found


@pytest.mark.parametrize("text", [
    "Victoria signed a deal.",  # a place name alone is not its government (it is also a capital)
    "The Government of Georgia signed a memorandum.",  # a country's name is the country
    "El Gobierno de México firmó.",  # the state of México shares its country's name: the federal government
    "El Gobierno de Santa Cruz firmó.",  # Argentina and Bolivia both have one; nothing settles which
])
def test_a_bare_place_a_country_name_or_a_shared_name_is_no_subnational_government(text: str) -> None:
    assert find_governments(text, NAMES) == []


def test_a_province_the_lists_do_not_name_is_tagged_with_its_country_and_body() -> None:
    result = classify_article("", "La provincia de Mendoza firmó un memorando de entendimiento con Amazon Web "
                                  "Services para capacitar en inteligencia artificial a sus empleados.", "2025-09-10")
    [deal] = result.deals
    assert (deal.country, deal.partner, deal.stage, deal.level, deal.body) == (
        "AR", "Amazon Web Services", "mou", "subnational", "Mendoza")
