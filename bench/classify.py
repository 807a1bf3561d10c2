"""Classifier throughput on 400-word articles, beside feedparser parsing the same articles as RSS.

Run: .venv/bin/python bench/classify.py [--articles N] [--seed S]

Generates N articles of about 400 words (a third report a deal, the rest are ordinary news that
mention companies, countries and cue words), classifies them on one core, then parses the same
articles wrapped in one RSS document with feedparser, and prints both rates and their ratio.
The target is at least 500 articles/s for the classifier.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser  # noqa: E402

from pipeline.classify import classify_article, vocabulary  # noqa: E402

TARGET_PER_SECOND = 500
WORDS = 400
COUNTRIES = ["Kenya", "Morocco", "Chile", "Poland", "Indonesia", "Vietnam", "Greece", "Rwanda", "Colombia",
             "Egypt", "Estonia", "Japan", "Brazil", "Mexico", "Nigeria", "Thailand", "Portugal", "Ghana"]
DEMONYMS = ["Kenyan", "Moroccan", "Chilean", "Polish", "Indonesian", "Vietnamese", "Greek", "Rwandan",
            "Colombian", "Egyptian", "Estonian", "Japanese", "Brazilian", "Mexican", "Nigerian", "Thai"]
PARTNERS = ["OpenAI", "Mistral AI", "Anthropic", "Nvidia", "Microsoft", "Google", "Amazon Web Services",
            "Oracle", "Huawei", "Cohere", "IBM", "Palantir", "G42", "Naver", "Sarvam AI", "Scale AI"]
DEAL = [
    "{country}'s Ministry of Digital Economy signed a memorandum of understanding with {partner} on 12 March "
    "to train civil servants in artificial intelligence.",
    "The {demonym} government and {partner} have agreed to build a national AI data centre, officials said.",
    "{country} held talks with {partner} about a sovereign cloud for public services.",
    "The ministry said the {partner} pilot went live in 40 schools after a year of preparation.",
    "Talks between {country} and {partner} on a national language model broke down last week.",
]
NEWS = [
    "Shares of {partner} rose 3 percent in early trading after the company reported quarterly results.",
    "The weather service in {country} warned of heavy rain over the weekend and urged drivers to take care.",
    "Local football clubs said ticket sales had recovered since the stadium reopened in the capital.",
    "Analysts expect interest rates to stay on hold until inflation falls closer to the central bank target.",
    "The festival drew thousands of visitors to the old town, where restaurants stayed open late.",
    "{partner} said it would release new software updates for its phones and laptops next month.",
    "A {demonym} court adjourned the trial of two former executives until the end of the year.",
    "Farmers in the north said the harvest had been smaller than expected because of the dry spring.",
    "The museum will open a new wing dedicated to modern photography and design in the autumn.",
    "Commuters faced delays after a signal failure on the main railway line into the city on Tuesday.",
    "Researchers published a study on sleep patterns among teenagers and the effect of screens at night.",
    "The opposition party criticised the budget, saying it did too little for small businesses.",
]


def make_article(rng: random.Random, deal: bool) -> tuple[str, str]:
    """Return (title, text) of a synthetic article of about WORDS words."""
    fill = {"country": rng.choice(COUNTRIES), "partner": rng.choice(PARTNERS), "demonym": rng.choice(DEMONYMS)}
    sentences: list[str] = []
    if deal:
        sentences += [t.format(**fill) for t in rng.sample(DEAL, 2)]
    while sum(len(s.split()) for s in sentences) < WORDS:
        fill = {"country": rng.choice(COUNTRIES), "partner": rng.choice(PARTNERS), "demonym": rng.choice(DEMONYMS)}
        sentences.append(rng.choice(NEWS).format(**fill))
    rng.shuffle(sentences)
    paragraphs = ["  ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4)]
    title = sentences[0].split(",")[0][:90]
    return title, "\n\n".join(paragraphs)


def as_rss(articles: list[tuple[str, str]]) -> bytes:
    """Return one RSS 2.0 document carrying every article as an item with its full text."""
    items = "".join(
        f"<item><title>{escape(t)}</title><link>https://bench.example/{i}</link>"
        f"<guid>https://bench.example/{i}</guid><pubDate>Fri, 26 Sep 2025 08:00:00 GMT</pubDate>"
        f"<description>{escape(x)}</description></item>" for i, (t, x) in enumerate(articles))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>'
            f"<link>https://bench.example/</link><description>bench</description>{items}</channel></rss>").encode()


def main() -> int:
    """Run the benchmark; return 0 when the classifier reaches the target rate, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    articles = [make_article(rng, deal=i % 3 == 0) for i in range(args.articles)]
    words = sum(len(t.split()) for _, t in articles) / len(articles)

    started = time.perf_counter()
    vocabulary()
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    relevant = sum(classify_article(t, x, "2025-09-26").relevant for t, x in articles)
    classify_seconds = time.perf_counter() - started

    document = as_rss(articles)
    started = time.perf_counter()
    parsed = feedparser.parse(io.BytesIO(document))
    feed_seconds = time.perf_counter() - started
    if len(parsed.entries) != len(articles):
        print(f"feedparser returned {len(parsed.entries)} entries for {len(articles)} items", file=sys.stderr)
        return 1

    classify_rate = len(articles) / classify_seconds
    feed_rate = len(articles) / feed_seconds
    print(f"articles: {len(articles)} of {words:.0f} words on average; {relevant} tagged relevant")
    print(f"vocabulary load (once per process): {load_seconds:.2f} s")
    print(f"classify:   {classify_rate:8.0f} articles/s  ({classify_seconds * 1000 / len(articles):.2f} ms each)")
    print(f"feedparser: {feed_rate:8.0f} articles/s  ({feed_seconds * 1000 / len(articles):.2f} ms each)")
    print(f"ratio classify/feedparser: {classify_rate / feed_rate:.2f}x   target: >= {TARGET_PER_SECOND} articles/s "
          f"({'met' if classify_rate >= TARGET_PER_SECOND else 'NOT met'})")
    return 0 if classify_rate >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
