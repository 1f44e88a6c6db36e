"""The requests of the ``engine`` benchmark: what a person clicking through the library asks for.

Every request is new to the app: its filter (or rule, or search text) has not been asked for
before in the run, under any endpoint, so no answer remembered per filter, per order or per
search can serve it — only the engine itself. Within that, the mix covers what issue 19 names:
random orders with new seeds, deep offsets, every sort, broad searches (one or two letters,
common words), tag filters of several values, and rules of about twenty conditions.

The names in the requests (tags, artists, titles, decades) are read from the app first, so the
filters match real tracks and the engine has real work to do.
"""

from __future__ import annotations

import json
import random
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

# The rule language's fields by type (issue 19); `country` once declared in cache/tags.py.
TAG_FIELDS = ("genre", "style", "mood", "album_type", "label", "artist", "country")
TEXT_FIELDS = ("title", "album", "album_artist")
NUMBER_FIELDS = ("year", "rating", "plays", "duration")
DATE_FIELDS = ("added", "last_played")
ALL_FIELDS = (*TAG_FIELDS, "decade", *TEXT_FIELDS, *NUMBER_FIELDS, *DATE_FIELDS, "live")
PLAYLIST_FIELD = "playlist"

TAG_OPS = ("is", "is_not", "any_of", "none_of", "all_of", "is_empty", "is_not_empty")
TEXT_OPS = ("is", "is_not", "contains", "not_contains", "starts_with")
NUMBER_OPS = ("is", "is_not", "lt", "le", "gt", "ge", "between", "is_empty")
DATE_OPS = ("in_last_days", "not_in_last_days", "before", "after", "is_empty")
# Operators that keep little of the library, whatever the field.
NARROW_OPS = frozenset({"is", "any_of", "all_of", "contains", "starts_with", "between"})

LIST_ENDPOINTS = ("tracks", "albums", "artists")
# What each request exercises, for the breakdown by kind.
KINDS = ("tags", "rule", "rule20", "random", "deep", "sort", "text")
MAX_TRIES = 200  # to draw a request not asked for before


@dataclass(frozen=True, slots=True)
class Features:
    """What the app answers: today's main lacks the rule language and /api/search."""

    rules: bool = False  # the `rule` parameter (GET) is read, not ignored
    query_post: bool = False  # POST /api/tracks/query
    search: bool = False  # GET /api/search
    fields: frozenset[str] = frozenset()  # the rule fields the app accepts
    asked: frozenset[str] = frozenset()  # identities of the requests its probes made


@dataclass(slots=True)
class Vocabulary:
    """Names and figures of the library, read from the app before any request is timed."""

    tags: dict[str, list[str]]  # rule field → names, commonest first
    decades: list[str]
    titles: dict[str, list[str]]  # text field → values seen (track titles, albums, artists)
    words: list[str]  # whole words of titles and names, commonest first
    prefixes: list[str]  # one- and two-letter starts of words, commonest first
    sorts: list[str]
    totals: dict[str, int]  # endpoint → length of its unfiltered list
    playlists: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Request:
    endpoint: str  # tracks, albums, artists, stats, search, query (POST /api/tracks/query)
    kind: str
    params: dict[str, Any]
    body: dict[str, Any] | None = None
    # What makes it new: the filter, rule or search text (paging and order left out, so that
    # no two requests share a filter even on different pages or sorts).
    identity: str = ""

    @property
    def path(self) -> str:
        if self.endpoint == "query":
            return "/api/tracks/query"
        if self.endpoint == "stats":
            return "/api/library/stats"
        return f"/api/{self.endpoint}"

    def send(self, http: httpx.Client) -> httpx.Response:
        if self.body is not None:
            return http.post(self.path, json=self.body)
        return http.get(self.path, params=self.params)

    def describe(self) -> str:
        shown = self.body if self.body is not None else self.params
        return f"{'POST' if self.body else 'GET'} {self.path} {json.dumps(shown)[:400]}"


def encode(rule: dict[str, Any]) -> str:
    return json.dumps(rule, separators=(",", ":"), ensure_ascii=False)


# --- reading the library's names ---------------------------------------------------------------


def read_vocabulary(http: httpx.Client, rng: random.Random, playlists: list[int]) -> Vocabulary:
    declared = get(http, "/api/filters")
    stats = get(http, "/api/library/stats", exclude_live="false")
    tags = {
        kind: [v["name"] for v in get(http, f"/api/library/facets/{kind}", limit=500)["values"]]
        for kind in declared["facet_kinds"]
    }
    tracks = get(http, "/api/tracks", sort="random", seed=rng.randrange(2**31), limit=1000)
    albums = get(http, "/api/albums", sort="random", seed=rng.randrange(2**31), limit=1000)
    artists = get(http, "/api/artists", limit=1000)
    titles = {
        "title": [t["title"] for t in tracks["tracks"]],
        "album": [a["title"] for a in albums["albums"]],
        "album_artist": [a["title"] for a in artists["artists"]],
    }
    tags.setdefault("artist", titles["album_artist"])
    words, prefixes = common_words([text for values in titles.values() for text in values])
    return Vocabulary(
        tags={kind: names for kind, names in tags.items() if names},
        decades=[d["name"] for d in stats["decades"]],
        titles=titles,
        words=words,
        prefixes=prefixes,
        sorts=declared["sorts"],
        totals={
            "tracks": tracks["total"],
            "albums": albums["total"],
            "artists": artists["total"],
        },
        playlists=playlists,
    )


def common_words(texts: list[str]) -> tuple[list[str], list[str]]:
    """Whole words (three letters or more) and one- and two-letter word starts, commonest
    first: the broadest searches a person types."""
    words: Counter[str] = Counter()
    for text in texts:
        words.update(w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split())
    starts: Counter[str] = Counter()
    for word, count in words.items():
        starts[word[:1]] += count
        if len(word) >= 2:
            starts[word[:2]] += count
    whole = [w for w, _ in words.most_common() if len(w) >= 3]
    return whole, [s for s, _ in starts.most_common()]


def get(http: httpx.Client, path: str, **params: Any) -> Any:
    response = http.get(path, params=params)
    response.raise_for_status()
    return response.json()


# --- rules ---------------------------------------------------------------------------------------


class Rules:
    """Random conditions and rules over the library's own names."""

    def __init__(self, rng: random.Random, vocabulary: Vocabulary, fields: frozenset[str]):
        self.rng = rng
        self.vocabulary = vocabulary
        self.fields = sorted(
            f
            for f in fields
            if (f not in TAG_FIELDS or f in vocabulary.tags)
            and (f != PLAYLIST_FIELD or vocabulary.playlists)
        )

    def condition(self, field_name: str | None = None) -> dict[str, Any]:
        name = field_name or self.rng.choice(self.fields)
        return self._maker(name)(name)

    def broad(self) -> dict[str, Any]:
        """A condition that leaves out little of the library (one artist, a year, an uncommon
        word…), with new values each time: deep offsets stay inside such a list."""
        rng, tags, titles = self.rng, self.vocabulary.tags, self.vocabulary.titles
        uncommon = self.vocabulary.words[100:] or self.vocabulary.words
        makers: dict[str, Callable[[], Any]] = {
            "artist": lambda: ("is_not", rng.choice(tags["artist"])),
            "genre": lambda: ("none_of", rng.sample(tags["genre"], min(2, len(tags["genre"])))),
            "label": lambda: ("is_not", rng.choice(tags["label"])),
            "album": lambda: ("is_not", rng.choice(titles["album"])),
            "title": lambda: ("not_contains", rng.choice(uncommon)),
            "year": lambda: ("is_not", rng.randint(1950, 2026)),
            "rating": lambda: ("is_not", rng.randint(1, 10)),
            "plays": lambda: ("is_not", rng.randint(1, 30)),
            "duration": lambda: ("gt", rng.randint(1, 30)),
            "added": lambda: ("not_in_last_days", rng.randint(1, 30)),
            "last_played": lambda: ("not_in_last_days", rng.randint(1, 30)),
            "decade": lambda: ("is_not", rng.choice(self.vocabulary.decades)),
        }
        usable = [f for f in makers if f in self.fields and (f not in TAG_FIELDS or f in tags)]
        if not usable:
            return {"field": "live", "op": "is", "value": False}
        name = rng.choice(usable)
        op, value = makers[name]()
        return {"field": name, "op": op, "value": value}

    def narrow(self) -> dict[str, Any]:
        """A condition that keeps little of the library (under a `not`, it leaves out little)."""
        for _ in range(MAX_TRIES):
            cond = self.condition()
            if cond["op"] in NARROW_OPS:
                break
        return cond

    def broads(self, count: int) -> list[dict[str, Any]]:
        """``count`` different broad conditions (a rule repeating one would be a smaller rule)."""
        found: dict[str, dict[str, Any]] = {}
        for _ in range(MAX_TRIES):
            if len(found) == count:
                break
            cond = self.broad()
            found.setdefault(encode(cond), cond)
        return list(found.values())

    def _maker(self, name: str) -> Callable[[str], dict[str, Any]]:
        if name in TAG_FIELDS or name == "decade":
            return self._tag
        if name in TEXT_FIELDS:
            return self._text
        if name in NUMBER_FIELDS:
            return self._number
        if name in DATE_FIELDS:
            return self._date
        if name == PLAYLIST_FIELD:
            return self._playlist
        return lambda _: {"field": "live", "op": "is", "value": self.rng.random() < 0.2}

    def _names(self, name: str) -> list[str]:
        return self.vocabulary.decades if name == "decade" else self.vocabulary.tags[name]

    def _tag(self, name: str) -> dict[str, Any]:
        op = self.rng.choice(TAG_OPS)
        names = self._names(name)
        if op in ("is_empty", "is_not_empty"):
            return {"field": name, "op": op}
        if op in ("is", "is_not"):
            return {"field": name, "op": op, "value": self.rng.choice(names)}
        most = 2 if op == "all_of" else 5
        values = self.rng.sample(names, min(len(names), self.rng.randint(2, most)))
        return {"field": name, "op": op, "value": values}

    def _text(self, name: str) -> dict[str, Any]:
        op = self.rng.choice(TEXT_OPS)
        if op in ("is", "is_not"):
            return {"field": name, "op": op, "value": self.rng.choice(self.vocabulary.titles[name])}
        if op == "starts_with":
            return {
                "field": name,
                "op": op,
                "value": self.rng.choice(self.vocabulary.prefixes[:60]),
            }
        pool = self.vocabulary.words[:100] + self.vocabulary.prefixes[:40]
        return {"field": name, "op": op, "value": self.rng.choice(pool)}

    def _number(self, name: str) -> dict[str, Any]:
        lo, hi = {"year": (1950, 2026), "rating": (0, 10), "plays": (0, 30), "duration": (30, 900)}[
            name
        ]
        op = self.rng.choice(NUMBER_OPS)
        if op == "is_empty":
            return {"field": name, "op": op}
        a, b = sorted(self.rng.randint(lo, hi) for _ in range(2))
        return {"field": name, "op": op, "value": [a, b] if op == "between" else a}

    def _date(self, name: str) -> dict[str, Any]:
        op = self.rng.choice(DATE_OPS)
        if op == "is_empty":
            return {"field": name, "op": op}
        if op in ("in_last_days", "not_in_last_days"):
            return {"field": name, "op": op, "value": self.rng.choice([1, 7, 30, 90, 365, 3650])}
        year, month, day = (
            self.rng.randint(2000, 2026),
            self.rng.randint(1, 12),
            self.rng.randint(1, 28),
        )
        return {"field": name, "op": op, "value": f"{year}-{month:02}-{day:02}"}

    def _playlist(self, name: str) -> dict[str, Any]:
        ids = self.vocabulary.playlists
        op = self.rng.choice(["is", "any_of", "none_of"])
        if op == "is":
            return {"field": name, "op": op, "value": self.rng.choice(ids)}
        return {"field": name, "op": op, "value": self.rng.sample(ids, min(len(ids), 3))}

    def small(self) -> dict[str, Any]:
        """A rule as a few clicks make it: one to four conditions, sometimes one `any`."""
        conditions = [self.condition() for _ in range(self.rng.randint(1, 4))]
        if len(conditions) == 1:
            return conditions[0]
        return {self.rng.choice(["all", "all", "any"]): conditions}

    def large(self, size: int = 20) -> dict[str, Any]:
        """About ``size`` conditions, nested three deep: broad conditions ANDed at the top, two
        `any` groups of narrower ones (one holding an `all`), and a `not`. As people write long
        rules ("not live, not this artist, not Christmas…, and any of these genres"): with
        twenty random conditions ANDed, nearly every answer would be empty."""
        broad = self.broads(size // 2 - 2)
        narrow = [self.condition() for _ in range(size - len(broad) - 2)]
        half = len(narrow) // 2
        inner = {"all": [self.condition(), broad.pop()]}
        return {
            "all": [
                *broad,
                {"any": [*narrow[:half], inner]},
                {"any": narrow[half:]},
                {"not": self.narrow()},
            ]
        }


def count_conditions(rule: dict[str, Any]) -> int:
    for group in ("all", "any"):
        if group in rule:
            return sum(count_conditions(r) for r in rule[group])
    return count_conditions(rule["not"]) if "not" in rule else 1


# --- requests ------------------------------------------------------------------------------------


class Workload:
    """Draws requests, each with a filter, rule or search text not asked for before."""

    def __init__(self, rng: random.Random, vocabulary: Vocabulary, features: Features):
        self.rng = rng
        self.vocabulary = vocabulary
        self.features = features
        self.rules = Rules(rng, vocabulary, features.fields) if features.rules else None
        self.seen: set[str] = set(features.asked)
        self._sorts = list(vocabulary.sorts)

    def kinds(self) -> list[str]:
        """The kinds of list request the app can answer."""
        return [k for k in KINDS if self.rules or not k.startswith("rule")]

    def draw(self, endpoint: str, kind: str) -> Request:
        """A new request of ``endpoint`` exercising ``kind``."""
        for _ in range(MAX_TRIES):
            request = self._make(endpoint, kind)
            if request.identity not in self.seen:
                self.seen.add(request.identity)
                return request
        raise RuntimeError(f"no new {kind} request for {endpoint} in {MAX_TRIES} tries")

    def _make(self, endpoint: str, kind: str) -> Request:
        if endpoint == "search":
            return self._search(kind)
        flt, rule = self._filter(kind)
        # A search text is new across endpoints (an engine may remember a text's matches).
        identity = f"q:{flt['q']}" if "q" in flt else encode({"filter": flt, "rule": rule})
        if endpoint == "stats":
            params = {**flt, **({"rule": encode(rule)} if rule else {})}
            if self.rng.random() < 0.3:  # the page's two open sections, else every facet
                params["facets"] = ["genres", "decades"]
            return Request("stats", kind, params, identity=identity)
        paging = self._paging(endpoint if endpoint != "query" else "tracks", kind)
        if endpoint == "query":
            body = {"rule": rule, **paging}
            return Request("query", kind, {}, body=body, identity=identity)
        params = {**flt, **paging, **({"rule": encode(rule)} if rule else {})}
        return Request(endpoint, kind, params, identity=identity)

    def _paging(self, endpoint: str, kind: str) -> dict[str, Any]:
        roll = self.rng.random()
        if kind == "random":
            sort = "random"
        elif kind == "sort":
            sort = self._next_sort()
        else:
            sort = "random" if roll < 0.3 else self._next_sort() if roll < 0.7 else "default"
        paging: dict[str, Any] = {"sort": sort, "limit": self.rng.choice([50, 100, 100, 250])}
        # Deep into a list, where only the broad filters (random, deep, sort) keep nearly the
        # whole library: a deep page of another filter would be past its end.
        deep = kind == "deep" or (kind in ("random", "sort") and self.rng.random() < 0.5)
        total = self.vocabulary.totals[endpoint]
        paging["offset"] = (
            self.rng.randrange(total // 2, max(total * 9 // 10, total // 2 + 1)) if deep else 0
        )
        if sort == "random":
            paging["seed"] = self.rng.randrange(2**31 - 1)
        return paging

    def _next_sort(self) -> str:
        """Every sort in turn, so that each is timed."""
        sort = self._sorts.pop(0)
        self._sorts.append(sort)
        return sort

    def _filter(self, kind: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Query parameters (today's filters) and a rule, for a request of ``kind``."""
        if kind == "tags":
            return self._tag_params(), None
        if kind == "text":
            return {"q": self._search_text(), "exclude_live": self._live()}, None
        if kind in ("rule", "rule20"):
            assert self.rules is not None
            return {}, self.rules.small() if kind == "rule" else self.rules.large()
        return self._broad(), None  # random, deep, sort: nearly the whole library

    def _tag_params(self) -> dict[str, Any]:
        """Tag filters of several values (any of them matches), as the page's chips make."""
        tags = self.vocabulary.tags
        params: dict[str, Any] = {"exclude_live": self._live()}
        kinds = [k for k in ("genre", "style", "mood", "label") if k in tags]
        chosen = self.rng.sample(kinds, k=min(len(kinds), self.rng.randint(1, 2)))
        for kind in chosen:
            params[kind] = self.rng.sample(tags[kind], min(len(tags[kind]), self.rng.randint(2, 4)))
        if self.rng.random() < 0.3:
            decades = self.vocabulary.decades
            params["decade"] = self.rng.sample(decades, min(2, len(decades)))
        if self.rng.random() < 0.2:
            params["min_rating"] = self.rng.choice([2, 6, 8])
        return params

    def _broad(self) -> dict[str, Any]:
        """A filter that leaves out little (an artist or two, a genre) but is new each time,
        with the rule language when there is one."""
        if self.rules is not None and self.rng.random() < 0.7:
            rule = {"all": self.rules.broads(self.rng.randint(1, 3))}
            return {"rule": encode(rule), "exclude_live": self._live()}
        tags = self.vocabulary.tags
        params: dict[str, Any] = {
            "exclude_live": self._live(),
            "exclude_artist": self.rng.sample(tags["artist"], self.rng.randint(1, 2)),
        }
        if "genre" in tags and self.rng.random() < 0.5:
            params["exclude_genre"] = [self.rng.choice(tags["genre"])]
        return params

    def _live(self) -> str:
        return self.rng.choice(["true", "true", "false"])

    def _search_text(self) -> str:
        """A broad search: one or two letters, a common word, or a word and a letter."""
        roll = self.rng.random()
        if roll < 0.4:
            return self.rng.choice(self.vocabulary.prefixes[:80])
        if roll < 0.7:
            return self.rng.choice(self.vocabulary.words[:200])
        word = self.rng.choice(self.vocabulary.words[:100])
        return f"{word} {self.rng.choice(string.ascii_lowercase)}"

    def _search(self, kind: str) -> Request:
        text = self._typo() if kind == "typo" else self._search_text()
        limit = self.rng.choice([5, 10, 10, 20, 50])
        return Request("search", kind, {"q": text, "limit": limit}, identity=f"q:{text}")

    def _typo(self) -> str:
        """A name typed wrong: two letters swapped, or its punctuation and spaces left out."""
        name = self.rng.choice(self.vocabulary.tags["artist"] + self.vocabulary.titles["album"])
        if self.rng.random() < 0.5:
            return "".join(c for c in name.lower() if c.isalnum())
        letters = list(name.lower())
        if len(letters) > 3:
            i = self.rng.randrange(len(letters) - 1)
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        return "".join(letters)

    def broad_searches(self, count: int) -> list[str]:
        """``count`` broad search texts never asked before: one and two letters first, then
        common words, then a word and a letter."""
        texts: list[str] = []
        pool = [*self.vocabulary.prefixes, *self.vocabulary.words]
        pool += [f"{w} {c}" for w in self.vocabulary.words[:50] for c in string.ascii_lowercase]
        for text in pool:
            if len(texts) == count:
                break
            if f"q:{text}" not in self.seen:
                self.seen.add(f"q:{text}")
                texts.append(text)
        if len(texts) < count:
            raise RuntimeError(f"only {len(texts)} distinct broad searches in this library")
        return texts
