"""One-pass phrase matching: every vocabulary phrase compiled into a single trie-shaped regex.

A regex alternation of thousands of names tries each name at each position; a trie regex
(`ab(?:c|d)` for "abc" and "abd") tries each prefix once, so one `finditer` over an article
finds every country, partner, cue and grammar word in a fraction of a millisecond.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

LOGGER = logging.getLogger(__name__)

# A space or hyphen inside a phrase matches any run of spaces and hyphens in the text.
SEPARATORS = frozenset(" -")
SEPARATOR_PATTERN = r"[\s\-]+"
_COLLAPSE = re.compile(r"[\s\-]+")
# Curly quotes and odd spaces become their plain forms, one character for one, so offsets hold.
_PLAIN = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " ", "\u2011": "-",
                        "\u2010": "-", "\u202f": " "})


def ascii_fold(text: str) -> str:
    """Return `text` without its accents and other combining marks ("Québec" -> "Quebec")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def plain_text(text: str) -> str:
    """Return `text` with curly apostrophes and non-breaking spaces replaced, same length."""
    return text.translate(_PLAIN)


def phrase_key(phrase: str) -> str:
    """Return the lookup key of a phrase: separators collapsed to one space, curly quotes plain."""
    return _COLLAPSE.sub(" ", plain_text(phrase).strip())


@dataclass(frozen=True)
class Hit:
    """One phrase found in a text: where, what it said, and the key it matched."""

    start: int
    end: int
    key: str


def trie_pattern(keys: Iterable[str]) -> str:
    """Return a regex source matching exactly `keys`, longest first, shaped as a trie."""
    root: dict[str, dict] = {}
    for key in keys:
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}
    return _node_pattern(root)


def _char_pattern(char: str) -> str:
    return SEPARATOR_PATTERN if char in SEPARATORS else re.escape(char)


def _node_pattern(node: dict[str, dict]) -> str:
    terminal = "" in node
    branches: list[str] = []
    singles: list[str] = []
    for char in sorted(c for c in node if c):
        rest = _node_pattern(node[char])
        if rest == "" and char not in SEPARATORS:
            singles.append(char)
        else:
            branches.append(_char_pattern(char) + rest)
    if len(singles) == 1:
        branches.append(re.escape(singles[0]))
    elif singles:
        branches.append("[" + "".join(re.escape(c) for c in singles) + "]")
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy optional: the longer phrase is tried first, the shorter one on backtracking.
    return "(?:" + body + ")?" if terminal else body


class PhraseMatcher:
    """Finds whole-word occurrences of many phrases in one regex pass, longest match first."""

    def __init__(self, phrases: Iterable[str], ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        keys = {phrase_key(p).lower() if ignore_case else phrase_key(p) for p in phrases}
        keys.discard("")
        self.size = len(keys)
        # Word-initial keys get \b (fast); the rare key starting with punctuation gets a look-behind; a
        # key ending in an elided article ("prévoit d'") runs straight into the next word ("d'étudier").
        elided = sorted(k for k in keys if k.endswith("'") and (k[0].isalnum() or k[0] == "_"))
        word_keys = sorted(k for k in keys if (k[0].isalnum() or k[0] == "_") and not k.endswith("'"))
        other_keys = sorted(k for k in keys if not (k[0].isalnum() or k[0] == "_"))
        parts = []
        if elided:
            parts.append(r"\b(?:" + trie_pattern(elided) + r")")
        if word_keys:
            parts.append(r"\b(?:" + trie_pattern(word_keys) + r")(?!\w)")
        if other_keys:
            parts.append(r"(?<!\w)(?:" + trie_pattern(other_keys) + r")(?!\w)")
        source = "|".join(parts) if parts else r"(?!x)x"
        self._source = source
        self._regex = re.compile(source)
        self._fallback: re.Pattern[str] | None = None

    def finditer(self, text: str) -> Iterator[Hit]:
        """Yield every non-overlapping phrase occurrence in `text`, leftmost then longest."""
        if self.ignore_case:
            lowered = text.lower()
            # lower() keeps offsets for nearly all text; when it does not, match case-insensitively.
            if len(lowered) == len(text):
                for match in self._regex.finditer(lowered):
                    yield Hit(match.start(), match.end(), _key(match.group()))
                return
            if self._fallback is None:
                self._fallback = re.compile(self._source, re.IGNORECASE)
            for match in self._fallback.finditer(text):
                yield Hit(match.start(), match.end(), _COLLAPSE.sub(" ", match.group().lower()))
            return
        for match in self._regex.finditer(text):
            yield Hit(match.start(), match.end(), _key(match.group()))


def _key(surface: str) -> str:
    """Return the lookup key of matched text (most matches are one plain word: no work)."""
    if "-" in surface or "  " in surface or "\n" in surface or "\t" in surface:
        return _COLLAPSE.sub(" ", surface)
    return surface
