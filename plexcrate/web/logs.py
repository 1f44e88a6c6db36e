"""Log configuration for ``plexcrate serve``: uvicorn's, plus our loggers and a saner access log.

The access log shows paths without their query strings (none of ours carries a secret, but a
filter list can be long and says nothing useful to an operator), and leaves out the successful
polls of the status and health endpoints, which the UI and container monitors make every second.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

QUIET_PATHS = frozenset({"/api/library/status", "/api/health"})


class AccessLogFilter(logging.Filter):
    """Strips query strings from uvicorn's access lines and drops successful polls."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn logs (client, method, path with query, http version, status).
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        client, method, full_path, version, status = args
        path = str(full_path).split("?", 1)[0]
        if path in QUIET_PATHS and isinstance(status, int) and status < 400:
            return False
        record.args = (client, method, path, version, status)
        return True


def log_config(level: str = "INFO") -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"access": {"()": AccessLogFilter}}
    config["handlers"]["access"]["filters"] = ["access"]
    config["loggers"]["plexcrate"] = {"handlers": ["default"], "level": level, "propagate": False}
    return config
