"""Search in memory: the text filter's matches, and ranked, typo-tolerant results.

One :class:`SearchIndex` is built per committed snapshot (``memory.for_snapshot(conn, "search",
SearchIndex.build)``) and shared by every reader thread; it is never changed after its build.

**Word index.** Every field is cut into words as the text filter cuts a search
(``text.search_words``: letters and digits, no case, no accents). The folded words of the
library are sorted, so the words a prefix begins are one contiguous slice of the vocabulary,
and the items holding them one contiguous slice of the postings (CSR form: ``indptr`` beside
``items``, int32 positions). Positions of tracks follow their rating keys, so a set of
positions, read in order, is a sorted list of keys.

**Matching** (:meth:`SearchIndex.matching`, the ``q`` filter): each word marks the tracks of its
slice in a mask, and the masks are ANDed. A broad prefix ("a") touches a large part of the
postings; its mask is kept ready, packed 8 tracks a byte, for every one- and two-letter prefix
heavy enough to cost more than unpacking it.

**Ranking** (:meth:`SearchIndex.search`): artists, albums and tracks each have a word index whose
postings are split in two classes: what an item is *named* (a track's title and artists, an
album's title, an artist's name) and what it is *in* (a track's album, an album's artist). Per
word, an item scores 4 for a whole word of its name, 3 for a prefix of one, 2 and 1 for the
same in the other class; the scores of the words add up. Ties go to the well-played, then to
the well-rated (an album or artist: its tracks' plays added up, their best rating). Results
come from three routes, each keeping its best ``limit``:

- words: every word of the search matches (the filter's rule);
- names run together: "acdc" or "gunsnroses" begins an album's or artist's name once its
  spaces and punctuation are out (the names so written are kept sorted); a name equal to the
  whole search comes first of all ("radiohead": Radiohead before "Radiohead Tribute");
- typos: a word of 4 letters or more that is no word of the library may also be one of the
  words of names within an edit distance of 1 (4–7 letters) or 2 (8 and more), a
  transposition counting one ("beatels": beatles). A result found only so ranks below every
  other, so this route runs only when the others found fewer than ``limit``.
"""

from __future__ import annotations

import bisect
import itertools
import re
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from plexcrate.cache.memory import for_snapshot, give_back_freed_memory
from plexcrate.cache.schema import AVAILABLE_TRACKS
from plexcrate.cache.text import search_words

Ints = npt.NDArray[np.int64]
Positions = npt.NDArray[np.int32]

_END = "\U0010ffff"  # above every character a word holds: the end of a prefix's slice

NAME, CONTEXT = 1, 0  # the two classes of postings: what an item is named, what it is in
MAX_SCORE = 63  # 10 words of 4 points, and the bonus of a whole name; keys are built on it
WHOLE_NAME = MAX_SCORE
MIN_TYPO_LENGTH = 4
TYPO_CHOICES = 8  # words of the library a mistyped word may stand for, closest first
# A score held by more than one item in this many is "common": its best items are found by
# reading the items from the most popular on, a few thousand of them, rather than by sorting.
_COMMON = 64
_WALK = 4096
# A prefix whose postings outnumber the tracks by this fraction keeps its mask ready, packed.
READY_MASK_SHARE = 0.125


def typo_distance(word: str) -> int:
    """How many edits a word of this length may hold and still be found."""
    if len(word) < MIN_TYPO_LENGTH:
        return 0
    return 1 if len(word) < 8 else 2


@dataclass(frozen=True, slots=True)
class SearchHits:
    """Rating keys, best first."""

    artists: list[int] = field(default_factory=list)
    albums: list[int] = field(default_factory=list)
    tracks: list[int] = field(default_factory=list)


class _Texts:
    """Distinct strings, interned, then cut into words in bulk: a library repeats its artists
    and albums on every track, and folding string by string is what would make a build slow.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def intern(self, values: list[str]) -> Positions:
        ids = self.ids
        for value in dict.fromkeys(values):  # a loop over the distinct ones only
            if value not in ids:
                ids[value] = len(ids)
        return np.fromiter(map(ids.__getitem__, values), np.int32, len(values))

    def columns(
        self, conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: int
    ) -> list[Positions]:
        """Each row's string id in each column, rows in key order. A chunk of rows is read as
        one string (a row a Python object from SQLite costs a microsecond, which was most of a
        build at 500,000 tracks), every column of a row in it, so the table is read once."""
        width = len(columns)
        chunk = _CHUNK // width  # strings in memory at once: a chunk's, whatever the width
        values = " || char(31) || ".join(f"coalesce({c}, '')" for c in columns)
        ids: list[list[Positions]] = [[] for _ in columns]
        after = -(2**63)
        while True:
            last, count, joined = conn.execute(
                f"""SELECT max(k), count(*), group_concat(v, char(31)) FROM
                    (SELECT rating_key AS k, {values} AS v FROM {table}
                     WHERE rating_key > ? ORDER BY rating_key LIMIT ?)""",
                (after, chunk),
            ).fetchone()
            if not count:
                break
            parts = joined.split(_SEPARATOR)
            if len(parts) != count * width:  # a separator inside a value: read them as rows
                rows_read = conn.execute(
                    f"""SELECT {", ".join(columns)} FROM {table} WHERE rating_key > ?
                        ORDER BY rating_key LIMIT ?""",
                    (after, chunk),
                ).fetchall()
                parts = [v or "" for row in rows_read for v in row]
            for i in range(width):
                ids[i].append(self.intern(parts[i::width]))
            after = last
        found = [np.concatenate(c) if c else np.zeros(0, dtype=np.int32) for c in ids]
        assert all(len(c) == rows for c in found), table  # one read transaction: no change
        return found

    def finish(self) -> tuple[list[str], Ints, Positions]:
        """The sorted vocabulary, and each string's words (CSR, ids in that vocabulary)."""
        word_ids: dict[str, int] = {_SEPARATOR: 0}
        strings = list(self.ids)
        chunks = []
        for start in range(0, len(strings), _CHUNK):
            tokens = _tokens(strings[start : start + _CHUNK])
            chunks.append(
                np.fromiter((word_ids.setdefault(t, len(word_ids)) for t in tokens), np.int64)
            )
        ids = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        # Each chunk ends with a separator: the string a word is in is the separators before it.
        separator = ids == 0
        owner = np.cumsum(separator)[~separator]
        ids = ids[~separator]
        lengths = np.bincount(owner, minlength=len(strings))
        indptr = np.zeros(len(strings) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        del word_ids[_SEPARATOR]
        vocabulary = sorted(word_ids)
        rank = np.zeros(len(word_ids) + 1, dtype=np.int32)
        rank[np.fromiter((word_ids[w] for w in vocabulary), np.int64, len(vocabulary))] = np.arange(
            len(vocabulary), dtype=np.int32
        )
        return vocabulary, indptr, rank[ids]


_SEPARATOR = "\x1f"
_CHUNK = 50_000  # strings cut into words at once: bounds the build's memory
_TOKEN = re.compile(r"[^\W_]+|\x1f")


def _tokens(strings: list[str]) -> list[str]:
    """The words of each string, each string's followed by a separator: ``search_words``'s
    folding, done on all of them at once (lower case, NFD, marks out, letters and digits)."""
    joined = "".join(s.replace(_SEPARATOR, " ") + _SEPARATOR for s in strings).lower()
    if not joined.isascii():
        joined = unicodedata.normalize("NFD", joined)
        marks = {ord(c): None for c in set(joined) if unicodedata.combining(c)}
        joined = joined.translate(marks)
    return _TOKEN.findall(joined)


# A field of items: each item's string (``strings[i]`` is item ``items[i]``'s, or item ``i``'s).
Field = tuple[Positions, Ints | None]


def _pairs(field: Field, indptr: Ints) -> int:
    strings, _ = field
    return int((indptr[strings + 1] - indptr[strings]).sum())


def _field_keys(field: Field, indptr: Ints, words: Positions, size: int, out: Ints) -> None:
    """``word * size + item`` for every word of every item's string, into ``out``; a chunk of
    items at a time, so that the temporaries stay small."""
    strings, items = field
    done = 0
    for first in range(0, len(strings), _CHUNK):
        chunk = strings[first : first + _CHUNK]
        starts = indptr[chunk]
        lengths = indptr[chunk + 1] - starts
        ends = np.cumsum(lengths)
        pairs = int(ends[-1]) if len(ends) else 0
        at = np.arange(pairs, dtype=np.int64)
        at -= np.repeat(ends - lengths - starts, lengths)  # each pair's place among the words
        target = out[done : done + pairs]
        target[:] = words[at]
        target *= size
        owners = (
            np.arange(first, first + len(chunk)) if items is None else items[first:][: len(chunk)]
        )
        target += np.repeat(owners, lengths)
        done += pairs


@dataclass(frozen=True, slots=True)
class _Postings:
    """For word ``w`` of a vocabulary, its items are ``items[indptr[w]:indptr[w + 1]]``."""

    indptr: Ints
    items: Positions

    @classmethod
    def of(
        cls, fields: Sequence[Field], indptr: Ints, words: Positions, vocabulary: int, items: int
    ) -> _Postings:
        """The postings of items by the words of their fields: one int64 key a (word, item)
        pair, all in one array (the build's largest), sorted in place."""
        every = np.empty(sum(_pairs(f, indptr) for f in fields), dtype=np.int64)
        start = 0
        for one in fields:
            end = start + _pairs(one, indptr)
            _field_keys(one, indptr, words, max(items, 1), every[start:end])
            start = end
        # By word, then item: CSR order. A word twice in one item stays twice (rare, and
        # harmless to every reader): taking it out would copy the build's largest array.
        every.sort()
        bounds = np.arange(vocabulary + 1, dtype=np.int64) * max(items, 1)
        indptr = np.searchsorted(every, bounds).astype(np.int64)
        np.remainder(every, max(items, 1), out=every)
        return cls(indptr, every.astype(np.int32))  # (then ``every`` is let go)

    def slice(self, lo: int, hi: int) -> Positions:
        return self.items[self.indptr[lo] : self.indptr[hi]]

    @property
    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.items.nbytes)


def _strings_bytes(strings: Sequence[str]) -> int:
    return sys.getsizeof(strings) + sum(sys.getsizeof(s) for s in strings)


@dataclass(frozen=True, slots=True)
class _Query:
    """One word of a search as it reads an index: the slices of the words it begins or may be
    a typo of, each with whether its first word is that word whole."""

    ranges: tuple[tuple[int, int, bool], ...]  # lo, hi, whether vocabulary[lo] is the word

    @property
    def empty(self) -> bool:
        return all(lo >= hi for lo, hi, _ in self.ranges)


class _WordIndex:
    """Items (tracks, albums or artists) by the words of their names and of their context.

    Its vocabulary holds the words its items have, sorted (the strings are shared with the
    other indexes: each list costs a pointer a word)."""

    def __init__(self, vocabulary: list[str], name: _Postings, context: _Postings, size: int):
        self.vocabulary = vocabulary
        self.classes = {NAME: name, CONTEXT: context}
        self.size = size

    def prefix(self, word: str) -> tuple[int, int, bool]:
        vocabulary = self.vocabulary
        lo = bisect.bisect_left(vocabulary, word)
        hi = bisect.bisect_left(vocabulary, word + _END, lo)
        return lo, hi, lo < hi and vocabulary[lo] == word

    def exact(self, word: str) -> tuple[int, int, bool] | None:
        lo = bisect.bisect_left(self.vocabulary, word)
        if lo < len(self.vocabulary) and self.vocabulary[lo] == word:
            return lo, lo + 1, True
        return None

    def scores(self, queries: Sequence[_Query]) -> npt.NDArray[np.uint8] | None:
        """Each item's score over every word of the search (0 where one word is missing), or
        None when no item has them all."""
        total: npt.NDArray[np.uint8] | None = None
        for query in queries:
            score = np.zeros(self.size, dtype=np.uint8)
            # Lowest level first, so that where an item holds a word at several, the highest
            # is the one left: context prefix, context word, name prefix, name word.
            for cls in (CONTEXT, NAME):
                postings = self.classes[cls]
                for lo, hi, _ in query.ranges:
                    score[postings.slice(lo, hi)] = 2 * cls + 1
                for lo, _, exact in query.ranges:
                    if exact:
                        score[postings.slice(lo, lo + 1)] = 2 * cls + 2
            if total is None:
                total = score
            else:  # in place (at most 10 words of 4: no overflow); 0 where one word is not
                score *= total > 0
                total += score
                total[score == 0] = 0
            if not total.any():
                return None
        return total

    @property
    def nbytes(self) -> int:
        lists = sys.getsizeof(self.vocabulary)  # its strings are counted once, by SearchIndex
        return lists + sum(p.nbytes for p in self.classes.values())


class _RunTogether:
    """Each whole name's words run together ("AC/DC": acdc), sorted: the names a search typed
    without its spaces or punctuation begins."""

    def __init__(self, names: list[str]) -> None:
        order = sorted(range(len(names)), key=names.__getitem__)
        self.keys = [names[i] for i in order]
        self.items = np.asarray(order, dtype=np.int32)

    def starting(self, text: str) -> tuple[Positions, Positions]:
        """Items whose name ``text`` begins, and those whose whole name it is."""
        lo = bisect.bisect_left(self.keys, text)
        hi = bisect.bisect_left(self.keys, text + _END, lo)
        equal = bisect.bisect_right(self.keys, text, lo, hi)
        return self.items[lo:hi], self.items[lo:equal]

    @property
    def nbytes(self) -> int:
        return _strings_bytes(self.keys) + self.items.nbytes


def _popularity(plays: Ints, rating: Ints) -> Positions:
    """Each item's rank, 0 the most played, then the best rated (unrated last), then the
    lowest key (items are in key order)."""
    order = np.lexsort((np.arange(len(plays)), -rating, -plays))
    rank = np.empty(len(plays), dtype=np.int32)
    rank[order] = np.arange(len(plays), dtype=np.int32)
    return rank


class _Best:
    """The best ``limit`` items over several routes, by (typo, score, popularity)."""

    def __init__(
        self, popularity: Positions, limit: int, listed: npt.NDArray[np.bool_] | None
    ) -> None:
        self.popularity = popularity
        self.limit = limit
        self.listed = listed
        self.keys: dict[int, int] = {}

    def add(self, items: Positions, scores: npt.NDArray[np.int64] | int, typo: bool) -> None:
        if self.listed is not None and len(items):
            kept = self.listed[items]
            items = items[kept]
            if not isinstance(scores, int):
                scores = scores[kept]
        if len(items) == 0:
            return
        size = len(self.popularity)
        keys = (int(typo) * (MAX_SCORE + 1) + (MAX_SCORE - np.asarray(scores, np.int64))) * size
        keys = keys + self.popularity[items]
        if len(items) > self.limit:
            chosen = np.argpartition(keys, self.limit - 1)[: self.limit]
            items, keys = items[chosen], keys[chosen]
        for item, key in zip(items.tolist(), keys.tolist(), strict=True):
            if key < self.keys.get(item, key + 1):
                self.keys[item] = key

    def items(self) -> list[int]:
        return sorted(self.keys, key=self.keys.__getitem__)[: self.limit]


class _Group:
    """One kind of result (tracks, albums, artists): its index, names, order of popularity."""

    def __init__(
        self,
        keys: Ints,
        index: _WordIndex,
        popularity: Positions,
        names: _RunTogether | None = None,
        counts: tuple[Positions, Positions] | None = None,
    ) -> None:
        self.keys = keys
        self.index = index
        self.popularity = popularity
        self.names = names
        # An album's or artist's tracks and albums. One without a track is in no list of the
        # library (they group tracks), so it is found by no search either.
        self.counts = counts
        self.listed = counts[0] > 0 if counts is not None else None
        self.by_popularity = np.argsort(popularity).astype(np.int32)  # the most popular first

    @property
    def nbytes(self) -> int:
        names = self.names.nbytes if self.names is not None else 0
        counts = sum(c.nbytes for c in self.counts) if self.counts is not None else 0
        listed = self.listed.nbytes if self.listed is not None else 0
        arrays = self.keys.nbytes + self.popularity.nbytes + self.by_popularity.nbytes
        arrays += counts + listed
        return int(arrays) + self.index.nbytes + names

    def counts_of(self, key: int) -> tuple[int, int]:
        """(tracks, albums) of the item of ``key``; (0, 0) for a key not there."""
        at = int(np.searchsorted(self.keys, key))
        if self.counts is None or at >= len(self.keys) or self.keys[at] != key:
            return 0, 0
        return int(self.counts[0][at]), int(self.counts[1][at])

    def best(self, search: _Search, limit: int) -> _Best:
        best = _Best(self.popularity, limit, self.listed)
        index = self.index
        plain = [_Query((index.prefix(word),)) for word in search.words]
        self._add(best, plain, typo=False)
        if self.names is not None:
            found, whole = self.names.starting(search.run_together)
            best.add(whole, WHOLE_NAME, typo=False)
            if len(search.words) > 1 or plain[0].empty:
                best.add(found, 3 * len(search.words), typo=False)
        # What is found only through a typo ranks below every other find: when there are
        # enough of those, the typos can change nothing (and cost a pass over the names).
        if len(best.keys) < limit and search.typos():
            fuzzy = []
            for word, query in zip(search.words, plain, strict=True):
                if word in search.typos():
                    ranges = (index.exact(w) for w in search.typos()[word])
                    query = _Query(query.ranges + tuple(r for r in ranges if r is not None))
                fuzzy.append(query)
            self._add(best, fuzzy, typo=True)
        return best

    def _add(self, best: _Best, queries: list[_Query], *, typo: bool) -> None:
        if any(q.empty for q in queries):
            return
        scores = self.index.scores(queries)
        if scores is None:
            return
        if self.listed is not None:
            scores[~self.listed] = 0
        items = self._top(scores, best.limit)
        best.add(items, scores[items].astype(np.int64), typo=typo)

    def _top(self, scores: npt.NDArray[np.uint8], limit: int) -> Positions:
        """The best ``limit`` items by score, then popularity (none scoring 0), without sorting
        every candidate when there are many (a one-letter search matches most tracks): those
        above the last score needed are few, and the best of that score are found by reading
        the items from the most popular on."""
        candidates = int(np.count_nonzero(scores))
        if candidates * _COMMON < len(scores):
            items = np.flatnonzero(scores).astype(np.int32)
            if len(items) > limit:
                keys = (MAX_SCORE - scores[items].astype(np.int64)) * len(scores)
                keys += self.popularity[items]
                items = items[np.argpartition(keys, limit - 1)[:limit]]
            return items
        # The last score needed: going down from the best, where there are enough.
        last, above = int(scores.max()), 0
        while True:
            tied_count = int(np.count_nonzero(scores == last))
            if above + tied_count >= limit or last == 1:
                break
            above += tied_count
            last -= 1
        higher = np.flatnonzero(scores > last).astype(np.int32)
        need = limit - len(higher)
        if tied_count * _COMMON >= len(scores):
            tied = self._most_popular(scores, last, need)
        else:
            tied = np.flatnonzero(scores == last).astype(np.int32)
            tied = tied[np.argsort(self.popularity[tied], kind="stable")[:need]]
        return np.concatenate((higher, tied))

    def _most_popular(self, scores: npt.NDArray[np.uint8], score: int, need: int) -> Positions:
        found: list[Positions] = []
        total = 0
        for start in range(0, len(self.by_popularity), _WALK):
            part = self.by_popularity[start : start + _WALK]
            hits = part[scores[part] == score]
            found.append(hits)
            total += len(hits)
            if total >= need:
                break
        return np.concatenate(found)[:need]


class _Search:
    """One search: its words as the filter folds them (each once), every word typed run
    together, and (found once, when first asked) the words of names each word that is no word
    of the library may stand for."""

    def __init__(
        self,
        words: tuple[str, ...],
        run_together: str,
        find_typos: Callable[[], dict[str, list[str]]],
    ) -> None:
        self.words = words
        self.run_together = run_together
        self._find_typos = find_typos
        self._typos: dict[str, list[str]] | None = None

    def typos(self) -> dict[str, list[str]]:
        if self._typos is None:
            self._typos = self._find_typos()
        return self._typos


_QUERY_WORD = re.compile(r"[^\W_]+")


def _run_together(q: str) -> str:
    decomposed = unicodedata.normalize("NFD", q.lower())
    return "".join(
        _QUERY_WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c)))
    )


class SearchIndex:
    """The library's words in memory, for one snapshot: see the module's docstring."""

    def __init__(
        self,
        vocabulary: list[str],
        tracks: _Group,
        albums: _Group,
        artists: _Group,
    ) -> None:
        self._tracks, self._albums, self._artists = tracks, albums, artists
        self._strings = _strings_bytes(vocabulary)
        self._ready = _ready_masks(tracks.index)
        # The words of names by length, for typos: a word is compared only with those of a
        # length it could become in the edits it may hold.
        self._names_by_length: dict[int, list[str]] = {}
        for word in sorted(set(albums.index.vocabulary) | set(artists.index.vocabulary)):
            if len(word) >= MIN_TYPO_LENGTH - 2:
                self._names_by_length.setdefault(len(word), []).append(word)

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def build(cls, conn: sqlite3.Connection) -> SearchIndex:
        """The index of the snapshot ``conn`` reads (call it inside a read transaction)."""
        index = cls._build(conn)
        give_back_freed_memory()  # what the build held meanwhile (80 MB at 500,000 tracks)
        return index

    @classmethod
    def _build(cls, conn: sqlite3.Connection) -> SearchIndex:
        """(:meth:`build`.)

        Each text column is read as one string and each distinct string kept once, never a
        Python row per track (500,000 of them would be 100 MB and seconds)."""
        count = _count(conn, AVAILABLE_TRACKS)  # (a track in Plex's trash is found by none)
        keys, album_keys, artist_keys, plays, rating = _track_numbers(conn, count)
        texts = _Texts()
        track_fields = texts.columns(
            conn, AVAILABLE_TRACKS, ("title", "artist", "album_artist", "album"), count
        )
        (album_keys_own,) = _int_columns(
            conn, "SELECT rating_key FROM albums ORDER BY rating_key", _count(conn, "albums"), 1
        )
        (artist_keys_own,) = _int_columns(
            conn, "SELECT rating_key FROM artists ORDER BY rating_key", _count(conn, "artists"), 1
        )
        album_fields = texts.columns(conn, "albums", ("title", "album_artist"), len(album_keys_own))
        (artist_names,) = texts.columns(conn, "artists", ("title",), len(artist_keys_own))
        vocabulary, indptr, words = texts.finish()

        title, artist, album_artist, album = track_fields
        # The album artist is most often the track's artist: only where it is not.
        other = np.flatnonzero(album_artist != artist)
        names: list[Field] = [(title, None), (artist, None), (album_artist[other], other)]
        size = len(vocabulary)
        tracks = _Group(
            keys,
            _WordIndex(
                vocabulary,
                _Postings.of(names, indptr, words, size, count),
                _Postings.of([(album, None)], indptr, words, size, count),
                count,
            ),
            _popularity(plays, rating),
        )

        def entity(
            own: Ints, owners: Ints, name: Positions, context: list[Positions], count_albums: bool
        ) -> _Group:
            at = _positions(own, owners)
            owned = at >= 0
            total_plays = np.bincount(at[owned], weights=plays[owned], minlength=len(own))
            best_rating = np.full(len(own), -1, dtype=np.int64)
            np.maximum.at(best_rating, at[owned], rating[owned])
            # Its own vocabulary: the words its names have, a few thousand of the library's.
            strings = np.concatenate([name, *context])
            spans = [words[indptr[s] : indptr[s + 1]] for s in np.unique(strings).tolist()]
            used = np.unique(np.concatenate(spans)) if spans else np.zeros(0, dtype=np.int32)
            local = np.zeros(len(vocabulary) + 1, dtype=np.int32)
            local[used] = np.arange(len(used), dtype=np.int32)
            mine = local[words]
            size = len(own)
            index = _WordIndex(
                [vocabulary[w] for w in used.tolist()],
                _Postings.of([(name, None)], indptr, mine, len(used), size),
                _Postings.of([(s, None) for s in context], indptr, mine, len(used), size),
                size,
            )
            run_together = _RunTogether(
                [
                    "".join(vocabulary[w] for w in words[indptr[s] : indptr[s + 1]].tolist())
                    for s in name.tolist()
                ]
            )
            popularity = _popularity(total_plays.astype(np.int64), best_rating)
            # Its tracks, and the albums they are on (as browse.py counts them, unfiltered).
            tracks = np.bincount(at[owned], minlength=len(own)).astype(np.int32)
            albums = (
                _distinct_albums(at, album_keys, len(own))
                if count_albums
                else np.minimum(tracks, 1).astype(np.int32)
            )
            return _Group(own, index, popularity, run_together, (tracks, albums))

        albums = entity(album_keys_own, album_keys, album_fields[0], album_fields[1:], False)
        artists = entity(artist_keys_own, artist_keys, artist_names, [], True)
        return cls(vocabulary, tracks, albums, artists)

    # --- reading ---------------------------------------------------------------------------------

    @property
    def tracks(self) -> int:
        return self._tracks.index.size

    def counts(self, kind: str, key: int) -> tuple[int, int]:
        """An album's (``kind`` "albums") or album artist's ("artists") tracks, and the albums
        they are on (an album: 1); (0, 0) for none."""
        return (self._albums if kind == "albums" else self._artists).counts_of(key)

    @property
    def nbytes(self) -> int:
        """Bytes this index holds (arrays, and the Python strings of its vocabularies)."""
        ready = sum(mask.nbytes for mask in self._ready.values())
        lists = sum(sys.getsizeof(words) for words in self._names_by_length.values())
        groups = self._tracks.nbytes + self._albums.nbytes + self._artists.nbytes
        return self._strings + groups + ready + lists

    def matching(self, words: tuple[str, ...]) -> Ints:
        """Rating keys, ascending, of the tracks where every one of ``words`` (folded, as
        ``search_words`` gives them) begins a word of the title, artist, album artist or album.
        """
        keys = self._tracks.keys
        if not words:
            return keys.copy()
        found: npt.NDArray[np.bool_] | None = None
        for word in sorted(words, key=len, reverse=True):  # the narrowest first, usually
            mask = self._mask(word)
            found = mask if found is None else np.logical_and(found, mask, out=found)
            if not found.any():
                return np.zeros(0, dtype=np.int64)
        assert found is not None
        return keys[np.flatnonzero(found)]

    def _mask(self, word: str) -> npt.NDArray[np.bool_]:
        index = self._tracks.index
        ready = self._ready.get(word)
        if ready is not None:
            return np.unpackbits(ready, count=index.size).view(np.bool_)
        mask = np.zeros(index.size, dtype=np.bool_)
        lo, hi, _ = index.prefix(word)
        if lo < hi:
            for postings in index.classes.values():
                mask[postings.slice(lo, hi)] = True
        return mask

    def search(self, q: str, limit: int) -> SearchHits:
        """The artists, albums and tracks ``q`` finds, best first, at most ``limit`` of each."""
        words = search_words(q)[:MAX_WORDS]
        if not words or limit < 1:
            return SearchHits()
        search = _Search(words, _run_together(q), lambda: self._typos(words))
        artists, albums, tracks = (
            [int(group.keys[item]) for item in group.best(search, limit).items()]
            for group in (self._artists, self._albums, self._tracks)
        )
        return SearchHits(artists, albums, tracks)

    def _typos(self, words: tuple[str, ...]) -> dict[str, list[str]]:
        """What each word that is no word of the library may be a typo of, among the names."""
        typos: dict[str, list[str]] = {}
        for word in words:
            allowed = typo_distance(word)
            if not allowed or self._tracks.index.exact(word) is not None:
                continue  # a word of the library is taken as typed
            candidates = [
                w
                for length in range(len(word) - allowed, len(word) + allowed + 1)
                for w in self._names_by_length.get(length, ())
            ]
            found = process.extract(
                word, candidates, scorer=OSA.distance, score_cutoff=allowed, limit=TYPO_CHOICES
            )
            if found:
                typos[word] = [choice for choice, _, _ in found]
        return typos


MAX_WORDS = 10


def search_index(conn: sqlite3.Connection) -> SearchIndex:
    """The index of the snapshot ``conn`` reads, built by the first to ask (then shared)."""
    return for_snapshot(conn, "search", SearchIndex.build)


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _track_numbers(conn: sqlite3.Connection, count: int) -> list[Ints]:
    """Each track's key, album's and artist's keys, plays and rating (-1: none)."""
    (widest,) = conn.execute(
        "SELECT max((SELECT max(rating_key) FROM albums), (SELECT max(rating_key) FROM artists))"
    ).fetchone()
    if (widest or 0) < 2**31:
        # Two numbers packed in one (a value from SQLite costs more than the arithmetic).
        keys, owners, played = _int_columns(
            conn,
            f"""SELECT rating_key, (coalesce(album_key, 0) << 32) | coalesce(artist_key, 0),
                      (view_count << 5) | (coalesce(user_rating, -1) + 1)
               FROM {AVAILABLE_TRACKS} ORDER BY rating_key""",
            count,
            3,
        )
        return [keys, owners >> 32, owners & 0xFFFFFFFF, played >> 5, (played & 31) - 1]
    return _int_columns(
        conn,
        f"""SELECT rating_key, coalesce(album_key, 0), coalesce(artist_key, 0), view_count,
                  coalesce(user_rating, -1) FROM {AVAILABLE_TRACKS} ORDER BY rating_key""",
        count,
        5,
    )


def _int_columns(conn: sqlite3.Connection, sql: str, rows: int, width: int) -> list[Ints]:
    """The integer columns of a query, streamed into arrays (no Python row kept)."""
    flat = np.fromiter(itertools.chain.from_iterable(conn.execute(sql)), np.int64, rows * width)
    table = flat.reshape(rows, width)
    return [np.ascontiguousarray(table[:, i]) for i in range(width)]


def _distinct_albums(owners: Ints, album_keys: Ints, size: int) -> Positions:
    """Per owner (-1: none), the distinct albums (key 0: none) of its tracks."""
    on = (owners >= 0) & (album_keys > 0)
    owner, album = owners[on], album_keys[on]
    order = np.lexsort((album, owner))
    owner, album = owner[order], album[order]
    first = np.ones(len(owner), dtype=np.bool_)
    first[1:] = (owner[1:] != owner[:-1]) | (album[1:] != album[:-1])
    return np.bincount(owner[first], minlength=size).astype(np.int32)


def _positions(keys: Ints, owned: Ints) -> Ints:
    """Where each of ``owned`` is in the sorted ``keys``, -1 for a key not there."""
    if len(keys) == 0:
        return np.full(len(owned), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, owned), len(keys) - 1)
    return np.where(keys[at] == owned, at, -1)


def _ready_masks(index: _WordIndex) -> dict[str, npt.NDArray[np.uint8]]:
    """Packed masks of the one- and two-letter prefixes that many tracks hold."""
    ready: dict[str, npt.NDArray[np.uint8]] = {}
    heavy = max(int(index.size * READY_MASK_SHARE), 1)
    firsts = sorted({w[:1] for w in index.vocabulary} | {w[:2] for w in index.vocabulary})
    for prefix in firsts:
        lo, hi, _ = index.prefix(prefix)
        postings = sum(int(p.indptr[hi] - p.indptr[lo]) for p in index.classes.values())
        if postings >= heavy:
            mask = np.zeros(index.size, dtype=np.bool_)
            for p in index.classes.values():
                mask[p.slice(lo, hi)] = True
            ready[prefix] = np.packbits(mask)
    return ready
