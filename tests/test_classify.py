"""The deal classifier: the seed article, stage cues in three languages, traps, and the dev-corpus gate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.classify import CLASSIFIER_VERSION, classify_article, classify_html, load_vocabulary, vocabulary
from pipeline.classify.dates import find_dates, parse_published
from pipeline.classify.matcher import PhraseMatcher
from pipeline.classify.text import split_sentences
from pipeline.models import Classification

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "seeds" / "morocco-openai-mistral.txt"
SEED_EXPECTED = REPO / "seeds" / "morocco-openai-mistral.expected.json"
BASELINE = REPO / "tests" / "baseline.json"


def deals_of(result: Classification) -> set[tuple[str, str, str]]:
    """Return the (country, partner, stage) triples of a classification."""
    return {(d.country, d.partner, d.stage) for d in result.deals}


def tag(text: str, title: str = "", published: str = "2025-06-15") -> set[tuple[str, str, str]]:
    """Return the (country, partner, stage) triples the rules find in one text, whatever their confidence.

    These tests pin the rules (who does what to whom); the confidence threshold is tested apart.
    """
    return deals_of(classify_article(title, text, published, min_confidence=0.0))


# --- the seed article -------------------------------------------------------------------------

def seed_parts() -> tuple[str, str, dict]:
    expected = json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))
    raw = SEED.read_text(encoding="utf-8")
    _, _, body = raw.partition("\n")
    return expected["title"], body, expected


@pytest.mark.parametrize("with_title", [True, False], ids=["title+body", "raw-file"])
def test_seed_article_is_tagged_exactly_as_the_taxonomy_says(with_title: bool) -> None:
    title, body, expected = seed_parts()
    if not with_title:  # the file as a reader would paste it, headline bullets included
        title, body = "", SEED.read_text(encoding="utf-8")
    result = classify_article(title, body, expected["published"], expected["lang"])
    assert result.relevant is True
    assert result.version == CLASSIFIER_VERSION
    assert deals_of(result) == {(d["country"], d["partner"], d["stage"]) for d in expected["deals"]}
    dates = {(d.country, d.partner): d.event_date for d in result.deals}
    assert dates[("MA", "Mistral AI")] == "2025-09-12"
    assert dates[("MA", "OpenAI")] in ("2025-09-25", None)
    assert not {d.country for d in result.deals} & set(expected["not_parties"])
    for deal in result.deals:
        assert deal.known is True
        assert deal.evidence and deal.evidence in " ".join((title + " " + body).split())


def test_seed_evidence_names_the_stage_of_each_pair() -> None:
    title, body, expected = seed_parts()
    evidence = {d.partner: d.evidence for d in classify_article(title, body, expected["published"]).deals}
    assert "discuss" in evidence["OpenAI"].lower()
    assert "memorandum of understanding" in evidence["Mistral AI"].lower()


# --- stage cues, per language (sentences written from docs/tagging.md's wording) ---------------------

CUES = [
    # talks
    ("en", "talks", "Kenya's ICT ministry held talks with Microsoft on an AI skills programme."),
    ("en", "talks", "The Moroccan government is exploring a collaboration with OpenAI on AI research."),
    ("en", "talks", "Chile's science minister met Nvidia executives to discuss a national AI supercomputer."),
    ("en", "talks", "Indonesia is in negotiations with Microsoft over an AI data centre, the ministry said."),
    ("fr", "talks", "Le ministère sénégalais du Numérique a engagé des discussions avec Google sur l'intelligence artificielle."),
    ("fr", "talks", "Le gouvernement ivoirien a reçu une délégation de Huawei pour parler d'intelligence artificielle."),
    ("es", "talks", "El Gobierno de Colombia mantuvo conversaciones con Amazon Web Services sobre inteligencia artificial."),
    ("es", "talks", "El ministro de Ciencia de Chile se reunió con OpenAI para hablar de inteligencia artificial."),
    # mou
    ("en", "mou", "Rwanda's government signed a memorandum of understanding with Anthropic on AI in schools."),
    ("en", "mou", "Greece and OpenAI signed a letter of intent on AI tools for secondary schools."),
    ("en", "mou", "Poland's digital ministry and Google signed a declaration of intent on AI in energy."),
    ("en", "mou", "The French armed forces ministry concluded a framework agreement with Mistral AI for AI models."),
    ("fr", "mou", "Le gouvernement du Canada a signé un protocole d'entente avec Cohere sur l'intelligence artificielle."),
    ("fr", "mou", "Le ministère marocain de la Transition numérique a signé un mémorandum d'entente avec Mistral AI sur l'IA."),
    ("es", "mou", "El Gobierno de Colombia firmó un memorando de entendimiento con Microsoft sobre inteligencia artificial."),
    ("es", "mou", "Argentina y OpenAI firmaron una carta de intención para un centro de datos de inteligencia artificial."),
    # agreement
    ("en", "agreement", "El Salvador's government signed a seven-year contract with Google Cloud to modernise AI services."),
    ("en", "agreement", "The United Arab Emirates and OpenAI have agreed to build a 1-gigawatt AI data centre cluster."),
    ("en", "agreement", "Ottawa committed $240 million to Cohere to build AI compute capacity in Canada."),
    ("en", "agreement", "The Pentagon awarded contracts to Anthropic to develop AI for national security missions."),
    ("fr", "agreement", "Le gouvernement sénégalais a signé un contrat avec Orange pour un cloud d'intelligence artificielle."),
    ("es", "agreement", "El Gobierno de Chile firmó un contrato con Oracle para servicios de inteligencia artificial."),
    # launched
    ("en", "launched", "Estonia's AI Leap programme went live with ChatGPT Edu from OpenAI in 20 schools."),
    ("en", "launched", "The Ministry of Justice has begun rolling out ChatGPT Enterprise to 2,500 staff in Britain."),
    ("en", "launched", "Denmark inaugurated its national AI supercomputer built with Nvidia in Copenhagen."),
    ("fr", "launched", "Le ministère tunisien des Technologies a mis en service avec Huawei un centre d'intelligence artificielle."),
    ("es", "launched", "El Gobierno de México puso en marcha con Google un asistente de inteligencia artificial para trámites."),
    # stalled
    ("en", "stalled", "Talks between Malaysia's government and Huawei on a national AI cloud broke down."),
    ("en", "stalled", "The Dutch government put Microsoft 365 Copilot on hold after an AI privacy review."),
    ("en", "stalled", "The Philippine government scrapped its AI cloud contract with Oracle."),
    ("fr", "stalled", "Le gouvernement gabonais a suspendu son contrat d'intelligence artificielle avec Oracle."),
    ("es", "stalled", "El Gobierno de México canceló el contrato de inteligencia artificial con Oracle."),
]


@pytest.mark.parametrize(("lang", "stage", "sentence"), CUES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CUES)])
def test_stage_cue_gives_its_stage(lang: str, stage: str, sentence: str) -> None:
    result = classify_article("", sentence, "2025-06-15", lang)
    assert result.relevant, sentence
    assert {d.stage for d in result.deals} == {stage}, sentence


def test_furthest_stage_wins_for_one_pair() -> None:
    text = ("Poland's Ministry of Digital Affairs signed a letter of intent with Microsoft in March. "
            "On 2 June the two sides signed a binding contract for an AI cloud region.")
    assert tag(text) == {("PL", "Microsoft", "agreement")}


def test_stalled_overrides_further_stages() -> None:
    text = ("Kenya's government and Microsoft agreed in 2024 to build an AI data centre at Olkaria. "
            "Negotiations between the companies and the Kenyan government have broken down.")
    assert tag(text) == {("KE", "Microsoft", "stalled")}


def test_a_memorandum_called_a_deal_stays_a_memorandum() -> None:
    text = ("The ministry's push follows a deal signed on Sept. 12 between Morocco's government and Mistral AI. "
            "That memorandum of understanding covers AI training.")
    result = classify_article("", text, "2025-09-26")
    assert deals_of(result) == {("MA", "Mistral AI", "mou")}
    assert result.deals[0].event_date == "2025-09-12"


# --- negation and modality ------------------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "Kenya has not signed any agreement with Google on artificial intelligence, the ministry said.",
    "No document was signed between Morocco's ministry and OpenAI on artificial intelligence.",
    "Le Maroc n'a pas signé d'accord avec Anthropic sur l'intelligence artificielle.",
    "Aucun accord n'a été signé entre le gouvernement sénégalais et Google sur l'IA.",
    "El Gobierno de Perú no firmó ningún acuerdo con Microsoft sobre inteligencia artificial.",
    'El ministerio peruano señaló que "no existe convenio, negociación ni reunión alguna" con DeepSeek sobre IA.',
    "Kenya's ministry said there was no contract, memorandum or talks with Google on artificial intelligence.",
    "El Gobierno de Panamá desmiente negociaciones con xAI para un centro de datos de inteligencia artificial.",
    "O Governo de Portugal desmentiu qualquer acordo com a OpenAI sobre inteligência artificial.",
])
def test_negated_cue_reports_no_deal(sentence: str) -> None:
    assert tag(sentence) == set()


@pytest.mark.parametrize(("sentence", "not_stage"), [
    ("Vietnam's government could sign an agreement with Nvidia on an AI data centre next month.", "agreement"),
    ("Officials prepared for talks with OpenAI ahead of a possible deal on AI for Vietnam's ministries.", "agreement"),
    ("Kenya's ministry plans to launch an AI assistant built with Microsoft next year.", "launched"),
    ("Greece will roll out ChatGPT Edu from OpenAI in all schools next year.", "launched"),
    ("Le gouvernement tunisien pourrait signer un accord avec Huawei sur l'intelligence artificielle.", "agreement"),
    ("El Gobierno de Perú podría firmar un acuerdo con Microsoft sobre inteligencia artificial.", "agreement"),
])
def test_possible_or_future_stage_is_not_reported(sentence: str, not_stage: str) -> None:
    assert not_stage not in {stage for _, _, stage in tag(sentence)}


# --- party, not context ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    # the partner's home country describes the partner
    ("Rwanda's ministry signed a memorandum of understanding with French AI company Mistral AI on AI skills.",
     {("RW", "Mistral AI", "mou")}),
    ("Chile's government signed a memorandum with the San Francisco-based firm OpenAI on AI research.",
     {("CL", "OpenAI", "mou")}),
    ("Kenya signed a memorandum of understanding with Abu Dhabi's G42 on an AI data centre.",
     {("KE", "G42", "mou")}),
    # a place where something happened
    ("Chile's science minister met OpenAI executives in San Francisco to discuss AI models.", {("CL", "OpenAI", "talks")}),
    ("Morocco's minister held talks with OpenAI in New York on the sidelines of the UN General Assembly on AI.",
     {("MA", "OpenAI", "talks")}),
    # Portuguese places
    ("O Governo do Piauí assinou nesta terça-feira, em Seattle, nos Estados Unidos, um memorando de entendimento com a Amazon Web "
     "Services para o uso de inteligência artificial.", {("BR", "Amazon Web Services", "mou")}),
    # where a person came from
    ("Le contrat a été paraphé à Abidjan par le ministre ivoirien et par le patron de Core42, venu spécialement des "
     "Émirats, pour un cloud d'intelligence artificielle.", {("CI", "Core42", "agreement")}),
    ("El convenio de IA fue firmado en Lima por la ministra peruana y un directivo de Google llegado desde Chile.",
     {("PE", "Google", "agreement")}),
    # background and comparison
    ("Following Saudi Arabia's deal with Groq, Qatar's government signed an agreement with Scale AI on AI tools.",
     {("QA", "Scale AI", "agreement")}),
    ("Unlike China, Singapore's government has partnered with Anthropic to give civil servants AI tools.",
     {("SG", "Anthropic", "agreement")}),
    ("Greece signed a memorandum with OpenAI on AI. The signing follows similar arrangements OpenAI has made "
     "with Estonia and the United Kingdom.", {("GR", "OpenAI", "mou")}),
])
def test_context_countries_are_not_parties(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize("text", [
    # government to government
    "Japan and the United Kingdom signed a memorandum of cooperation on AI safety research.",
    "France and the United Arab Emirates signed a framework agreement for an AI campus, a pact between two governments.",
    # company to company
    "Spanish bank BBVA signed a strategic agreement with OpenAI to give ChatGPT Enterprise to its staff.",
    "Samsung Electronics and OpenAI signed a letter of intent on memory chips for AI data centres.",
    "G42 and Microsoft signed a deal to expand AI services in Central Asia, the two companies said.",
    # funding rounds, product launches, strategies without a partner
    "Mistral AI raised €1.7 billion in a funding round led by ASML to expand its AI computing capacity.",
    "Mistral AI launched Le Chat Enterprise in France on Tuesday, an AI assistant for companies.",
    "Ghana's government launched its national AI strategy and said it would seek partners.",
    # regulators act, they do not deal
    "Italy's data protection authority ordered DeepSeek to stop processing Italians' data in its AI chatbot.",
    "Brazil's data regulator suspended Meta's use of personal data to train its AI models.",
])
def test_not_a_deal(text: str) -> None:
    assert tag(text) == set()


def test_state_owned_company_acts_for_its_country() -> None:
    text = ("Humain, the AI company owned by Saudi Arabia's Public Investment Fund, signed an agreement with AMD "
            "to build AI data centres.")
    assert tag(text) == {("SA", "AMD", "agreement")}


def test_ministry_without_country_name_takes_the_articles_country() -> None:
    text = ("Egypt's digital strategy puts AI first.\n\n"
            "The ministry signed a memorandum of understanding with Microsoft on Tuesday to train civil servants in AI.")
    assert tag(text, title="Egypt and Microsoft sign AI memorandum") == {("EG", "Microsoft", "mou")}


def test_the_company_refers_back_to_the_partner_named_before() -> None:
    text = ("Brazil's Ministry of Science met executives from Oracle on Tuesday to discuss AI. "
            "The company proposed a sovereign cloud region. The talks will continue in May.")
    assert tag(text) == {("BR", "Oracle", "talks")}


def test_roundup_headings_set_the_country_of_their_paragraph() -> None:
    text = ("Here is our round-up.\n\n"
            "Vietnam. The Ministry of Science and Technology signed a memorandum of understanding with Nvidia on AI.\n\n"
            "Thailand. Siam AI and the government have agreed to build a sovereign AI cloud.")
    assert tag(text, published="2024-12-10") == {("VN", "Nvidia", "mou"), ("TH", "Siam AI", "agreement")}


def test_several_partners_in_one_sentence_each_get_the_deal() -> None:
    text = "The Pentagon awarded contracts worth up to $200 million each to Anthropic, Google and xAI for AI."
    assert tag(text) == {("US", "Anthropic", "agreement"), ("US", "Google", "agreement"), ("US", "xAI", "agreement")}


ARTICLES = [
    ("Vietnam and Nvidia open AI research centre in Hanoi", "2025-07-10",
     "HANOI — Vietnam's Ministry of Science and Technology and Nvidia on Wednesday opened an artificial "
     "intelligence research centre in Hanoi, seven months after the two sides signed an agreement to build it.\n\n"
     "Nvidia chief executive Jensen Huang said Vietnam could become a hub for AI talent in South-East Asia.",
     {("VN", "Nvidia", "launched")}),
    ("Brazil picks Oracle for sovereign cloud, talks with Google continue", "2025-04-02",
     "Brazil's federal government has signed a five-year contract with Oracle to host public-sector AI workloads, "
     "the Ministry of Management said on Tuesday.\n\nThe ministry said it was also in talks with Google about its "
     "Gemini models, but no agreement had been reached. Microsoft also operates a cloud region in São Paulo.",
     {("BR", "Oracle", "agreement"), ("BR", "Google", "talks")}),
    ("Nigeria suspends Huawei AI cloud project", "2025-08-14",
     "Nigeria's government has suspended a planned AI cloud project with Huawei, months after the two sides signed "
     "a memorandum of understanding to build it, the communications ministry said.",
     {("NG", "Huawei", "stalled")}),
    ("Le Bénin et Orange signent un protocole d'accord sur l'IA", "2025-03-12",
     "COTONOU — Le ministère du Numérique et de la Digitalisation du Bénin a signé mardi un protocole d'accord "
     "avec Orange pour développer l'intelligence artificielle dans l'administration.\n\n"
     "L'opérateur français est présent dans plusieurs pays de la région.",
     {("BJ", "Orange", "mou")}),
    ("Kenya's talks with OpenAI on Swahili models stall", "2025-09-30",
     "Talks between Kenya's ICT ministry and OpenAI on Kiswahili models have stalled. Kenya has since signed an "
     "agreement with Microsoft and G42 for an AI data centre at Olkaria, which itself is on hold.",
     {("KE", "OpenAI", "stalled"), ("KE", "Microsoft", "stalled"), ("KE", "G42", "stalled")}),
]


@pytest.mark.parametrize(("title", "published", "text", "expected"), ARTICLES, ids=[a[0][:30] for a in ARTICLES])
def test_short_articles_from_regions_and_partners_the_dev_set_lacks(title: str, published: str, text: str,
                                                                      expected: set) -> None:
    assert tag(text, title=title, published=published) == expected


# --- partners -------------------------------------------------------------------------------------

def test_party_missing_from_the_registry_is_reported_as_unknown() -> None:
    result = classify_article("", "The Swiss start-up Foo AI signed a memorandum of understanding with Rwanda's "
                              "Ministry of ICT and Innovation to build speech models.", "2025-06-01")
    assert [(d.country, d.partner, d.stage, d.known) for d in result.deals] == [("RW", "Foo AI", "mou", False)]


def test_partner_aliases_products_and_typos_resolve_to_the_canonical_name() -> None:
    assert tag("Chile's government signed an AI memorandum with AWS.") == {("CL", "Amazon Web Services", "mou")}
    assert tag("Estonia's schools went live with ChatGPT Edu, the education ministry said.") == {
        ("EE", "OpenAI", "launched")}
    assert tag("Rwanda's ICT ministry signed a memorandum of understanding with Antropic on AI in schools.") == {
        ("RW", "Anthropic", "mou")}


# --- event dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("sentence", "published", "expected"), [
    ("signed on Sept. 12 in Rabat", "2025-09-26", ["2025-09-12"]),
    ("a signé le 12 septembre", "2025-09-26", ["2025-09-12"]),
    ("firmó el 5 de marzo de 2024", "2025-09-26", ["2024-03-05"]),
    ("said on Thursday", "2025-09-26", ["2025-09-25"]),
    ("on Thursday, Sept. 25, the ministry said", "2025-09-26", ["2025-09-25"]),
    ("signed on 28 December", "2026-01-05", ["2025-12-28"]),
    ("signed in May, with money due in 2026", "2025-09-26", []),
])
def test_dates_resolve_against_publication(sentence: str, published: str, expected: list[str]) -> None:
    assert [value for _, value in find_dates(sentence, parse_published(published))] == expected


def test_event_date_comes_from_the_sentence_that_reports_the_stage() -> None:
    result = classify_article("", "Greece signed a memorandum of understanding with OpenAI on Friday, 5 September, "
                              "on AI in schools.", "2025-09-06T08:30:00Z")
    assert [(d.country, d.event_date) for d in result.deals] == [("GR", "2025-09-05")]


# --- plumbing -------------------------------------------------------------------------------------

def test_empty_and_unrelated_text_is_not_relevant() -> None:
    assert classify_article("", "").relevant is False
    weather = classify_article("Rain in Nairobi", "Heavy rain is expected in Nairobi and Mombasa on Tuesday.")
    assert weather == Classification(relevant=False, deals=[], version=CLASSIFIER_VERSION)


def test_sentences_keep_abbreviations_and_bullets() -> None:
    text = "• Morocco, OpenAI discuss AI\nThe U.S. company met Dr. Smith on Sept. 12. It was brief."
    sentences = [text[s.start:s.end] for s in split_sentences(text)]
    assert sentences == ["• Morocco, OpenAI discuss AI", "The U.S. company met Dr. Smith on Sept. 12.", "It was brief."]


def test_phrase_matcher_prefers_the_longest_phrase_and_bridges_hyphens() -> None:
    matcher = PhraseMatcher(["talks", "talks broke down", "non-binding"], ignore_case=True)
    found = [hit.key for hit in matcher.finditer("The TALKS broke  down; a non binding text; more talks.")]
    assert found == ["talks broke down", "non binding", "talks"]


def test_vocabulary_can_come_from_another_directory(tmp_path: Path) -> None:
    (tmp_path / "partners.toml").write_text('[[partner]]\nname = "Quokka Labs"\naliases = ["Quokka"]\n'
                                            'home = "AU"\nkind = "ai_lab"\n', encoding="utf-8")
    (tmp_path / "stages.toml").write_bytes((REPO / "config" / "stages.toml").read_bytes())
    vocab = load_vocabulary(tmp_path)
    assert "Quokka Labs" in vocab.partners and "OpenAI" not in vocab.partners
    result = classify_article("", "Kenya's government signed a memorandum with Quokka on AI.", config_dir=tmp_path)
    assert deals_of(result) == {("KE", "Quokka Labs", "mou")}


def test_a_vocabulary_is_compiled_once_and_again_when_one_of_its_files_changes(tmp_path: Path) -> None:
    partners = tmp_path / "partners.toml"
    partners.write_text('[[partner]]\nname = "Quokka Labs"\nhome = "AU"\nkind = "ai_lab"\n', encoding="utf-8")
    (tmp_path / "stages.toml").write_bytes((REPO / "config" / "stages.toml").read_bytes())
    first = vocabulary(tmp_path)
    assert vocabulary(tmp_path) is first
    partners.write_text('[[partner]]\nname = "Wombat AI"\nhome = "AU"\nkind = "ai_lab"\n', encoding="utf-8")
    os.utime(partners, ns=(partners.stat().st_atime_ns, partners.stat().st_mtime_ns + 1_000_000_000))
    edited = vocabulary(tmp_path)
    assert "Wombat AI" in edited.partners and "Quokka Labs" not in edited.partners
    assert vocabulary(tmp_path) is edited


def test_html_page_is_classified_from_its_main_text() -> None:
    title, body, expected = seed_parts()
    paragraphs = "".join(f"<p>{line}</p>" for line in body.splitlines() if line.strip())
    html = (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}"
            "</article></body></html>")
    result = classify_html(html, expected["published"])
    assert ("MA", "Mistral AI", "mou") in deals_of(result)


# --- the dev-corpus gate --------------------------------------------------------------------------

def test_dev_corpus_scores_stay_above_the_pinned_floors(shared_dir: Path) -> None:
    from pipeline.evaluate import evaluate_file

    corpus = shared_dir / "corpus" / "dev.jsonl"
    if not corpus.is_file():
        pytest.skip("no dev corpus in ../shared")
    report = evaluate_file(corpus)
    scores = {
        "relevance_f1": report.overall.relevance.f1,
        "pair_f1": report.overall.pairs.f1,
        "deal_f1": report.overall.deals.f1,
    }
    by_lang = {lang: s.deals.f1 for lang, s in report.by_lang.items()}
    gap = by_lang.get("en", 1.0) - min(by_lang.get(lang, 1.0) for lang in ("fr", "es"))
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    if os.environ.get("DEALWATCH_UPDATE_BASELINE") == "1":  # the explicit flag that may lower a floor
        baseline["floors"] = {k: round(v - 0.005, 3) for k, v in scores.items()}
        BASELINE.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
        pytest.skip("baseline.json rewritten from the current scores")
    for name, value in scores.items():
        assert value >= baseline["targets"][name], f"{name} {value:.3f} below the target"
        assert value >= baseline["floors"][name], f"{name} {value:.3f} regressed below its floor\n{report.format()}"
    assert gap <= baseline["targets"]["max_fr_gap"], f"French/Spanish deal F1 {gap:.3f} below English"


@pytest.mark.realdata
def test_real_news_items_are_almost_never_tagged(shared_dir: Path) -> None:
    from pipeline.evaluate import relevant_rate

    path = shared_dir / "eval" / "real" / "news-entries.jsonl"
    if not path.is_file():
        pytest.skip("no real news items in ../shared/eval/real")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    flagged, total, ids = relevant_rate(records)
    assert flagged <= 0.01 * total, f"{flagged}/{total} news items tagged relevant: {ids[:10]}"


# --- rules added for articles the dev set lacks (2026.11.2); every sentence is written for the test ---

@pytest.mark.parametrize("sentence", [
    "Zambia's ministry held talks with Microsoft on AI. A memorandum might be signed in the spring.",
    "Jordan's government met Google on AI; an agreement is expected to be signed after the summer.",
    "Le ministère sénégalais a rencontré Mistral AI. Un protocole d'accord pourrait être signé en juin sur l'IA.",
    "El Gobierno de Bolivia dialogó con IBM sobre IA. Un memorando podría firmarse antes de fin de año.",
])
def test_a_document_that_could_be_signed_later_leaves_the_pair_in_talks(sentence: str) -> None:
    stages = {stage for _, _, stage in tag(sentence)}
    assert stages == {"talks"}


def test_a_signed_deal_described_in_the_future_stays_signed() -> None:
    text = "Zambia's ministry signed an agreement with Microsoft on AI. The agreement will be implemented over three years."
    assert tag(text) == {("ZM", "Microsoft", "agreement")}


@pytest.mark.parametrize("text", [
    "Naver, the firm behind South Korea's biggest search engine, signed a partnership agreement with Nvidia on AI chips.",
    "Flipkart, India's largest online marketplace, formed a strategic partnership with Google on AI shopping tools.",
    "Zhipu said its new model rivals leading US systems, and it launched the model on Monday.",
])
def test_a_country_describing_a_company_or_product_is_not_a_party(text: str) -> None:
    assert tag(text) == set()


def test_a_cased_partner_name_is_not_matched_as_a_word_once_its_legal_suffix_is_dropped() -> None:
    text = ("Kenya's ministry signed an agreement with Microsoft on AI tools for clerks.\n\n"
            "The writer is a lawyer who signed the agreement as a witness.")
    assert {partner for _, partner, _ in tag(text)} == {"Microsoft"}


def test_a_negation_of_the_terms_does_not_negate_the_partnership() -> None:
    text = "Ghana's government has not disclosed the details of its partnership with Google on AI language tools."
    assert tag(text) == {("GH", "Google", "agreement")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Petrobel, which is majority-owned by the Egyptian state, signed a memorandum of understanding with Nvidia "
     "on AI for oil fields.", {("EG", "Nvidia", "mou")}),
    ("Statkraft Data, the Norwegian utility in which the state holds a majority stake, signed a letter of intent "
     "with Nscale for an AI data centre.", {("NO", "Nscale", "mou")}),
    ("The deal was signed by state-owned carrier Kenya Airways and OpenAI to build AI customer tools.",
     {("KE", "OpenAI", "agreement")}),
    ("Aramco Digital, the technology subsidiary of state-owned oil company Saudi Aramco, said its AI cluster "
     "built with Groq went live on Monday.", {("SA", "Groq", "launched")}),
])
def test_an_organisation_the_article_shows_to_be_state_owned_acts_for_its_state(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("The government of Ontario signed an agreement with Cohere to bring AI assistants to provincial clerks.",
     {("CA", "Cohere", "agreement")}),
    ("Telangana signed a memorandum of understanding with Microsoft on AI skills for 100,000 students.",
     {("IN", "Microsoft", "mou")}),
    ("La Bavière a signé un accord avec Aleph Alpha pour équiper ses services d'intelligence artificielle.",
     {("DE", "Aleph Alpha", "agreement")}),
    ("Mistral AI opened an office in Bavaria, its second in Germany, to hire AI researchers.", set()),
])
def test_regional_governments_act_for_their_country(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize("sentence", [
    "Uruguay's ministry of education said Claude from Anthropic is now available to all public school teachers.",
    "The Jamaican government's AI tax assistant, built with IBM, went into service on Monday.",
    "Kenyan civil servants now have access to Microsoft Copilot under the ministry's new AI programme.",
    "Le ministère béninois a commencé à déployer l'assistant d'IA de Mistral AI dans ses services.",
    "Le gouvernement gabonais a généralisé l'outil d'IA de Google dans ses administrations.",
    "El Ministerio de Educación de Paraguay ya utiliza la IA de Microsoft en sus escuelas públicas.",
    "El centro de datos de IA del Gobierno de Panamá y Oracle entró en servicio el lunes.",
])
def test_launched_cues_in_three_languages(sentence: str) -> None:
    assert {stage for _, _, stage in tag(sentence)} == {"launched"}


def test_a_company_releasing_its_own_model_does_not_launch_the_states_deal() -> None:
    text = ("Italy's government blocked DeepSeek from public devices over security concerns.\n\n"
            "The Hangzhou-based company released a new AI model last month.")
    assert tag(text) == set()


def test_an_unregistered_start_up_described_after_its_noun_is_an_unknown_partner() -> None:
    result = classify_article("", "El Ministerio de Salud de Bolivia firmó un convenio con la start-up paceña "
                              "Illimani Datos para usar inteligencia artificial en hospitales.", "2025-06-01")
    assert [(d.country, d.partner, d.stage, d.known) for d in result.deals] == [
        ("BO", "Illimani Datos", "agreement", False)]


def test_a_suspended_project_presupposes_the_deal() -> None:
    text = ("Algérie et Huawei.\n\nLe projet de centre de données d'IA annoncé avec Huawei a été suspendu "
            "par le ministère algérien du Numérique.")
    assert tag(text) == {("DZ", "Huawei", "stalled")}


def test_a_state_launch_goes_to_the_countrys_only_partner() -> None:
    text = ("Norway inaugurates its national AI supercomputer.\n\n"
            "The Norwegian government signed an agreement with Nvidia last year to build the machine. "
            "On Monday the prime minister inaugurated the supercomputer in Trondheim.")
    assert tag(text) == {("NO", "Nvidia", "launched")}


def test_spanish_research_is_not_an_investigation() -> None:
    text = "El Ministerio de Ciencia de Chile firmó un contrato con Nvidia para ampliar la investigación en IA."
    assert tag(text) == {("CL", "Nvidia", "agreement")}


# --- rules added after a second blind set (2026.11.3); every sentence is written for the test ---

@pytest.mark.parametrize(("title", "expected"), [
    ("Africa AI wrap: Ghana's ministry signs with Microsoft, Zambia meets Google, Kenya's pilot goes live",
     {("GH", "Microsoft", "agreement"), ("ZM", "Google", "talks")}),
    ("Peru signs with IBM, Ecuador meets Oracle on AI cloud", {("PE", "IBM", "agreement"), ("EC", "Oracle", "talks")}),
])
def test_a_comma_splice_headline_keeps_each_event_with_its_own_parties(title: str, expected: set) -> None:
    assert tag("", title=title) == expected


def test_a_list_of_countries_after_a_comma_is_not_split() -> None:
    text = "OpenAI held talks on AI with Estonia, Latvia and Lithuania in Tallinn."
    assert tag(text) == {("EE", "OpenAI", "talks"), ("LV", "OpenAI", "talks"), ("LT", "OpenAI", "talks")}


def test_a_second_partner_after_a_comma_gets_only_its_own_stage() -> None:
    text = ("Le gouvernement tunisien a signé un protocole d'accord avec Cohere, les négociations se poursuivent "
            "avec Oracle sur l'hébergement des modèles d'IA.")
    assert tag(text) == {("TN", "Cohere", "mou"), ("TN", "Oracle", "talks")}


@pytest.mark.parametrize("text", [
    "Malaysia's ministry held talks with Oracle on AI; a memorandum with Oracle \"could be signed in June\".",
    "Le ministère marocain a rencontré Oracle sur l'IA et un protocole d'accord « pourrait être signé » cet été.",
])
def test_a_quoted_could_be_signed_leaves_the_pair_in_talks(text: str) -> None:
    assert {stage for _, _, stage in tag(text)} == {"talks"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Uzbekistan's ministry signed an agreement with Nscale, which will install 4,000 Nvidia GPUs in Tashkent "
     "for AI research.", {("UZ", "Nscale", "agreement")}),
    ("Peru's government signed an AI cloud agreement with Oracle; Nvidia will supply the chips.",
     {("PE", "Oracle", "agreement")}),
    ("Le gouvernement sénégalais a signé un accord avec Cassava pour un centre d'IA équipé de puces Nvidia.",
     {("SN", "Cassava Technologies", "agreement")}),
    ("Chile's government signed an agreement with Nvidia to buy 5,000 Nvidia GPUs for AI research.",
     {("CL", "Nvidia", "agreement")}),
])
def test_a_chipmaker_supplying_another_partner_is_not_a_party(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_named_state_body_after_a_possessive_is_the_state() -> None:
    text = ("Kenya's Information and Communications Technology Authority signed a memorandum of "
            "understanding with Google on AI tools for clerks.")
    assert tag(text) == {("KE", "Google", "mou")}


def test_a_country_named_only_as_context_does_not_become_the_articles_state() -> None:
    text = ("Le ministère a signé un accord avec Mistral AI pour ses services d'IA. Le choix d'un acteur "
            "européen n'a rien d'un hasard, selon le cabinet, qui veut des serveurs en Europe.")
    assert tag(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("Le gouvernement flamand a signé un protocole d'accord avec Mistral AI sur l'IA.", {("BE", "Mistral AI", "mou")}),
    ("The Scottish Government signed an agreement with Anthropic on AI tools for civil servants.",
     {("GB", "Anthropic", "agreement")}),
    ("Wales signed a memorandum of understanding with Nvidia on AI skills.", {("GB", "Nvidia", "mou")}),
])
def test_belgian_regions_and_british_nations_act_for_their_state(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_date_between_signed_and_the_agreement_keeps_the_cue() -> None:
    text = ("El Ministerio de Salud de Paraguay e IBM firmaron el martes 3 de junio un convenio para usar "
            "inteligencia artificial en hospitales.")
    assert tag(text) == {("PY", "IBM", "agreement")}


def test_an_unregistered_start_up_signing_with_the_ministry_is_found_through_the_articles_country() -> None:
    result = classify_article(
        "Uruguay apuesta por la IA en las aulas",
        "MONTEVIDEO.– El gobierno uruguayo anunció un plan de IA educativa.\n\n"
        "El Ministerio de Educación firmó un convenio con la startup Yaguarón Datos para un tutor de "
        "inteligencia artificial.", "2025-06-01")
    assert [(d.country, d.partner, d.stage, d.known) for d in result.deals] == [
        ("UY", "Yaguarón Datos", "agreement", False)]


@pytest.mark.parametrize("sentence", [
    "Latvia's education ministry put AI tutors from Google in the hands of 10,000 pupils this autumn.",
    "Every civil servant in Lithuania's government got access to Microsoft Copilot in March.",
])
def test_access_and_hand_over_phrases_are_launched(sentence: str) -> None:
    assert {stage for _, _, stage in tag(sentence)} == {"launched"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Mexico's government signed an AI agreement with Nvidia, whose partners Foxconn and Dell will assemble the "
     "servers.", {("MX", "Nvidia", "agreement")}),
    ("Microsoft, which opened its first African data centre in South Africa in 2019, signed a deal with "
     "Nigeria's government on AI.", {("NG", "Microsoft", "agreement")}),
    ("The Thai government signed an agreement with Siam AI, a partner of Nvidia, to build a sovereign AI cloud.",
     {("TH", "Siam AI", "agreement")}),
])
def test_a_partner_described_in_passing_is_not_a_party(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize("text", [
    "Tunisia's ministry met Microsoft to discuss the rollout of Copilot to civil servants.",
    "Le ministère togolais a rencontré Google pour discuter du déploiement de Gemini dans les écoles.",
    "Kazakhstan's ministry held talks with OpenAI on ChatGPT Edu, a week after Estonia rolled out the tool.",
])
def test_a_launch_that_is_only_discussed_stays_talks(text: str) -> None:
    assert {stage for _, _, stage in tag(text)} == {"talks"}
    assert {country for country, _, _ in tag(text)} <= {"TN", "TG", "KZ"}


def test_a_gapped_second_pair_does_not_cross_with_the_first() -> None:
    text = "Nigeria signed an AI agreement with OpenAI, Ghana with Anthropic."
    assert ("NG", "Anthropic", "agreement") not in tag(text) and ("GH", "OpenAI", "agreement") not in tag(text)
    assert ("NG", "OpenAI", "agreement") in tag(text)


def test_the_two_sides_point_to_the_pair_named_earlier_in_the_same_sentence() -> None:
    text = ("Egypt's ministry held talks with Cohere on AI in May.\n\n"
            "The AI data centre that Oracle agreed with Jordan's government remains on hold, after the two "
            "sides failed to agree on prices.")
    assert ("EG", "Cohere", "stalled") not in tag(text)
    assert ("JO", "Oracle", "stalled") in tag(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("The Bavarian state government signed an AI agreement with Aleph Alpha.", {("DE", "Aleph Alpha", "agreement")}),
    ("El gobierno catalán firmó un convenio con Microsoft para usar IA en sus hospitales.",
     {("ES", "Microsoft", "agreement")}),
])
def test_regional_demonyms_act_for_their_state(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Kenya's government and Microsoft launched an AI skills programme, and Nvidia said it would donate GPUs.",
     {("KE", "Microsoft", "launched")}),
    ("Morocco's ministry signed a memorandum with Mistral AI on AI, Oracle said in a statement.",
     {("MA", "Mistral AI", "mou")}),
])
def test_a_partner_speaking_in_another_clause_does_not_join_the_deal(text: str, expected: set) -> None:
    assert tag(text) == expected


# --- rules added in 2026.11.4 after the third held-out set; every sentence is written for the test ---

@pytest.mark.parametrize("text", [
    "Banorte, the largest bank of Mexico, signed an agreement with OpenAI to give ChatGPT Enterprise to its staff.",
    "Itaú, el mayor banco de Brasil, firmó un acuerdo con Anthropic para dar acceso a Claude a sus empleados.",
])
def test_a_bank_described_by_its_country_makes_a_company_deal(text: str) -> None:
    assert tag(text) == set()


def test_a_central_bank_named_after_its_country_stays_the_state() -> None:
    assert tag("The Bank of Zambia signed an AI agreement with Microsoft.") == {("ZM", "Microsoft", "agreement")}


def test_a_country_listed_after_a_place_is_a_place() -> None:
    text = ("Google signed an agreement with Egypt's government to build AI data centres across the region "
            "and the United Arab Emirates.")
    assert tag(text) == {("EG", "Google", "agreement")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Kenya's ministry signed a memorandum with Cohere on AI.\n\nCohere, founded by former researchers from "
     "Google and Microsoft, has been courting public-sector customers.", {("KE", "Cohere", "mou")}),
    ("Chile's government rolled out Anthropic's Claude to civil servants.\n\nThe state fund holds stakes in "
     "hundreds of companies, including Microsoft and Nvidia, and said the rollout changes nothing.",
     {("CL", "Anthropic", "launched")}),
])
def test_former_employers_and_portfolio_holdings_are_not_parties(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_talks_in_a_denied_report_are_no_talks() -> None:
    text = ("Peru's ministry is in talks with Google about an AI cloud region.\n\nA spokesman said there had been "
            "no contact with Oracle, denying reports that Lima was negotiating with the database company.")
    assert tag(text) == {("PE", "Google", "talks")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Ghana's ministry signed an agreement with Microsoft on AI for civil servants.\n\nThe rollout will begin "
     "in March.", {("GH", "Microsoft", "agreement")}),
    ("Le gouvernement malien a signé un contrat avec Mistral AI pour un assistant d'IA.\n\nLe déploiement "
     "débutera en janvier dans deux ministères.", {("ML", "Mistral AI", "agreement")}),
])
def test_a_rollout_still_to_begin_is_not_launched(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_ministry_named_without_its_country_belongs_to_the_state_the_sentence_names() -> None:
    text = ("Les négociations entre le gouvernement gabonais et Oracle sur un centre de données IA ont été "
            "suspendues, a indiqué le ministère de l'Économie.")
    assert tag(text) == {("GA", "Oracle", "stalled")}


def test_suspending_a_pilot_presupposes_the_pilot() -> None:
    text = ("El Ministerio de Salud de Honduras suspendió el piloto de Gemini, el asistente de Google, "
            "tras varios errores.")
    assert tag(text) == {("HN", "Google", "stalled")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Jamaica's ministry launched a virtual assistant on the government portal last week.\n\nThe agency built it "
     "with Microsoft, using models on Azure.", {("JM", "Microsoft", "launched")}),
    ("Le ministère togolais a mis en service un assistant conversationnel.\n\nL'outil, bâti sur les services "
     "d'IA de Google, répond en éwé.", {("TG", "Google", "launched")}),
])
def test_a_state_launch_goes_to_the_partner_it_is_built_on(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_start_up_building_a_voice_assistant_is_an_unknown_partner() -> None:
    text = ("Fiji's Ministry of Communications held talks on Monday with Vatu Voice, a small start-up based in Suva, "
            "about a Fijian-language voice assistant.")
    assert tag(text, title="Fiji holds talks with start-up on Fijian voice assistant") == {
        ("FJ", "Vatu Voice", "talks")}


def test_a_reference_back_does_not_cross_a_roundup_heading() -> None:
    title = "Resumen semanal: Perú conversa con Anthropic, Bogotá estrena nube"
    text = ("Perú.\nEl Ministerio de Economía mantiene conversaciones con Anthropic para probar su asistente Claude."
            "\n\nColombia.\nLa Gobernación de Cundinamarca puso en marcha esta semana su plataforma de datos en la "
            "nube de Google Cloud, con modelos de IA.\n\nEl contrato se había firmado en mayo.")
    assert tag(text, title=title) == {("PE", "Anthropic", "talks"), ("CO", "Google", "launched")}


# --- rules added in 2026.11.5 after the fourth held-out set; every sentence is written for the test ---

def test_a_comma_between_two_partner_names_is_a_list_not_two_events() -> None:
    text = ("Chile's Ministry of Science signed contracts with Mistral AI after the agency awarded Cohere, "
            "Anthropic and IBM contracts for AI translation.")
    assert tag(text) == {("CL", p, "agreement") for p in ("Mistral AI", "Cohere", "Anthropic", "IBM")}


@pytest.mark.parametrize("text", [
    "Uruguay's Ministry of Health activated an AI triage assistant built with Microsoft on Monday.",
    "El Ministerio de Salud de Uruguay activó el lunes un asistente de IA desarrollado con Microsoft.",
])
def test_activating_a_service_is_a_launch(text: str) -> None:
    assert tag(text) == {("UY", "Microsoft", "launched")}


@pytest.mark.parametrize("text", [
    "MADRID — Mistral AI inauguró el martes sus nuevas oficinas en Madrid, en presencia del ministro español de "
    "Transformación Digital.",
    "ROME — Cohere inaugurated on Thursday its new offices in Rome in the presence of Italy's minister for digital "
    "affairs.",
])
def test_a_partner_opening_its_own_office_on_a_weekday_is_no_launch(text: str) -> None:
    assert tag(text) == set()


@pytest.mark.parametrize("second", [
    "Ghana launched its own speech model last year.",
    "Ghana launched a speech model last year with local start-ups.",
])
def test_a_state_launching_its_own_model_or_one_with_local_firms_is_not_the_partners_launch(second: str) -> None:
    text = "Ghana's ministry held talks with Microsoft on AI on Tuesday. " + second
    assert tag(text) == {("GH", "Microsoft", "talks")}


@pytest.mark.parametrize(("text", "expected"), [
    ("El ministro de Economía de Honduras se reunió esta semana en Seattle con directivos de Microsoft para hablar "
     "de inteligencia artificial, durante una gira por empresas tecnológicas de Estados Unidos.",
     {("HN", "Microsoft", "talks")}),
    ("Le ministre béninois du Numérique a rencontré Google à San Francisco pour parler d'IA, lors d'une tournée "
     "des entreprises technologiques des États-Unis.", {("BJ", "Google", "talks")}),
])
def test_a_country_naming_where_companies_come_from_is_not_a_party(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_package_a_memorandum_is_about_stays_a_memorandum() -> None:
    text = ("Rwanda's ICT ministry signed a memorandum of understanding with Nvidia for a $300 million "
            "investment package.")
    assert tag(text) == {("RW", "Nvidia", "mou")}


def test_agreeing_to_buy_a_company_is_not_a_deal_with_the_state() -> None:
    text = ("Peru's Ministry of Production held talks with Google on AI training on Tuesday. Google has an "
            "office in Lima and it agreed last year to acquire a small Peruvian analytics start-up.")
    assert tag(text) == {("PE", "Google", "talks")}


def test_the_company_after_a_state_owned_company_is_the_state() -> None:
    text = ("Humain, the AI company owned by Saudi Arabia's Public Investment Fund, signed a deal with Nvidia. "
            "Humain is chaired by the crown prince. The company also signed a partnership with Qualcomm.")
    assert tag(text) == {("SA", "Nvidia", "agreement"), ("SA", "Qualcomm", "agreement")}


def test_office_software_in_the_cloud_is_not_an_ai_deal() -> None:
    text = ("Kenya's state-owned power utility signed a contract with Oracle to move its payroll to Oracle's "
            "cloud applications, the utility said.")
    assert tag(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("La Junta de Extremadura y Google firmaron un acuerdo para formar en IA a 5.000 funcionarios.",
     {("ES", "Google", "agreement")}),
    ("The Sindh government signed a contract with Microsoft for AI tutoring in public schools.",
     {("PK", "Microsoft", "agreement")}),
    ("The University of California began rolling out Gemini for Education to its students on Monday.",
     {("US", "Google", "launched")}),
])
def test_regional_governments_and_public_university_systems_act_for_their_country(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_launched_programme_goes_to_the_partners_whose_accounts_it_gives() -> None:
    text = ("Latvia's education ministry said its AI tutoring scheme began operating in schools on Monday.\n\n"
            "The scheme gives teachers accounts on OpenAI's ChatGPT Edu and Google's Gemini.")
    assert tag(text) == {("LV", "OpenAI", "launched"), ("LV", "Google", "launched")}


# --- 2026.12.2: reported undertakings, state money, currencies, denials, premises, cut-offs ----------

@pytest.mark.parametrize(("text", "expected"), [
    ("Colombia's ICT ministry signed agreements with three technology companies on Wednesday. Microsoft will train "
     "40,000 teachers, Google will provide cloud credits and Amazon Web Services will pay for 5,000 scholarships.",
     {("CO", "Microsoft", "agreement"), ("CO", "Google", "agreement"), ("CO", "Amazon Web Services", "agreement")}),
    ("El Ministerio de Ciencia de Chile firmó un convenio marco de IA con dos empresas. Microsoft se comprometió a formar "
     "a 10.000 docentes y Google aportará cursos a los funcionarios.",
     {("CL", "Microsoft", "mou"), ("CL", "Google", "mou")}),
])
def test_a_company_undertaking_inside_a_signing_report_is_a_partner_of_it(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("On Monday Ghana's Ministry of Communications signed deals with three technology companies. Google signed a "
     "contract to train civil servants in AI tools. Amazon Web Services put its name to a letter of intent on a cloud "
     "region. Nvidia signed a memorandum of understanding on an AI laboratory.",
     {("GH", "Google", "agreement"), ("GH", "Amazon Web Services", "mou"), ("GH", "Nvidia", "mou")}),
    ("Le ministère sénégalais du Numérique a signé trois accords sur l'intelligence artificielle. Orange a signé un "
     "contrat pour héberger les données. Mistral AI a paraphé un protocole d'accord sur un modèle en wolof.",
     {("SN", "Orange", "agreement"), ("SN", "Mistral AI", "mou")}),
])
def test_a_counted_summary_is_followed_by_one_sentence_per_company(text: str, expected: set) -> None:
    # Each company's sentence has its own cue and stage; the state is the one the summary named.
    assert tag(text) == expected


def test_an_undertaking_without_a_signing_is_no_deal() -> None:
    assert tag("Kenya wants more AI investment. Microsoft will build a data centre in the region, it said.") == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("Québec accorde 15 millions de dollars à Coveo pour son virage vers l'intelligence artificielle.",
     {("CA", "Coveo", "agreement")}),
    ("El Gobierno de España invierte 67 millones de euros en Multiverse Computing para su IA.",
     {("ES", "Multiverse Computing", "agreement")}),
    ("The Canadian government backs Cohere's Montreal lab with C$40 million for its AI models.",
     {("CA", "Cohere", "agreement")}),
])
def test_state_money_for_an_ai_company_is_an_agreement(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_currency_prefix_is_not_a_country() -> None:
    assert tag("Uzbekistan and DataVolt signed a US$5 billion agreement for an AI data centre.") == {
        ("UZ", "DataVolt", "agreement")}


@pytest.mark.parametrize("text", [
    "La Presidencia del Consejo de Ministros de Perú desmintió este miércoles que el Gobierno haya mantenido "
    "conversaciones con DeepSeek sobre inteligencia artificial.",
    "La agencia digital de México desmintió una información según la cual estaría negociando con xAI un centro "
    "de datos de inteligencia artificial.",
])
def test_a_denied_report_is_no_deal(text: str) -> None:
    assert tag(text) == set()


def test_a_partner_opening_an_office_named_after_a_country_is_no_launch() -> None:
    assert tag("OpenAI opens Singapore office as its Asia-Pacific hub for AI.") == set()


def test_a_state_owned_company_described_in_spanish_acts_for_its_state() -> None:
    text = ("Telkom Indonesia, la operadora controlada por el Estado indonesio, firmó un acuerdo con Nvidia para "
            "construir un centro de datos de inteligencia artificial en Batam, cerca de Singapur.")
    assert tag(text) == {("ID", "Nvidia", "agreement")}


def test_a_partner_cutting_off_a_service_in_use_stalls_the_deal() -> None:
    text = "Microsoft cut off cloud and AI services it had provided to Israel's defence ministry under a contract."
    assert ("IL", "Microsoft", "stalled") in tag(text)


def test_a_pilot_that_started_is_launched() -> None:
    assert tag("São Paulo state starts a Gemini pilot with 2,000 teachers, the state government said.") == {
        ("BR", "Google", "launched")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Japan's economy ministry approved a subsidy of about ¥50 billion for Sakura Internet to expand its GPU cloud.",
     {("JP", "Sakura Internet", "agreement")}),
    ("El Ministerio de Tecnologías de Paraguay seleccionó a Oracle como proveedor de su nube gubernamental con IA.",
     {("PY", "Oracle", "agreement")}),
    ("The Qatar Investment Authority took part in Anthropic's latest funding round, the fund said.",
     {("QA", "Anthropic", "agreement")}),
    ("Microsoft said it had stopped providing Azure AI services to a unit of Israel's Ministry of Defense.",
     {("IL", "Microsoft", "stalled")}),
    ("Oklahoma's Office of Management and Enterprise Services has begun a pilot of OpenAI's ChatGPT Enterprise.",
     {("US", "OpenAI", "launched")}),
])
def test_subsidies_selections_stakes_cut_offs_and_pilots_in_other_words(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("La Empresa Común EuroHPC, el organismo de la UE que gestiona los superordenadores del bloque, firmó un "
     "contrato con HPE para un sistema de IA.", {("EU", "HPE", "agreement")}),
    ('"We want AI in Wolof," the minister said in a statement released by the ministry after Senegal signed a '
     "memorandum of understanding with Mistral AI.", {("SN", "Mistral AI", "mou")}),
])
def test_a_bloc_is_no_block_and_a_released_statement_is_no_launch(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_joint_venture_of_two_companies_in_a_region_of_a_country_is_no_state_deal() -> None:
    text = ("Brookfield et la société britannique Nscale ont annoncé la création d'une coentreprise pour construire "
            "un campus de centres de données pour l'intelligence artificielle dans l'ouest de la Norvège.")
    assert tag(text) == set()


def test_another_states_deal_cited_as_precedent_is_not_tagged() -> None:
    text = ("Pakistan's IT ministry signed a memorandum of understanding with Humain on AI compute. The arrangement "
            "resembles one that Abu Dhabi-based G42 agreed with Kenya last year.")
    assert tag(text) == {("PK", "Humain", "mou")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Humain signed an agreement with Nvidia for 18,000 AI chips.", {("SA", "Nvidia", "agreement")}),
    ("Pakistan signed a memorandum of understanding with Humain on AI compute.", {("PK", "Humain", "mou")}),
    ("Humain launched its Arabic chatbot HUMAIN Chat for Saudi users.", set()),
])
def test_a_state_owned_company_is_its_states_side_and_a_partner_of_other_states(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_cloud_region_named_after_a_province_is_no_launch_of_the_state() -> None:
    assert tag("Mexico and AWS discuss AI training push as Querétaro region opens") == {
        ("MX", "Amazon Web Services", "talks")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Kazakhstan's AI supercomputer built with Nvidia is on hold as U.S. export licences stall, the ministry said.",
     {("KZ", "Nvidia", "stalled")}),
    ("El Gobierno de Panamá niega negociaciones con Huawei para un centro de datos de inteligencia artificial.", set()),
    ("Greece signed a memorandum of understanding with OpenAI to join the US company's programme for countries.",
     {("GR", "OpenAI", "mou")}),
    ("Le gouvernement du Québec confie à Cohere le déploiement de l'IA générative dans ses ministères.",
     {("CA", "Cohere", "agreement")}),
    ("La AGESIC de Uruguay elige a Globant para desarrollar el asistente de inteligencia artificial del Estado.",
     {("UY", "Globant", "agreement")}),
    ("Québec accorde 12 M$ CA à Coveo pour son intelligence artificielle générative.", {("CA", "Coveo", "agreement")}),
])
def test_blocking_states_denials_nationalities_entrusted_rollouts_and_amount_forms(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Le Gabon signe un protocole d'accord avec Huawei et discute avec Cassava Technologies de centres de données "
     "pour l'IA.", {("GA", "Huawei", "mou"), ("GA", "Cassava Technologies", "talks")}),
    ("Le ministère ivoirien a signé un contrat d'IA avec Core42, filiale du groupe émirien G42, et avec Orange.",
     {("CI", "Core42", "agreement"), ("CI", "Orange", "agreement")}),
    ("Humain's chips come from an arrangement with Nvidia agreed during a US presidential visit to the kingdom.",
     {("SA", "Nvidia", "agreement")}),
    ("Kazakhstan's ministry put the AI supercomputer built with Nvidia on hold, saying it needs an export licence "
     "from the US Commerce Department.", {("KZ", "Nvidia", "stalled")}),
])
def test_each_cue_keeps_its_own_partners_and_owners_companies_and_blockers_are_not_states(text: str,
                                                                                        expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize("text", [
    "Kazakhstan's AI supercomputer with Nvidia hardware is on hold because the United States has not yet issued the "
    "export licence the chips require.",
    "Kazajistán congela su supercomputadora de IA con Nvidia a la espera de una licencia de EE. UU.",
    "Au Kazakhstan, le supercalculateur d'IA commandé à Nvidia est bloqué par Washington.",
])
def test_the_state_whose_licence_holds_a_deal_up_is_not_tagged(text: str) -> None:
    assert {c for c, _, _ in tag(text)} <= {"KZ"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Resumen semanal: Uruguay conversa con Anthropic, Antioquia estrena nube de AWS y Paraguay suspende el "
     "piloto de Grok",
     {("UY", "Anthropic", "talks"), ("CO", "Amazon Web Services", "launched"), ("PY", "xAI", "stalled")}),
    ("Kenya signed a memorandum of understanding with OpenAI and Nigeria an AI agreement with Anthropic.",
     {("KE", "OpenAI", "mou"), ("NG", "Anthropic", "agreement")}),
])
def test_a_headline_of_several_events_gives_each_state_its_own(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("sentence", "day"), [
    ("Le ministère jordanien a paraphé mardi un protocole d'accord avec Cohere sur l'IA.", "2025-01-21"),
    ("Jordan's government signed Tuesday a memorandum of understanding with Cohere on Arabic AI.", "2025-01-21"),
    ("El Gobierno de Jordania firmó este martes un memorando de entendimiento con Cohere sobre IA.", "2025-01-21"),
])
def test_a_bare_weekday_dates_the_event_in_the_week_of_publication(sentence: str, day: str) -> None:
    deals = classify_article("", sentence, "2025-01-22", min_confidence=0.0).deals
    assert [d.event_date for d in deals] == [day]


def test_a_future_weekday_dates_nothing() -> None:
    text = "Jordan's government signed an AI memorandum of understanding with Cohere; talks resume next Tuesday."
    deals = classify_article("", text, "2025-01-22", min_confidence=0.0).deals
    assert [d.event_date for d in deals] == [None]


@pytest.mark.parametrize(("text", "expected"), [
    ("Le Luxembourg a signé un protocole d'accord avec Mistral AI. Le texte prévoit d'étudier le déploiement "
     "d'outils d'IA dans l'administration.", {("LU", "Mistral AI", "mou")}),
    ("Le Luxembourg a signé un protocole d'accord avec Mistral AI pour développer les modèles de la start-up "
     "française dans l'administration.", {("LU", "Mistral AI", "mou")}),
])
def test_elided_modal_phrases_and_a_companys_nationality(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_country_abbreviation_with_full_stops_in_a_short_heading_is_read() -> None:
    # "EE. UU." runs past the full stop the sentence splitter sees; this used to raise IndexError.
    result = classify_article("Las licencias de EE. UU.", "Kenia firmó un acuerdo con Microsoft sobre IA.",
                              "2026-01-10")
    assert deals_of(result) == {("KE", "Microsoft", "agreement")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Le ministère ouzbek a signé en décembre avec le fabricant américain Supermicro un contrat pour un "
     "supercalculateur d'intelligence artificielle.", {("UZ", "Supermicro", "agreement")}),
    ("El Ministerio de Economía de Guatemala firmó con Oracle un contrato para un asistente de IA.",
     {("GT", "Oracle", "agreement")}),
])
def test_a_with_phrase_between_the_verb_and_its_object_keeps_the_signing(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_stall_that_names_only_the_state_stalls_its_one_deal() -> None:
    text = ("Uzbekistan's AI supercomputer is blocked while it waits for a US export licence. "
            "The ministry signed a contract with Supermicro in December for the machine's servers.")
    assert tag(text) == {("UZ", "Supermicro", "stalled")}


def test_a_stall_that_names_only_the_state_leaves_its_several_deals_alone() -> None:
    text = ("Kazakhstan's supercomputer order is stuck while it waits for a US export licence. "
            "The ministry signed a contract with Supermicro for the servers. "
            "Separately, officials held talks with Nvidia on a training programme for AI developers.")
    assert ("KZ", "Nvidia", "talks") in tag(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Le Gabon a signé un accord-cadre à bons de commande avec Microsoft pour des licences de son assistant d'IA.",
     {("GA", "Microsoft", "agreement")}),
    ("El Gobierno de Paraguay firmó un acuerdo marco de cooperación con Microsoft sobre inteligencia artificial.",
     {("PY", "Microsoft", "mou")}),
    ("Belgium's federal government awarded a framework contract for purchase orders of AI assistants to Mistral AI.",
     {("BE", "Mistral AI", "agreement")}),
    ("Le gouvernement belge notifie un accord-cadre d'IA générative à Mistral AI.", {("BE", "Mistral AI", "agreement")}),
])
def test_a_framework_is_an_agreement_only_when_the_state_orders_under_it(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_companys_nationality_does_not_make_a_shared_ministry_name_that_countrys() -> None:
    text = ("Le Gabon numérise son administration. Le ministère de l'Économie numérique a signé un contrat avec "
            "Microsoft pour des licences d'IA. Le ministère a aussi signé une déclaration d'intention avec l'entreprise "
            "française Mistral AI.")
    assert tag(text) == {("GA", "Microsoft", "agreement"), ("GA", "Mistral AI", "mou")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Kuwait y Microsoft pactan una región de nube para inteligencia artificial.", {("KW", "Microsoft", "agreement")}),
    ("Panamá firma un memorando con Huawei Cloud sobre IA y niega contactos con DeepSeek.",
     {("PA", "Huawei Cloud", "mou")}),
    ("Panamá firmó un contrato de IA con Amazon Web Services. El esquema guarda similitudes con el que AWS pactó "
     "con el Ministerio de Ciencia de Chile.", {("PA", "Amazon Web Services", "agreement")}),
])
def test_spanish_agreement_verbs_denied_contacts_and_compared_deals(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_headline_that_names_no_state_is_about_the_state_acting_in_the_body() -> None:
    result = classify_article("Le fédéral attribue son accord-cadre d'IA à Mistral AI et Capgemini",
                              "Le gouvernement belge a publié jeudi le résultat de son appel d'offres pour "
                              "l'intelligence artificielle. Les administrations pourront commander des licences.",
                              "2025-11-20")
    assert deals_of(result) == {("BE", "Mistral AI", "agreement"), ("BE", "Capgemini", "agreement")}


@pytest.mark.parametrize("title", [
    "Nscale wins Microsoft capacity contract for Narvik AI campus",
    "OpenAI y Sur Energy firman una carta de intención para un centro de datos de IA",
])
def test_a_headline_between_two_companies_is_not_given_the_articles_state(title: str) -> None:
    result = classify_article(title, "The Norwegian government welcomed the news, the ministry said. Separately, "
                                     "Norway signed a memorandum with Google on AI skills.", "2025-11-20")
    assert deals_of(result) == {("NO", "Google", "mou")}


@pytest.mark.parametrize(("text", "expected"), [
    ("El gobierno de Chile firmó un protocolo de intenciones con Amazon Web Services sobre inteligencia artificial.",
     {("CL", "Amazon Web Services", "mou")}),
    ("La Xunta de Galicia firma con IBM un protocolo para investigar con IA en la sanidad pública.",
     {("ES", "IBM", "mou")}),
    ("Le Sénégal a signé un protocole d'accord avec Google sur l'IA. À titre de comparaison, le Maroc avait signé "
     "un protocole comparable avec la même entreprise.", {("SN", "Google", "mou")}),
])
def test_a_protocol_is_a_memorandum_and_a_comparable_one_is_a_precedent(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_the_memorandum_points_back_to_the_pair_that_signed_a_memorandum() -> None:
    text = ("Le gouvernement de l'État de Sarawak a signé un protocole d'accord avec Nvidia sur l'intelligence "
            "artificielle, ainsi qu'un contrat avec le groupe YTL Power pour héberger des serveurs. Le protocole "
            "conclu avec le concepteur américain de puces prévoit des formations.")
    assert tag(text) == {("MY", "Nvidia", "mou"), ("MY", "YTL Power", "agreement")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Ottawa signe une entente avec Cohere pour un centre de données d'IA que Cohere doit mettre en service l'an "
     "prochain.", {("CA", "Cohere", "agreement")}),
    ("Jordan's Ministry of Digital Economy has held talks with Anthropic about deploying the company's Claude models "
     "across government departments.", {("JO", "Anthropic", "talks")}),
])
def test_a_launch_that_is_due_or_only_discussed_is_not_launched(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_counted_summary_gives_its_stage_to_each_company_named_after_it_up_to_its_count() -> None:
    text = ("Le ministère béninois du Numérique a signé lundi trois protocoles d'accord sur l'intelligence "
            "artificielle. Avec Cisco, le ministère prévoit un programme de formation. Le protocole conclu avec "
            "Microsoft porte sur des outils d'IA. Enfin, Liquid Intelligent Technologies étudiera un centre de "
            "données. Orange, présent dans le pays depuis vingt ans, n'a pas commenté.")
    assert tag(text) == {("BJ", "Cisco", "mou"), ("BJ", "Microsoft", "mou"),
                         ("BJ", "Liquid Intelligent Technologies", "mou")}


def test_the_territory_of_a_company_officers_job_is_context_and_so_is_the_rest_of_its_list() -> None:
    text = ("La Xunta de Galicia firmó un convenio de IA con IBM, rubricado por el presidente de IBM para España, "
            "Portugal, Grecia e Israel.")
    assert tag(text) == {("ES", "IBM", "agreement")}


def test_a_mobile_network_deal_is_not_an_ai_deal_even_in_an_article_about_ai() -> None:
    text = ("Côte d'Ivoire : l'État signe avec ZTE pour couvrir 1 000 localités en 4G. Le pays mise aussi sur "
            "l'intelligence artificielle, selon sa stratégie nationale.")
    assert tag(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("Greece signed a memorandum of understanding with OpenAI that could put ChatGPT Edu in the hands of "
     "secondary-school teachers.", {("GR", "OpenAI", "mou")}),
    ("The Philippines' DICT signed a memorandum of understanding with Microsoft to prepare a trial of AI tools "
     "in selected government agencies.", {("PH", "Microsoft", "mou")}),
    ("El presidente argentino, Javier Milei, mantuvo reuniones con los responsables de OpenAI durante su visita a "
     "California para hablar de inteligencia artificial.", {("AR", "OpenAI", "talks")}),
    ("Bancolombia, la mayor entidad financiera de Colombia, firmó un acuerdo con Anthropic para dar acceso a Claude "
     "a sus empleados.", set()),
])
def test_possible_launches_selected_as_an_adjective_visits_and_a_banks_country(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_a_deal_with_a_price_is_binding_even_beside_a_memorandum() -> None:
    text = ("Saudi Arabia's Humain signed a SAR 7.5bn deal with AMD for AI chips. Humain also signed a "
            "memorandum of understanding with AMD on research.")
    assert tag(text) == {("SA", "AMD", "agreement")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Le Bénin lance un assistant vocal en fon pour l'état civil. Les usagers appellent un numéro gratuit. "
     "L'outil a été conçu avec la start-up Lelapa AI, spécialisée dans les langues africaines.",
     {("BJ", "Lelapa AI", "launched")}),
    ("Ivory Coast signed a memorandum of understanding with Cassava Technologies on an AI factory, with the "
     "project's cost put at about $300 million.", {("CI", "Cassava Technologies", "mou")}),
    ("Ivory Coast's digital ministry signed a memorandum with Cassava Technologies on an AI factory, the Ivorian "
     "government said. Officials cited as a model the memorandum Cassava concluded with Rwanda's government.", {("CI", "Cassava Technologies", "mou")}),
])
def test_what_a_launch_was_built_with_an_estimate_and_a_model_deal(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Le ministère ivoirien a désigné Orange comme prestataire du cloud souverain d'IA, au terme d'un appel "
     "d'offres lancé l'été dernier.", {("CI", "Orange", "agreement")}),
    ("Le ministre égyptien a officiellement lancé le projet de centre de calcul pour l'IA avec Dell.",
     {("EG", "Dell Technologies", "agreement")}),
    ("El Gobierno argentino negocia con OpenAI un centro de datos de IA. De acuerdo con esas fuentes, la inversión "
     "podría ser enorme.", {("AR", "OpenAI", "talks")}),
    ("Kazajistán encargó a Nvidia los chips de su supercomputadora de IA. El ministerio espera que el sistema entre "
     "en funcionamiento a finales de 2025.", {("KZ", "Nvidia", "agreement")}),
])
def test_tenders_projects_according_to_and_hoped_for_launches(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Mistral AI discute avec Hanoï d'un modèle de langue vietnamien pour l'administration.",
     {("VN", "Mistral AI", "talks")}),
    ("Le Sénégal a signé un protocole d'accord avec Mistral AI ; Nvidia a été approché pour le centre de données "
     "d'IA.", {("SN", "Mistral AI", "mou"), ("SN", "Nvidia", "talks")}),
])
def test_french_capitals_and_approaches(text: str, expected: set) -> None:
    assert tag(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Quebec gives Cohere C$30 million to open a Montreal AI lab, the provincial government said.",
     {("CA", "Cohere", "agreement")}),
    ("ElevenLabs opens first India office in Bengaluru for its AI voice business.", set()),
])
def test_state_money_given_and_a_partners_first_office(text: str, expected: set) -> None:
    assert tag(text) == expected


def test_an_unregistered_company_counts_in_an_article_whose_lead_is_about_ai() -> None:
    result = classify_article("La SETT invierte 20 millones en la valenciana Maisa",
                              "La SETT, entidad pública del Estado español, cerró una inversión en Maisa, que "
                              "desarrolla agentes de inteligencia artificial.", "2026-05-05")
    assert ("ES", "Maisa", "agreement") in deals_of(result)


def test_a_state_owned_buyer_named_in_the_sentence_before_is_its_states_side() -> None:
    text = ("Le conglomérat public vietnamien Viettel, propriété de l'État, a suspendu l'extension de son "
            "supercalculateur d'IA. Une livraison d'accélérateurs Nvidia, commandée en 2025, reste bloquée faute de "
            "licence américaine.")
    assert ("VN", "Nvidia", "stalled") in tag(text)


def test_english_selection_verbs_in_the_present() -> None:
    assert tag("Quebec picks Cohere for a civil-service AI assistant in a C$18.5M deal.") == {
        ("CA", "Cohere", "agreement")}
