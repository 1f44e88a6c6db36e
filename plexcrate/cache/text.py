"""Text folding for search: case and accents don't matter, so "bjork" finds "Björk"."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed form of ``text``."""
    if text.isascii():  # the common case, and a sync folds every track: keep it cheap
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def search_text(*parts: str | None) -> str:
    """The folded text a track is found by: its title, artists and album.

    The fields are joined with " | " so that a search term does not match across two of them.
    """
    return " | ".join(fold(part) for part in parts if part)
