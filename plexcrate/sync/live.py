"""Decide whether a track or album is a live recording, from its titles and Plex release type.

The sync engine calls these once per track, so every title rule lives in one precompiled,
case-insensitive regex, run only when a cheap pre-check finds "live", "unplugged", "concert" or
something date-like; a call allocates nothing beyond the match.

An album is live when Plex's release type (a ``Subformat`` tag) is "Live". A title is live when:

* a bracket ``()``, ``[]``, ``{}`` (or full-width ``（）［］【】``) or a dash/colon segment
  (``-`` with a space before it, ``–``, ``—``, ``:``, ``/``, ``|``, ``!``) *starts* with the
  word "live" and "live" is followed by
  - nothing else: "(Live)", "[Live]", "- Live", "Live!", "Live/Dead", "(Live) [Remastered]";
  - a qualifier: Version, Recording(s), Recorded, Acoustic, Edit, Take, Performance,
    Session(s), Concert, Bootleg, Aid, Remaster(ed);
  - a venue preposition and a name: "Live at Leeds", "– Live in Tokyo", "[Live from …]",
    "(Live on KEXP)";
  - a comma, inside a bracket only: "(live, 1994)";
* "live at/from/@ <venue>" or "live <year>" appears anywhere, unless the word before "live"
  makes it a verb (I, we, you, they, who, to): "Alive! Live at the Fillmore", "Live @ Wembley",
  "Live 1975–1985", "(Live 2003)", "Live '86";
* it says "Recorded Live", "Unplugged", "In Concert" or "The Concert for/in/at …";
* it carries a full calendar date or a taper's disc/track code, the naming of taped shows:
  "1977-05-08 Barton Hall", "gd77-05-08d1t03", "Cornell 5/8/77", "08.05.1977", "d1t03 – …".

"Live" used as a verb or inside a name is ignored: "Live Wire", "Live and Let Die", "Live to
Tell", "I Live for You", "Long Live Rock 'n' Roll", "Alive", "Olive", "Livin' on the Edge".
Lone numbers ("1999", "2112", "9 to 5", "24/7", "19-2000") are not dates.

Decisions on ambiguous cases:

* Session recordings ("BBC Sessions", "The Peel Sessions") are *not* live: they were recorded
  in a studio, with no audience, and are often overdubbed. A title that says so itself
  ("(Live Session)", "Live at the BBC") is believed.
* "The Concert for Bangladesh" / "The Concert in Central Park" are live (the article makes it
  an event); "Concert for …" without it is not, since it is also an old translation of
  "concerto" ("Concert for Violin and Orchestra"). "Concerto …" and "Concert Overture" are not.
* Taper codes ("d1t03", "s2t05") and full dates are live: they only ever name taped shows.

Accepted false negatives (no title rule can tell them from studio titles; Plex's Live release
type usually catches the albums):

* "Live <noun>" album puns: "Live Evil", "Live Killers", "Live After Death", "Live and
  Dangerous", "Live Rust"; they read exactly like "Live Wire" or "Live and Let Die".
* Titles with no live word at all: "Stop Making Sense", "Alive!", "Frampton Comes Alive!",
  "At Folsom Prison", "Cheap Trick at Budokan", "Made in Japan", "Concert for George".
* Full-width or stylised letters ("ＬＩＶＥ"): titles are not normalised, to avoid a copy per call.

Accepted false positives: studio titles that begin "Live in/from/on <words>", such as "Live in
the Moment" or "Live from the Underground"; the same words name most live albums.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_live_album", "is_live_title", "is_live_track"]

_OPEN = re.escape("([{（［【")
_CLOSE = re.escape(")]}）］】")
_DASHES = "‐‑‒–—―"  # Unicode hyphens and dashes; the ASCII "-" needs a space before it.
_YEAR = r"(?:(?:19|20)\d\d|['’]\d\d)(?!\d)"
_QUALIFIER = (
    r"version|recordings?|recorded|acoustic|edit|take|performance|sessions?|concert"
    r"|bootleg|aid|remaster(?:ed)?"
)
# Words that turn a following "live" into a verb: "where we live at night".
_VERB_CONTEXT = "".join(rf"(?<!\b{word}\s)" for word in ("i", "we", "you", "they", "who", "to"))
_DAY_OR_MONTH = r"(?:0?[1-9]|[12]\d|3[01])"

_LIVE_TITLE = re.compile(
    rf"""
    # "live" opening the title, a bracket or a dashed segment, followed by an accepted word.
    (?:^|[{_OPEN}:;/|!]|\s-|[{_DASHES}])\s*
    live
    (?:
        \s*(?:$|[{_CLOSE}:;/|!{_DASHES}])
      | \s+-
      | \s+(?:{_QUALIFIER})\b
      | \s+(?:at|in|from|on)\s+\S
    )
    # "(live, 1994)": a comma right after "live" only inside a bracket.
    | [{_OPEN}]\s*live\s*,
    # "… Live at …" anywhere, unless "live" is a verb (look ahead first: the guards are slow).
    | \b(?=live\b){_VERB_CONTEXT}live(?:\s+(?:at|from)\s+\S|\s*@\s*\S|\s+{_YEAR})
    | \brecorded\s+live\b
    | \bunplugged\b
    | \bin\s+concert\b
    | \bthe\s+concert\s+(?:for|in|at)\b
    # Full dates: 1977-05-08, gd77-05-08, 5/8/77, 08.05.1977.
    | (?<![\w/.-])[a-z]{{0,5}}(?:19|20)?\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)
    | (?<![\w/.])(?:19|20)\d\d[./](?:0[1-9]|1[0-2])[./](?:0[1-9]|[12]\d|3[01])(?![\d./])
    | (?<![\w/.]){_DAY_OR_MONTH}/{_DAY_OR_MONTH}/(?:\d\d){{1,2}}(?![\d/])
    | (?<![\w/.]){_DAY_OR_MONTH}\.{_DAY_OR_MONTH}\.(?:19|20)\d\d(?![\d.])
    # Taper disc/set and track codes: d1t03, s2t05.
    | (?<![a-z])[ds]\d{{1,2}}t\d{{1,3}}(?![a-z\d])
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Every rule above needs one of these (a date or taper code has a digit, a separator or "t", and a
# digit); most titles have none, and this search is ~10x cheaper than the full one.
_MAY_BE_LIVE = re.compile(r"live|unplugged|concert|\d[-./t]\d", re.IGNORECASE)
_LIVE_SUBFORMAT = re.compile(r"\s*live\s*", re.IGNORECASE)


def is_live_title(title: str | None) -> bool:
    """True when a track or album title marks a live recording."""
    if not title or _MAY_BE_LIVE.search(title) is None:
        return False
    return _LIVE_TITLE.search(title) is not None


def is_live_album(title: str | None, subformats: Iterable[str] = ()) -> bool:
    """True when Plex's album release type says Live (a Subformat tag "Live", case-insensitive)
    or the album title marks a live recording."""
    for subformat in subformats or ():
        if _LIVE_SUBFORMAT.fullmatch(subformat):
            return True
    return is_live_title(title)


def is_live_track(
    track_title: str | None, album_title: str | None, album_subformats: Iterable[str] = ()
) -> bool:
    """A track is live when its own title, its album's title or its album's release type says so."""
    return is_live_title(track_title) or is_live_album(album_title, album_subformats)
