"""Chinese text search of positions, the same on PostgreSQL and SQLite (pure: the tokens and the query plan).

Chinese has no spaces between words and most words are two characters, so a position's searchable text is
normalised (NFKC, lower case, punctuation to spaces) and cut into overlapping character bigrams
("软件工程师" -> 软件 件工 工程 程师), kept in a table indexed on (token, position) on both databases. A search term
is cut the same way: a position matches when it holds every bigram of every term (an index look-up per
token), and then, to drop bigrams that occur apart, when the normalised text contains each term as it is.
A one-character term has no bigram; it is matched on the normalised text alone. Latin words go the same way
("java" -> ja av va), so "Java 上海" finds Java jobs in Shanghai.
"""
from __future__ import annotations

import re
import unicodedata

MAX_TERMS = 5
MAX_TERM_LENGTH = 30
_SEPARATORS = re.compile(r"[^\w]+|_", re.UNICODE)


def normalise(text: str | None) -> str:
    """Lower case, full-width to plain, every run of non-word characters to one space."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(_SEPARATORS.sub(" ", text).split())


def bigrams(word: str) -> set[str]:
    return {word[i:i + 2] for i in range(len(word) - 1)}


def tokens(text: str | None) -> set[str]:
    """The index tokens of a text: the bigrams of each of its words (a one-character word: itself)."""
    found: set[str] = set()
    for word in normalise(text).split():
        found |= bigrams(word) if len(word) > 1 else {word}
    return found


def terms(query: str | None) -> list[str]:
    """The search terms of what someone typed: normalised words, at most MAX_TERMS, each cut to a sane length."""
    words = [w[:MAX_TERM_LENGTH] for w in normalise(query).split()]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def term_tokens(term: str) -> set[str]:
    """The tokens a position must hold to contain `term` (empty for a one-character term)."""
    return bigrams(term)


def matches(search_text: str, query_terms: list[str]) -> bool:
    """The final check, the same as the database's: every term appears in the normalised text."""
    return all(term in search_text for term in query_terms)


def like_pattern(term: str) -> str:
    """A LIKE pattern for `term` anywhere (with `\\` as the escape character)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
