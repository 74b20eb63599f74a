"""``config.wsgi.DrainUnreadBody``: a body the app left unread is read before the socket closes."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from config.wsgi import DrainUnreadBody


class Source(io.BytesIO):
    """A server's input stream: whatever follows the body (the next request) must stay."""


def refuse_unread(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("401 Unauthorized", [("Content-Type", "text/plain")])
    return [b"no token"]


def read_half(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]) // 2)
    start_response("200 OK", [])
    return [b"ok"]


def call(app: Any, body: bytes, trailing: bytes = b"", **environ: str) -> tuple[list[bytes], Source]:
    source = Source(body + trailing)
    result = app({"wsgi.input": source, "CONTENT_LENGTH": str(len(body)), **environ}, lambda *a: None)
    chunks = list(result)
    result.close()
    return chunks, source


def test_an_unread_body_is_read_to_its_end_and_no_further() -> None:
    chunks, source = call(DrainUnreadBody(refuse_unread), b"x" * 300_000, trailing=b"NEXT")
    assert chunks == [b"no token"]
    assert source.read() == b"NEXT"


def test_what_the_app_read_is_not_read_twice() -> None:
    chunks, source = call(DrainUnreadBody(read_half), b"y" * 1000, trailing=b"NEXT")
    assert chunks == [b"ok"]
    assert source.read() == b"NEXT"


def test_a_body_over_the_limit_is_left_after_the_limit() -> None:
    _chunks, source = call(DrainUnreadBody(refuse_unread, limit=100), b"z" * 1000)
    assert len(source.read()) == 900


def test_no_content_length_means_nothing_is_read() -> None:
    source = Source(b"keep-alive bytes")
    result = DrainUnreadBody(refuse_unread)({"wsgi.input": source}, lambda *a: None)
    assert list(result) == [b"no token"]
    assert source.read() == b"keep-alive bytes"
    source = Source(b"junk")
    DrainUnreadBody(refuse_unread)({"wsgi.input": source, "CONTENT_LENGTH": "abc"}, lambda *a: None)
    assert source.read() == b"junk"
