"""Preview ids: HMAC-signed, expiring on the hour, tamper-evident."""

from __future__ import annotations

import pytest

from sabi.errors import BadToken, ExpiredToken
from sabi.serve.tokens import HOUR, PreviewSigner, load_secret


def test_round_trip_and_hour_snapped_expiry():
    signer = PreviewSigner(b"k" * 32, ttl=HOUR)
    now = 1_800_000_123.0
    token = signer.sign(42, 754.321, now=now)
    preview = signer.verify(token, now=now)
    assert preview.episode_id == 42
    assert preview.at == pytest.approx(754.321, abs=1e-3)
    assert preview.expires % HOUR == 0
    assert HOUR <= preview.expires - now < 2 * HOUR
    assert signer.sign(42, 754.321, now=now + 60) == token  # same hour, same link


def test_expired():
    signer = PreviewSigner(b"k" * 32, ttl=HOUR)
    token = signer.sign(1, 1.0, now=0 + 10 * HOUR)
    with pytest.raises(ExpiredToken):
        signer.verify(token, now=13 * HOUR)


def test_tampered_or_foreign_or_garbage():
    signer = PreviewSigner(b"k" * 32)
    token = signer.sign(7, 3.0)
    raw = bytearray(token.encode())
    raw[2] = ord("A") if raw[2] != ord("A") else ord("B")
    for bad in (raw.decode(), "", "!!!", "A" * 38, PreviewSigner(b"other").sign(7, 3.0)):
        with pytest.raises(BadToken):
            signer.verify(bad)


def test_secret_is_made_once_and_kept(tmp_path):
    first = load_secret("", tmp_path)
    assert len(first) >= 32
    assert load_secret("", tmp_path) == first
    assert load_secret("configured", tmp_path) == b"configured"
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
