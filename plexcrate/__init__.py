"""plexcrate: a fast local mirror of a Plex music library."""

__version__ = "0.1.0"
