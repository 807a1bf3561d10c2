"""Deal amounts and purposes: the money parser, conversion, status, attribution to the right pair, purposes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from pipeline.classify import classify_article, vocabulary
from pipeline.classify.amounts import find_money, to_usd
from pipeline.cli import main
from pipeline.evaluate import evaluate_file, score_records
from pipeline.models import DealMention

FIXTURES = Path(__file__).resolve().parent / "fixtures"

MONEY = [
    ("$1.7bn", 1.7e9, "USD"),
    ("US$200m", 200e6, "USD"),
    ("USD 3 billion", 3e9, "USD"),
    ("USD3bn", 3e9, "USD"),
    ("€1 milliard", 1e9, "EUR"),
    ("1,5 milliard d'euros", 1.5e9, "EUR"),
    ("1.500 millones de euros", 1.5e9, "EUR"),
    ("mil millones de dólares", 1e9, "USD"),
    ("dos mil millones de dólares", 2e9, "USD"),
    ("240 millions de dollars", 240e6, "USD"),
    ("1 500 millions d'euros", 1.5e9, "EUR"),
    ("SAR 10bn", 10e9, "SAR"),
    ("R$ 2 bilhões", 2e9, "BRL"),
    ("R$ 1,2 bi", 1.2e9, "BRL"),
    ("Rs 500 crore", 5e9, "INR"),
    ("₹10,000 crore", 1e11, "INR"),
    ("A$150 million", 150e6, "AUD"),
    ("2.5 billion dirhams", 2.5e9, "AED"),
    ("100 milliards de francs CFA", 1e11, "XOF"),
    ("£500m", 500e6, "GBP"),
    ("200 M€", 200e6, "EUR"),
    ("10 Md$", 10e9, "USD"),
    ("$500,000", 500e3, "USD"),
    ("a billion dollars", 1e9, "USD"),
    ("un milliard d'euros", 1e9, "EUR"),
    ("half a billion dollars", 0.5e9, "USD"),
    ("$40-billion", 40e9, "USD"),
    ("3 billion USD", 3e9, "USD"),
    ("US$ 1,2 bilhão", 1.2e9, "USD"),
    ("5 billion yuan", 5e9, "CNY"),
    ("6,5 M$", 6.5e6, "USD"),  # a French decimal comma before a scale English shares
    ("2.5 millones de dólares", 2.5e6, "USD"),
    ("u$s2.000 millones", 2e9, "USD"),  # Argentine and Uruguayan papers' dollar
    ("420 millions de ringgits", 420e6, "MYR"),
]


@pytest.mark.parametrize(("text", "value", "currency"), MONEY)
def test_money_expressions_in_four_languages(text: str, value: float, currency: str) -> None:
    found = find_money(vocabulary().money, f"The deal, worth {text}, was announced.")
    assert len(found) == 1, found
    assert found[0].value == pytest.approx(value)
    assert found[0].currencies[0] == currency


@pytest.mark.parametrize("text", [
    "It covers 20% of demand with 300 MW and 10,000 GPUs from 2025.",
    "The 200 m cable reaches 1,500 homes.",
    "Millions of dollars have been spent on AI.",
    "Some 3,000 civil servants and 40 schools will use it by 2027.",
])
def test_numbers_without_a_currency_are_not_money(text: str) -> None:
    assert find_money(vocabulary().money, text) == []


def test_conversion_uses_the_publication_year_or_the_nearest() -> None:
    money = vocabulary().money
    assert to_usd(money, 1e9, "USD", 2024) == 1e9
    assert to_usd(money, 1e9, "EUR", 2023) == pytest.approx(1e9 / 0.9248, rel=1e-6)
    assert to_usd(money, 1e9, "EUR", 2031) == to_usd(money, 1e9, "EUR", max(money.rates["EUR"]))
    assert to_usd(money, 1e9, "EUR", 1990) == to_usd(money, 1e9, "EUR", min(money.rates["EUR"]))


def deal(text: str, partner: str, title: str = "", published: str = "2025-06-15") -> DealMention:
    """Return the one deal of `partner` the classifier finds in a text."""
    result = classify_article(title, text, published, min_confidence=0.0)
    found = [d for d in result.deals + result.candidates if d.partner == partner]
    assert len(found) == 1, result
    return found[0]


def test_amount_of_a_signed_contract_is_committed_and_converted() -> None:
    found = deal("Morocco's digital ministry signed a €200 million contract with Mistral AI on Tuesday to build "
                 "a sovereign language model.", "Mistral AI", published="2025-03-04")
    assert found.amount is not None
    assert (found.amount.value, found.amount.currency, found.amount.status) == (200e6, "EUR", "committed")
    assert found.amount.usd == pytest.approx(200e6 / 0.885, rel=1e-6)


def test_hedged_amounts_are_announced() -> None:
    found = deal("Kenya signed an agreement with Microsoft under which the company could invest up to $1bn in a "
                 "data centre.", "Microsoft")
    assert found.amount is not None and found.amount.status == "announced"


def test_money_of_a_memorandum_is_announced() -> None:
    found = deal("Chile signed a memorandum of understanding with Amazon Web Services for a $4bn data centre.",
                 "Amazon Web Services")
    assert found.amount is not None and (found.amount.value, found.amount.status) == (4e9, "announced")


def test_amount_goes_to_its_own_pair() -> None:
    text = ("Kenya signed a $300 million contract with Microsoft for a data centre, and held talks with Google "
            "about training teachers.")
    microsoft, google = deal(text, "Microsoft"), deal(text, "Google")
    assert microsoft.amount is not None and microsoft.amount.value == 300e6
    assert google.amount is None


def test_a_funding_round_or_valuation_is_not_the_deal_amount() -> None:
    found = deal("The French government signed a contract with Mistral AI, which was valued at $14 billion in its "
                 "last funding round.", "Mistral AI")
    assert found.amount is None


def test_valued_at_is_the_deal_s_worth_after_a_deal_noun_and_a_valuation_otherwise() -> None:
    found = deal("El gobierno de Nuevo León firmó un convenio con Oracle para trasladar sus sistemas a la nube. "
                 "El convenio, valorado en 850 millones de pesos, prevé que Oracle aloje las bases de datos.",
                 "Oracle")
    assert found.amount is not None and (found.amount.value, found.amount.currency) == (850e6, "MXN")
    found = deal("Le gouvernement du Québec a retenu Cohere pour un assistant. Cohere, évaluée à 6,8 milliards de "
                 "dollars américains, a signé le contrat mardi.", "Cohere")
    assert found.amount is None


def test_the_next_sentence_lends_its_amount_when_it_is_about_the_deal() -> None:
    found = deal("Senegal signed an agreement with Orange to host public AI services. The contract is worth "
                 "9 milliards de francs CFA.", "Orange")
    assert found.amount is not None and (found.amount.value, found.amount.currency) == (9e9, "XOF")
    other = deal("Senegal signed an agreement with Orange to host public AI services. The Commission wants to "
                 "mobilise €20 billion for gigafactories.", "Orange")
    assert other.amount is None


def test_a_state_owned_company_of_the_deal_s_state_is_its_side_not_another_partner() -> None:
    # Humain is Saudi Arabia's own company: the amount beside it is still the AWS deal's.
    found = deal("Amazon Web Services agreed to invest more than US$5 billion in an AI zone with Humain in Saudi "
                 "Arabia, covering dedicated infrastructure.", "Amazon Web Services")
    assert found.amount is not None and found.amount.value == 5e9
    # Viettel buys for Vietnam: a sentence about its order goes on about the Nvidia deal.
    found = deal("A purchase of Nvidia accelerators by Viettel, the telecoms group owned by Vietnam's defence "
                 "ministry, has been put on hold. The order, worth about $110 million, was signed for a Viettel "
                 "data centre.", "Nvidia")
    assert found.amount is not None and found.amount.value == 110e6


def test_the_sentence_after_a_continuation_goes_on_about_the_deal_too() -> None:
    found = deal("Le Sénégal a signé un protocole d'accord avec Humain. Le texte prévoit que Humain étudie un centre "
                 "de données. L'investissement envisagé pourrait atteindre 500 millions de dollars.", "Humain")
    assert found.amount is not None and (found.amount.value, found.amount.status) == (500e6, "announced")


def test_a_programme_s_endowment_is_not_the_deal_amount() -> None:
    found = deal("Ottawa a signé une entente de contribution avec Cohere. Les fonds, tirés de la Stratégie sur la "
                 "capacité de calcul, dotée de 2 milliards de dollars, financeront un centre de données de Cohere.",
                 "Cohere")
    assert found.amount is None


def test_a_price_per_user_is_not_the_deal_amount() -> None:
    found = deal("Utah began a pilot of Google's Gemini with state employees. List prices would run at about $30 per "
                 "user per month, Google said.", "Google")
    assert found.amount is None


def test_an_amount_beside_coordinated_partners_is_neither_s_alone() -> None:
    text = ("Kenya signs with G42 and Microsoft for $1bn green data centre\n\nKenya signed agreements with G42 and "
            "with Microsoft for a data centre. Under its agreement, G42 committed $1 billion to build the facility.")
    assert deal(text, "Microsoft", title="").amount is None
    g42 = deal(text, "G42")
    assert g42.amount is not None and g42.amount.value == 1e9


def test_the_total_is_taken_over_a_larger_part() -> None:
    found = deal("Indonesia signed a contract with Nvidia worth a total of $400 million, including $150 million "
                 "for training.", "Nvidia")
    assert found.amount is not None and found.amount.value == 400e6


def test_dollars_of_a_dollar_country_are_its_own() -> None:
    found = deal("Ottawa accorde 240 millions de dollars à Cohere pour un centre de données.", "Cohere")
    assert found.amount is not None and found.amount.currency == "CAD"


def test_purposes_come_from_the_deal_sentences() -> None:
    found = deal("Morocco signed an agreement with Mistral AI to build a data centre and train 5,000 civil servants "
                 "in the use of its language models.", "Mistral AI")
    assert found.purposes == ["compute", "models", "skills"]


def test_purposes_of_another_pair_in_the_sentence_are_not_this_deal_s() -> None:
    text = ("The Jordanian government signed a memorandum with Cohere on AI language models and held talks with "
            "Oracle on cloud capacity.")
    assert deal(text, "Cohere").purposes == ["models"]
    assert "models" not in deal(text, "Oracle").purposes


def test_investment_purpose_when_the_state_puts_money_into_the_partner() -> None:
    found = deal("Spain's government took a stake in Multiverse Computing, investing €67 million in the company.",
                 "Multiverse Computing")
    assert "investment" in found.purposes


def test_the_users_of_a_tool_are_no_public_service_nor_a_funding_round_an_investment() -> None:
    found = deal("The Jordanian government signed an agreement with Cohere on AI language models for ministries, "
                 "government agencies and the public sector. Cohere raised $500 million in a funding round in "
                 "August.", "Cohere")
    assert found.purposes == ["models"]
    found = deal("The Jordanian government signed an agreement with Cohere on AI language models for its public "
                 "hospitals.", "Cohere")
    assert found.purposes == ["models", "public-services"]


def test_no_purpose_when_none_is_said() -> None:
    assert deal("Ghana held talks with Google about artificial intelligence on Tuesday, the ministry said.", "Google").purposes == []


# --- storage and measurement ---------------------------------------------------------------------

def test_deal_row_keeps_the_largest_amount_and_every_purpose(tmp_path: Path) -> None:
    archive = tmp_path / "archive.jsonl"
    articles = [
        {"url": "https://news.example/1", "published": "2025-03-01", "title": "Kenya and Microsoft sign AI deal",
         "text": "Kenya's ICT ministry signed a $300 million contract with Microsoft to build an AI data centre."},
        {"url": "https://news.example/2", "published": "2025-04-01", "title": "Microsoft widens Kenya AI contract",
         "text": "Kenya's ICT ministry signed a $1 billion contract with Microsoft to train 50,000 teachers in AI."},
    ]
    archive.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    db_path = tmp_path / "dealwatch.db"
    result = CliRunner().invoke(main, ["import", "--db", str(db_path), str(archive)])
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(db_path)
    mentions = db.execute("SELECT amount_value, amount_currency, amount_usd, amount_status, purposes FROM deal_mentions "
                          "ORDER BY published_at").fetchall()
    assert mentions == [(300e6, "USD", 300e6, "committed", "compute"), (1e9, "USD", 1e9, "committed", "skills")]
    deal_row = db.execute("SELECT amount_value, amount_currency, amount_usd, amount_status, purposes FROM deals").fetchall()
    assert deal_row == [(1e9, "USD", 1e9, "committed", "compute,skills")]


def test_eval_scores_amounts_and_purposes_of_labelled_deals() -> None:
    report = evaluate_file(FIXTURES / "amounts-dev.jsonl").as_dict()
    assert report["amounts"]["labelled_deals"] == report["purposes"]["labelled_deals"] > 30
    # Floors on the development set (written with the rules, so no measure of unseen news): a regression fails.
    assert report["amounts"]["precision"] >= 0.95 and report["amounts"]["recall"] >= 0.85
    assert report["purposes"]["precision"] >= 0.9 and report["purposes"]["recall"] >= 0.8
    assert report["amounts"]["status_correct"] >= 0.9 * (report["amounts"]["status_correct"] +
                                                          report["amounts"]["status_wrong"])


def test_eval_counts_a_wrong_amount_once_each_way() -> None:
    record = {"id": "x", "title": "", "published": "2025-05-01", "labels": {"relevant": True, "deals": [
        {"country": "KE", "partner": "Microsoft", "stage": "agreement", "amount": {"value": 2e9, "currency": "USD",
                                                                               "status": "committed"},
         "purposes": ["compute"]}]},
        "text": "Kenya's ICT ministry signed a $300 million contract with Microsoft to build an AI data centre."}
    report = score_records([record])
    assert (report.amounts.tp, report.amounts.fp, report.amounts.fn) == (0, 1, 1)
    assert (report.purposes.tp, report.purposes.fp, report.purposes.fn) == (1, 0, 0)
    assert report.mistakes and "USD 300,000,000 committed" in report.format()
