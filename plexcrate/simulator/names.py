"""Word lists and name builders for the synthetic music library.

Everything here is a pure function of a ``random.Random`` so a library is reproducible from its
seed. The lists deliberately include the things that break naive clients: non-ASCII names, CJK,
and XML-special characters (``&``, ``<``, ``"``, ``'``).
"""

from __future__ import annotations

import random
import sys

# Artists that exercise encodings and escaping. They are handed out early (see
# ``SimLibrary.generate``) so even a small library contains every one of these shapes.
SPECIAL_ARTISTS: tuple[str, ...] = (
    "Sigur Rós",
    "Björk Guðmundsdóttir",
    "Mötley Crüe Tribute",
    "Simon & Garfunkel Revisited",
    "坂本 龍一",
    "<Angle> Brackets",
    'The "Quoted" Band',
    "Rock 'n' Roll Hoodlums",
    "Blue Öyster Kult",
    "Мумий Тролль",
    "방탄 Brothers",
    "Beyoncé Knowles Tribute",
    "Earth, Wind & Fyre",
    "AC/DC Cover Band",
    "Ólafur Arnalds Ensemble",
)

VARIOUS_ARTISTS = "Various Artists"

_ADJECTIVES = (
    "Electric", "Silent", "Golden", "Broken", "Velvet", "Crimson", "Neon", "Hollow", "Wild",
    "Frozen", "Burning", "Lonely", "Secret", "Atomic", "Midnight", "Paper", "Glass", "Iron",
    "Lucky", "Cosmic", "Quiet", "Savage", "Tender", "Rusty", "Solar", "Lunar", "Dusty", "Purple",
    "Hungry", "Sleepy", "Northern", "Southern", "Restless", "Gentle", "Static",
)  # fmt: skip
_NOUNS = (
    "Wolves", "Rivers", "Machines", "Echoes", "Horses", "Ghosts", "Shadows", "Engines", "Sparrows",
    "Lanterns", "Mountains", "Oceans", "Satellites", "Tigers", "Pilots", "Dreamers", "Strangers",
    "Saints", "Sirens", "Foxes", "Comets", "Orchids", "Bandits", "Vultures", "Monarchs",
    "Drifters", "Prophets", "Lovers", "Thieves", "Giants",
)  # fmt: skip
_FIRST = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Hugo", "Iris", "Jonas", "Karin",
    "Leo", "Maya", "Nils", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tove", "Ugo", "Vera",
    "Will", "Xenia", "Yusuf", "Zoë", "Amélie", "Søren", "José", "Mårten",
)  # fmt: skip
_LAST = (
    "Parker", "Lindqvist", "Moreau", "Okafor", "Tanaka", "Novak", "Fischer", "Rossi", "Kowalski",
    "Haddad", "Jensen", "García", "Müller", "O'Brien", "Nakamura", "Silva", "Dubois", "Byrne",
    "Costa", "Ivanova", "Larsen", "Quigley", "Adeyemi", "Brennan",
)  # fmt: skip
_SONG_WORDS = (
    "Love", "Night", "Fire", "Rain", "Heart", "Summer", "Road", "Light", "Dream", "River", "Stars",
    "Home", "Time", "Sky", "Blood", "Gold", "Money", "Dance", "Storm", "Ghost", "Morning", "City",
    "Train", "Window", "Mirror", "Garden", "Winter", "Sugar", "Smoke",
)  # fmt: skip
_VERBS = (
    "Chasing", "Holding", "Burning", "Falling", "Running", "Waiting", "Dancing", "Breaking",
    "Calling", "Losing", "Finding", "Riding", "Saving", "Leaving", "Fighting", "Counting",
)  # fmt: skip
# Studio titles that merely *contain* "live": a live-detector must not flag these.
TRICKY_STUDIO_TITLES: tuple[str, ...] = (
    "Live Wire",
    "Live and Let Die",
    "Live Through This",
    "Alive",
    "Deliver",
    "Live Forever",
    "Olive Tree",
    "Liverpool Drive",
    "Oblivion",
    "Living on a Prayer",
)
LIVE_ALBUM_TITLES: tuple[str, ...] = (
    "Live at Budokan",
    "Unplugged",
    "1977-05-08: Barton Hall",
    "Live in Berlin",
    "Live at the Royal Albert Hall",
    "Stop Making Noise (Live)",
    "Alive in Tokyo 1985",
    "Live from the Fillmore",
)
_LIVE_VENUES = ("Wembley", "Red Rocks", "the Apollo", "Glastonbury", "Montreux", "the BBC")

GENRES: tuple[str, ...] = (
    "Rock",
    "Pop",
    "Jazz",
    "Electronic",
    "Hip-Hop",
    "Classical",
    "Folk",
    "Metal",
    "R&B",
    "Soul",
    "Blues",
    "Country",
    "Reggae",
    "Punk",
    "Indie",
    "Alternative",
    "Ambient",
    "Soundtrack",
    "World",
    "Drum & Bass",
    "Singer/Songwriter",
)

STYLES: tuple[str, ...] = (
    "Indie Rock", "Shoegaze", "Dream Pop", "Post-Punk", "Synth-Pop", "Hard Bop", "Bebop",
    "Cool Jazz", "Techno", "House", "Trip-Hop", "Boom Bap", "Baroque", "Romantic",
    "Americana", "Doom Metal", "Thrash", "Neo-Soul", "Delta Blues", "Roots Reggae",
    "Hardcore Punk", "Krautrock", "Ambient Pop", "Lo-Fi", "Britpop", "Grunge",
)  # fmt: skip
MOODS: tuple[str, ...] = (
    "Melancholy", "Energetic", "Brooding", "Playful", "Reflective", "Aggressive", "Warm",
    "Dreamy", "Gritty", "Romantic", "Confident", "Bittersweet", "Nocturnal", "Rousing",
    "Wistful", "Tense", "Joyous", "Hypnotic",
)  # fmt: skip
COUNTRIES: tuple[str, ...] = (
    "United States", "United Kingdom", "Iceland", "Japan", "Germany", "France", "Brazil",
    "Nigeria", "Sweden", "South Korea",
)  # fmt: skip
LABELS: tuple[str, ...] = (
    "Warp", "Sub Pop", "Blue Note", "4AD", "Rough Trade", "Matador", "XL Recordings",
    "Domino", "Def Jam", "Motown", "Deutsche Grammophon", "ECM", "Island & Co.",
)  # fmt: skip

_CODECS: tuple[tuple[str, str, int], ...] = (
    # (container/extension, audioCodec, bitrate kbps)
    ("flac", "flac", 950),
    ("mp3", "mp3", 320),
    ("mp3", "mp3", 256),
    ("m4a", "aac", 256),
)


def codec_for(rating_key: int) -> tuple[str, str, int]:
    """Container, codec and bitrate for a track, derived from its key so nothing is stored."""
    return _CODECS[rating_key % len(_CODECS)]


def artist_name(rng: random.Random) -> str:
    """A plausible band or person name; interned because album/track rows repeat it."""
    shape = rng.random()
    if shape < 0.35:
        name = f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    elif shape < 0.65:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    elif shape < 0.8:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} & the {rng.choice(_NOUNS)}"
    elif shape < 0.9:
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    else:
        name = f"DJ {rng.choice(_ADJECTIVES)} {rng.choice(_SONG_WORDS)}"
    return sys.intern(name)


def album_title(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.3:
        return f"{rng.choice(_ADJECTIVES)} {rng.choice(_SONG_WORDS)}"
    if shape < 0.55:
        return f"{rng.choice(_VERBS)} {rng.choice(_NOUNS)}"
    if shape < 0.75:
        return f"The {rng.choice(_SONG_WORDS)} Sessions"
    if shape < 0.9:
        return rng.choice(_SONG_WORDS) + " & " + rng.choice(_SONG_WORDS)
    return f"{rng.choice(_SONG_WORDS)}, Vol. {rng.randint(1, 4)}"


def compilation_title(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.4:
        return f"Now That's What I Call {rng.choice(_SONG_WORDS)} {rng.randint(1, 99)}"
    if shape < 0.7:
        return f"Greatest Hits of the {rng.choice((50, 60, 70, 80, 90))}s"
    return f"{rng.choice(GENRES)} Classics, Vol. {rng.randint(1, 12)}"


def track_title(rng: random.Random) -> str:
    # A few thousand distinct values across hundreds of thousands of tracks: intern them.
    return sys.intern(_track_title(rng))


def _track_title(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.3:
        return f"{rng.choice(_VERBS)} {rng.choice(_SONG_WORDS)}"
    if shape < 0.55:
        return f"{rng.choice(_ADJECTIVES)} {rng.choice(_SONG_WORDS)}"
    if shape < 0.7:
        return rng.choice(_SONG_WORDS)
    if shape < 0.85:
        return f"{rng.choice(_SONG_WORDS)} of {rng.choice(_NOUNS)}"
    return f"{rng.choice(_SONG_WORDS)} in the {rng.choice(_SONG_WORDS)}"


def live_variant(rng: random.Random, title: str) -> str:
    """A live recording's title on a studio album, in the shapes real taggers produce."""
    shape = rng.randrange(4)
    if shape == 0:
        return f"{title} (Live)"
    if shape == 1:
        return f"{title} - Live at {rng.choice(_LIVE_VENUES)}"
    if shape == 2:
        return f"{title} [Live]"
    city = rng.choice(("Tokyo", "Paris", "Chicago"))
    return f"{title} (Live in {city} {rng.randint(1965, 2019)})"
