"""Reading a body whose size the sender controls: refused as soon as it is declared or read past
the cap, never buffered whole first."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sabi.errors import TooLarge


async def read_capped(
    chunks: AsyncIterator[bytes], declared: str | None, cap: int, too_large: str
) -> bytes:
    """The bytes of ``chunks``; TooLarge(``too_large``) when the declared length
    (a Content-Length header) or the bytes read exceed ``cap``."""
    if declared and declared.isdigit() and int(declared) > cap:
        raise TooLarge(too_large)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > cap:
            raise TooLarge(too_large)
    return bytes(body)
