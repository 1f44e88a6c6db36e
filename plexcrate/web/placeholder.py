"""A picture for an item without art: its initials on a colour of its own, as an SVG.

Made from the name alone (the same name, the same picture), with no request to Plex, so it is
there at once, offline too.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

# A music note, drawn in a 100 × 100 box, for a name without letters or digits.
_NOTE = (
    '<path fill="#fff" fill-opacity=".85" d="M62 24v38.5a10 10 0 1 1-6-9.2V34l-20 5v28.5a10 '
    '10 0 1 1-6-9.2V31z"/>'
)


def initials(name: str) -> str:
    """Up to two initials: "Miles Davis" → "MD", "ABBA" → "A", "(I Can't Get No)" → "IC"."""
    words = ["".join(ch for ch in word if ch.isalnum()) for word in name.split()]
    letters = [word[0] for word in words if word][:2]
    return "".join(letters).upper()


def placeholder_svg(name: str, size: int) -> bytes:
    digest = hashlib.sha256(name.casefold().encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    # Dark enough behind white text (well over 4.5:1) in both of the page's themes.
    background = f"hsl({hue}, 42%, 32%)"
    letters = initials(name)
    if letters:
        font = 44 if len(letters) == 1 else 38
        mark = (
            f'<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#fff" '
            f'font-family="system-ui, sans-serif" font-weight="600" font-size="{font}">'
            f"{escape(letters)}</text>"
        )
    else:
        mark = _NOTE
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 100 100" role="img"><rect width="100" height="100" '
        f'fill="{background}"/>{mark}</svg>'
    )
    return svg.encode()
