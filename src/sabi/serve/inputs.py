"""The query of a search request, read with a size cap and without buffering more than that.

Accepted, as trace.moe accepts them: a multipart upload (field ``image`` or ``file``), a raw
body (``image/*``, ``video/*``, ``application/octet-stream``), or ``?url=``; and, for older
clients that post JSON, ``{"image": "<base64 or data: URL>"}`` or ``{"url": "..."}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from sabi.errors import BadInput, NoInput, TooLarge

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries beside the file itself
SMALL_BODY = 64 * 1024  # JSON and form bodies without a file
FILE_FIELDS = ("image", "file")


@dataclass(frozen=True)
class Query:
    data: bytes | None = None
    url: str | None = None


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"the file is larger than {limit / 1_000_000:g} MB, the most sabi accepts")


async def read_query(request: Request, max_bytes: int, url: str | None = None) -> Query:
    """The query sent with ``request``; ``url`` is the ``?url=`` parameter, if any."""
    if request.method != "POST":
        return Query(url=url) if url else Query()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes * 4 // 3 + MULTIPART_OVERHEAD:
        raise too_large(max_bytes)
    raw_type, options = parse_options_header(request.headers.get("content-type", ""))
    ctype = raw_type.decode("latin-1").lower()
    if ctype == "multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise BadInput("the multipart upload has no boundary")
        data, fields = await _multipart(request, boundary, max_bytes)
        return _pick(data, url or fields.get("url"))
    if ctype == "application/json":  # base64 is 4/3 the size of the bytes it carries
        body = await _read(request, max_bytes * 4 // 3 + 1024, max_bytes)
        return _from_json(body, url, max_bytes)
    if ctype == "application/x-www-form-urlencoded":
        body = await _read(request, SMALL_BODY, max_bytes)
        form = parse_qs(body.decode("utf-8", "replace"))
        return _pick(None, url or next(iter(form.get("url", [])), None))
    body = await _read(request, max_bytes, max_bytes)
    return _pick(body or None, url)


def _pick(data: bytes | None, url: str | None) -> Query:
    if data:
        return Query(data=data)
    if url:
        return Query(url=url)
    return Query()


async def _read(request: Request, cap: int, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            if cap >= max_bytes:
                raise too_large(max_bytes)
            raise BadInput("the request body is too long for its type; upload the image as a file")
    return bytes(body)


def _from_json(body: bytes, url: str | None, max_bytes: int) -> Query:
    if not body.strip():
        return _pick(None, url)
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput("the JSON body cannot be read") from exc
    if not isinstance(doc, dict):
        raise BadInput('send JSON as {"image": "<base64>"} or {"url": "..."}')
    image = doc.get("image")
    if isinstance(image, str) and image:
        if image.startswith("data:"):
            image = image.partition(",")[2]
        try:
            data = base64.b64decode(image, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise BadInput("the image in the JSON body is not valid base64") from exc
        if len(data) > max_bytes:
            raise too_large(max_bytes)
        return Query(data=data)
    link = doc.get("url")
    return _pick(None, url or (link if isinstance(link, str) else None))


class _Parts:
    """python-multipart's callbacks, collecting each part's name, kind and bytes with the
    size caps applied as the bytes arrive."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.parts: list[tuple[str, bool, bytearray]] = []  # name, is a file, content
        self._headers: dict[str, bytes] = {}
        self._field = b""
        self._value = b""

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._headers.clear,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
        }

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, opts = parse_options_header(self._headers.get("content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        self.parts.append((name, b"filename" in opts, bytearray()))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        name, is_file, buf = self.parts[-1]
        buf += data[start:end]
        if len(buf) > (self.max_bytes if is_file or name in FILE_FIELDS else SMALL_BODY):
            raise too_large(self.max_bytes)

    def result(self) -> tuple[bytes | None, dict[str, str]]:
        """The first file part named image/file (or the first file part at all), and the
        text fields."""
        fields = {n: bytes(b).decode("utf-8", "replace") for n, f, b in self.parts if not f}
        named = [b for n, _f, b in self.parts if n in FILE_FIELDS and b]
        files = [b for _n, f, b in self.parts if f and b]
        chosen = next(iter(named or files), None)
        return (bytes(chosen) if chosen is not None else None), fields


async def _multipart(
    request: Request, boundary: bytes, max_bytes: int
) -> tuple[bytes | None, dict[str, str]]:
    reader = _Parts(max_bytes)
    parser = MultipartParser(boundary, reader.callbacks())
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > max_bytes + MULTIPART_OVERHEAD:
            raise too_large(max_bytes)
        try:
            parser.write(chunk)
        except TooLarge:
            raise
        except Exception as exc:  # python-multipart raises several error types
            raise BadInput("the multipart upload is malformed") from exc
    try:
        parser.finalize()
    except Exception as exc:
        raise BadInput("the multipart upload is malformed") from exc
    return reader.result()


def no_input() -> NoInput:
    return NoInput(
        "no image received: upload one (multipart field 'image'), send it as the request body, "
        "or give ?url="
    )
