"""Deterministic artwork: small PNG images made with the standard library (zlib and struct).

Every album, artist and playlist with art gets a picture of its own (two colours split on a
diagonal, chosen from its path), so a client can tell one item's art from another's, and the
same path always gives the same bytes. A few items have no art at all, as on a real server
(an album ripped without a cover): :func:`has_art` says which.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

ORIGINAL_SIZE = 600  # pixels; what an item's thumb path serves untransformed
MAX_SIZE = 2000  # the largest picture the transcoder makes
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def has_art(rating_key: int) -> bool:
    """Whether the item has art: all but about one in seventeen, by rating key."""
    return rating_key % 17 != 5


def art_png(path: str, width: int, height: int) -> bytes:
    """The picture for ``path`` (an item's thumb path) at ``width`` × ``height`` pixels."""
    digest = hashlib.sha256(path.encode()).digest()
    first, second = digest[:3], digest[3:6]
    rows = []
    for y in range(height):
        split = round(width * (1 - y / height))  # the diagonal, top right to bottom left
        rows.append(first * split + second * (width - split))
    return encode_png(width, height, rows)


def padded(png: bytes, size: int) -> bytes:
    """``png`` grown to ``size`` bytes by a private ancillary chunk before IEND (still a
    valid PNG, the same picture): a heavy "thumbnail" as some servers send."""
    extra = size - len(png) - 12  # a chunk's length, type and CRC
    if extra < 0:
        return png
    end = len(png) - 12  # the IEND chunk
    return png[:end] + _chunk(b"plXc", bytes(extra)) + png[end:]


def encode_png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGB PNG of ``rows`` (``width * 3`` bytes each)."""
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (none) on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (_PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", zlib.compress(raw, 6)),
         _chunk(b"IEND", b""))
    )  # fmt: skip


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
