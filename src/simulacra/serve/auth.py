"""The service's token: read from a file, checked on every request in constant time.

Every path but the public ones (:data:`PUBLIC_PATHS`: health and the OpenAPI document) needs
``Authorization: Bearer <token>``; anything else gets 401 with ``WWW-Authenticate: Bearer``
before the request is routed or its body parsed, so an unknown path or a malformed body tells
a caller without the token nothing. The comparison is :func:`hmac.compare_digest`.

>>> check_token("s3cret-token-0123456789")
's3cret-token-0123456789'
>>> check_token("short")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
simulacra.errors.ParameterError: the token is 5 characters long; use at least 16 (e.g. ...
"""

from __future__ import annotations

import hmac
import json
import os
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulacra.errors import ParameterError

#: Shortest token accepted.
MIN_TOKEN_LENGTH = 16
#: Largest token file read.
MAX_TOKEN_FILE_BYTES = 4096
#: Paths any caller may reach.
PUBLIC_PATHS = frozenset({"/healthz", "/openapi.json"})
_HINT = '(e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"`)'


def check_token(token: str) -> str:
    """``token`` if it can serve as the service's token (printable ASCII, no spaces, at least
    :data:`MIN_TOKEN_LENGTH` characters), else a clear error that does not repeat it."""
    if not token:
        raise ParameterError(f"the token is empty; put a random token in the file {_HINT}")
    if len(token) < MIN_TOKEN_LENGTH:
        raise ParameterError(f"the token is {len(token)} characters long; use at least "
                             f"{MIN_TOKEN_LENGTH} {_HINT}")
    if not all("!" <= c <= "~" for c in token):
        raise ParameterError("the token may hold only printable ASCII characters without "
                             f"spaces (an HTTP header carries it) {_HINT}")
    return token


def read_token_file(path: str | Path, *, warn: Callable[[str], Any] | None = None) -> str:
    """The token in ``path`` (surrounding whitespace stripped), checked by :func:`check_token`.

    On POSIX a file that other users may read or write is refused (``chmod 600 FILE``); one
    its group may read or write is accepted with a warning, given to ``warn`` (default:
    :func:`warnings.warn`).
    """
    path = Path(path)
    try:
        info = path.stat()
        with open(path, "rb") as fh:
            data = fh.read(MAX_TOKEN_FILE_BYTES + 1)
    except OSError as err:
        raise ParameterError(f"cannot read the token file {str(path)!r}: "
                             f"{err.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ParameterError(f"the token file {str(path)!r} is not a regular file")
    if len(data) > MAX_TOKEN_FILE_BYTES:
        raise ParameterError(f"the token file {str(path)!r} is larger than "
                             f"{MAX_TOKEN_FILE_BYTES:,} bytes; it should hold one token")
    if os.name == "posix":
        if info.st_mode & (stat.S_IROTH | stat.S_IWOTH):
            raise ParameterError(f"the token file {str(path)!r} may be read or written by "
                                 f"other users (mode {stat.S_IMODE(info.st_mode):o}); "
                                 f"run `chmod 600 {path}`")
        if info.st_mode & (stat.S_IRGRP | stat.S_IWGRP):
            message = (f"the token file {str(path)!r} may be read by its group; "
                       f"`chmod 600 {path}` keeps it to its owner")
            if warn is None:
                warnings.warn(message, stacklevel=2)
            else:
                warn(message)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ParameterError(f"the token file {str(path)!r} holds bytes that are not ASCII; "
                             f"the token must be printable ASCII {_HINT}") from None
    return check_token(text.strip())


def token_matches(header: bytes | None, token: bytes) -> bool:
    """Whether an ``Authorization`` header value carries ``token`` as a Bearer token
    (scheme case-insensitive; compared in constant time).

    >>> token_matches(b"Bearer abc", b"abc"), token_matches(b"bearer  abc", b"abc")
    (True, True)
    >>> token_matches(b"Basic abc", b"abc"), token_matches(None, b"abc")
    (False, False)
    """
    if header is None:
        return False
    scheme, _, given = header.partition(b" ")
    if scheme.lower() != b"bearer":
        return False
    return hmac.compare_digest(given.strip(b" "), token)


class BearerAuth:
    """ASGI middleware: 401 for a request without the token, on every non-public path."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token.encode("ascii")

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        header = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                header = value
                break
        if token_matches(header, self.token):
            await self.app(scope, receive, send)
            return
        detail = ("missing token: send 'Authorization: Bearer <token>'" if header is None
                  else "invalid token")
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b'Bearer realm="simulacra"')]})
        await send({"type": "http.response.body", "body": body})


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost")
    (True, True, True)
    >>> is_loopback("0.0.0.0"), is_loopback("example.org")
    (False, False)
    """
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

