"""Signed, expiring preview ids: which episode and moment a /image or /video link shows.

An id is base64url(episode id, time in ms, expiry hour) + a truncated HMAC-SHA256 over them.
The expiry is rounded up to a whole hour, so every search within that hour hands out the same
link for the same moment and caches (the browser's, a proxy's, our disk cache) can reuse it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from sabi.errors import BadToken, ExpiredToken

_PAYLOAD = struct.Struct("!IIH")  # episode id, time (ms), expiry (hours since the epoch, mod 2^16)
_MAC_BYTES = 16
HOUR = 3600


@dataclass(frozen=True)
class Preview:
    episode_id: int
    at: float  # seconds
    expires: int  # unix time


def load_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, or one generated once and kept in the data directory."""
    if configured:
        return configured.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            path.hardlink_to(tmp)  # atomic: fails if the file appeared meanwhile
        except FileExistsError:
            pass  # another process won the race; use its secret
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip().encode()


class PreviewSigner:
    def __init__(self, secret: bytes, ttl: int = HOUR):
        if not secret:
            raise ValueError("an empty secret cannot sign anything")
        self._key = secret
        self.ttl = ttl

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def expiry(self, now: float | None = None) -> int:
        """Now + ttl, rounded up to the next whole hour."""
        now = time.time() if now is None else now
        return int(-(-(now + self.ttl) // HOUR) * HOUR)

    def sign(self, episode_id: int, at: float, now: float | None = None) -> str:
        hours = (self.expiry(now) // HOUR) & 0xFFFF
        payload = _PAYLOAD.pack(episode_id, max(0, round(at * 1000)), hours)
        return base64.urlsafe_b64encode(payload + self._mac(payload)).rstrip(b"=").decode()

    def verify(self, token: str, now: float | None = None) -> Preview:
        """The preview an id names; BadToken (403) if forged, ExpiredToken (410) if old."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise BadToken("this preview link is not valid") from exc
        if len(raw) != _PAYLOAD.size + _MAC_BYTES:
            raise BadToken("this preview link is not valid")
        payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise BadToken("this preview link is not valid")
        episode_id, ms, hours = _PAYLOAD.unpack(payload)
        now = time.time() if now is None else now
        expires = _unwrap_hours(hours, now) * HOUR
        if expires <= now:
            raise ExpiredToken("this preview link has expired; search again for a fresh one")
        return Preview(episode_id, ms / 1000.0, expires)


def _unwrap_hours(hours16: int, now: float) -> int:
    """Hours since the epoch from their low 16 bits: the value nearest to now (±3.7 years)."""
    current = int(now // HOUR)
    base = current - (current & 0xFFFF) + hours16
    candidates = (base - 0x10000, base, base + 0x10000)
    return min(candidates, key=lambda h: abs(h - current))
