"""Text folding for search: case and accents don't matter, so "bjork" finds "Björk"."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed form of ``text``."""
    if text.isascii():  # the common case, and a sync folds every track: keep it cheap
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


# Between the fields of a track's search text, so that a search term never matches across two
# of them, nor matches the separator itself: fold() splits on it like on any whitespace, so no
# searched word can hold it.
FIELD_SEPARATOR = "\x1f"


def search_text(*parts: str | None) -> str:
    """The folded text a track is found by: its title, artists and album."""
    return FIELD_SEPARATOR.join(fold(part) for part in parts if part)


_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search as the text index (FTS5's unicode61 tokenizer, diacritics removed)
    splits and folds a track's fields: letters and digits, lower case, no accents. Everything
    else separates words, so "AC/DC" is the words "ac" and "dc" on both sides."""
    # Canonical decomposition only (NFD, not NFKD): the tokenizer leaves "ﬁ" as it is.
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(dict.fromkeys(_WORD.findall(stripped)))
