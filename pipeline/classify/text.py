"""Sentences and clauses of an article, as character offsets into its text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words whose trailing period does not end a sentence ("Sept. 12", "U.S. company", "Isaac K. Kassouwi").
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr", "prof", "gen", "gov", "sen", "rep", "col", "lt",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "nos",
    "inc", "ltd", "corp", "co", "vs", "etc", "approx", "fig", "dept", "est", "th", "mme", "mm", "m",
    "u.s", "u.k", "u.n", "e.u", "u.a.e", "a.i", "e.g", "i.e", "d.c", "p.m", "a.m", "s.a", "n.v", "ee", "uu", "ee.uu",
    "eeuu",
})
# One pass finds paragraph breaks, line breaks and sentence-final punctuation before a capital.
_SPLIT = re.compile(
    r"(?P<paragraph>\n[ \t]*\n\s*)|(?P<line>\n\s*)|"
    r"(?P<stop>[.!?…]+[\"'”»)\]]*[ \t\u00a0]+(?=[\"'“«(\[•\-–—]?\s*[A-ZÀ-ÖØ-Þ0-9¿¡]))")
_LAST_WORD = re.compile(r"([\w.]+)[.!?…]+[\"'”»)\]]*\s*$")
# Clause breaks: semicolons, colons, dashes, a comma before a conjunction or relative pronoun,
# "as" opening a clause of its own ("... discuss AI training as Querétaro region opens"), and
# "a week after" or "shortly before" another event.
_CLAUSE = re.compile(
    r"(?P<mark>;|:(?=\s)|\s[—–](?=\s)|\s-(?=\s)|,(?=\s+(?P<word>and|but|while|whereas|as|which|who|although|"
    r"though|under which|after which|in which|whose|et|mais|alors que|tandis que|qui|dont|pero|mientras|y|"
    r"aunque|after|before|après|avant|después|antes)\b)|(?<![Ss]uch)(?<![Ww]ell)(?<!known)(?<!serve)(?<!same)(?=\s+as\s+(?!part\b|well\b|a\b|an\b|of\b|"
    r"soon\b|much\b|many\b|long\b|far\b|such\b|if\b|to\b|for\b|the first\b|one\b)(?:the\s+|[A-Z]))|"
    r"(?=\s+(?:(?:a|one|two|three|four|five|six|several|a\s+few|\d+)\s+(?:days?|weeks?|months?|years?)|shortly|just|"
    r"soon)\s+(?:after|before)\s))\s*")
_OPENER = re.compile(r"\s*(?P<word>[\w']+(?:\s+which)?)")
# "Following Saudi Arabia's deal with Groq, Qatar signed ...": the opening phrase is background.
_INTRO = re.compile(
    r"[\"“«]?(?:Following|After|Unlike|Like|Similar to|As with|In contrast to|Suite à|Après|À l'instar de|Comme|"
    r"Contrairement à|Tras|Después de|A diferencia de|Al igual que|Como)\b[^,;:]{3,160}?,\s+")
RELATIVE_OPENERS = frozenset({"which", "who", "whose", "under which", "after which", "in which", "qui", "dont"})


@dataclass
class Sentence:
    """One sentence: its span in the text, its paragraph number, and its clause break offsets."""

    start: int
    end: int
    paragraph: int
    clause_starts: tuple[int, ...] = ()  # absolute offsets where each clause begins (see with_clauses)
    clause_marks: tuple[str, ...] = ()  # what opens each clause: "", ";", ":", "as", "which", "intro"...

    def clause_of(self, offset: int) -> int:
        """Return the index of the clause that contains `offset`."""
        index = 0
        for number, begin in enumerate(self.clause_starts):
            if offset >= begin:
                index = number
        return index


def _ends_with_abbreviation(chunk: str) -> bool:
    match = _LAST_WORD.search(chunk[-24:])
    if match is None:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _clauses(text: str, start: int, end: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    starts, marks = [start], [""]
    intro = _INTRO.match(text, start, end)
    if intro is not None:
        starts, marks = [start, intro.end()], ["intro", ""]
    for match in _CLAUSE.finditer(text, starts[-1], end):
        if match.end() >= end or match.end() == match.start():
            continue
        mark = match.group("mark").strip()
        if mark in ("", ","):
            opener = _OPENER.match(text, match.end())
            mark = opener.group("word").lower() if opener else ","
        starts.append(match.end())
        marks.append(mark)
    return tuple(starts), tuple(marks)


def add_clauses(text: str, sentence: Sentence) -> None:
    """Find the sentence's clause breaks (done only for the sentences that can matter)."""
    sentence.clause_starts, sentence.clause_marks = _clauses(text, sentence.start, sentence.end)


def split_sentences(text: str) -> list[Sentence]:
    """Return the sentences of `text`: paragraphs, then lines, then sentence punctuation."""
    sentences: list[Sentence] = []
    begin, paragraph = 0, 0
    for match in _SPLIT.finditer(text):
        kind = match.lastgroup
        if kind == "stop" and _ends_with_abbreviation(text[max(begin, match.start() - 24):match.end()]):
            continue
        _append(sentences, text, begin, match.end() if kind == "stop" else match.start(), paragraph)
        begin = match.end()
        if kind == "paragraph":
            paragraph += 1
    _append(sentences, text, begin, len(text), paragraph)
    return sentences


def _append(sentences: list[Sentence], text: str, begin: int, finish: int, paragraph: int) -> None:
    while begin < finish and text[begin].isspace():
        begin += 1
    while finish > begin and text[finish - 1].isspace():
        finish -= 1
    if finish > begin:
        sentences.append(Sentence(begin, finish, paragraph, (begin,), ("",)))
