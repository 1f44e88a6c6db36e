"""Answers that are wrong in what they say rather than in how they arrive: a bogus count."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from plexcrate.simulator.messages import JSON, Response

_JSON_TOTAL = re.compile(rb'"totalSize":-?\d+')
_XML_TOTAL = re.compile(rb'totalSize="[^"]*"')


def with_total(response: Response, total: Any) -> Response:
    """``response`` with its container's ``totalSize`` replaced by ``total`` (any JSON value:
    5000000000, "abc", 0), as a confused or hostile server might send it."""
    if response.content_type == JSON:
        body = _JSON_TOTAL.sub(b'"totalSize":' + orjson.dumps(total), response.body, count=1)
    else:
        value = quoteattr(str(total)).encode()
        body = _XML_TOTAL.sub(b"totalSize=" + value, response.body, count=1)
    return Response(response.status, body, response.content_type, response.items, response.headers)
