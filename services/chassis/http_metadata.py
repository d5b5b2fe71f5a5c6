"""HTTP details a servicer chooses, sent to the gateway as response metadata (the grpc-gateway keys).

- ``x-http-code``: the HTTP status of a successful call, e.g. 201 for a create.
- ``content-disposition``: the Content-Disposition header of a ``google.api.HttpBody`` download.

Both travel as trailing metadata, merged with whatever the call already set there,
so a servicer can use both helpers in one call (initial metadata can only be sent once).
The gateway reads them from initial or trailing metadata and never shows them as headers.
"""

from __future__ import annotations

from urllib.parse import quote

import grpc

HTTP_CODE_KEY = "x-http-code"
CONTENT_DISPOSITION_KEY = "content-disposition"


def _add_trailing(context: grpc.ServicerContext, key: str, value: str) -> None:
    existing = [(k, v) for k, v in (context.trailing_metadata() or ()) if k != key]
    context.set_trailing_metadata((*existing, (key, value)))


def set_http_status(context: grpc.ServicerContext, status: int) -> None:
    """Answer this successful call with HTTP ``status`` (e.g. 201 Created) at the gateway."""
    if not 200 <= status <= 299:
        raise ValueError(f"x-http-code must be a 2xx status, not {status}")
    _add_trailing(context, HTTP_CODE_KEY, str(status))


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266 header value: an ASCII fallback name plus the exact UTF-8 name (RFC 5987)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def set_download_filename(context: grpc.ServicerContext, filename: str, *, inline: bool = False) -> None:
    """Name the file of this HttpBody download (Chinese names are fine)."""
    _add_trailing(context, CONTENT_DISPOSITION_KEY, content_disposition(filename, "inline" if inline else "attachment"))
