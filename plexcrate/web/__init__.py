"""The web app: the library API over the cache, its lifecycle, and the static UI.

Module map: ``app`` (the ``create_app`` factory and its lifespan), ``api`` (routes), ``params``
(query parameters), ``models`` (response bodies, hence /openapi.json), ``errors`` (JSON errors),
``service`` (status, the single sync runner), ``progress`` (a count that never goes back),
``watch`` (Plex probe, start and reconnect checks), ``reads`` (cache reads as JSON), ``threads``,
``logs`` and ``server`` (running under uvicorn).
"""
