"""What PMS tells its listeners as the library changes: ``timeline`` notifications.

Real servers push a ``NotificationContainer`` over ``/:/eventsource/notifications`` (or a
websocket) whenever an item is created, processed or deleted: each ``TimelineEntry`` names the
item (``itemID``), its section, its type (8 artist, 9 album, 10 track) and a ``state`` (0
created, 5 processed, 9 deleted). Ratings and plays send no timeline entry, nor do some edits
(art): a listener still needs polling as the fallback. See docs/reliability.md.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

CREATED, PROCESSED, DELETED = 0, 5, 9
TYPES = {"artist": 8, "album": 9, "track": 10}
LIBRARY = "com.plexapp.plugins.library"

Notification = dict[str, Any]


class Timeline:
    """Fans each batch of timeline entries out to every open notification stream."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[queue.SimpleQueue[Notification]] = []

    def subscribe(self) -> queue.SimpleQueue[Notification]:
        listener: queue.SimpleQueue[Notification] = queue.SimpleQueue()
        with self._lock:
            self._listeners.append(listener)
        return listener

    def unsubscribe(self, listener: queue.SimpleQueue[Notification]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def publish(self, entries: list[dict[str, Any]]) -> None:
        if not entries:
            return
        container = {
            "NotificationContainer": {
                "type": "timeline",
                "size": len(entries),
                "TimelineEntry": entries,
            }
        }
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.put(container)


def entry(kind: str, item: Any, state: int, now: int) -> dict[str, Any]:
    """One ``TimelineEntry`` for an artist, album or track, as PMS words it."""
    return {
        "identifier": LIBRARY,
        # Numbers, unlike the listings' string ratingKeys: clients declare them as integers
        # (go-plex-client's TimelineEntry, a .NET client's) and would fail on strings.
        "sectionID": item.section_id,
        "itemID": item.rating_key,
        "type": TYPES[kind],
        "title": item.title,
        "state": state,
        "metadataState": "deleted" if state == DELETED else "",
        "updatedAt": now,
    }
