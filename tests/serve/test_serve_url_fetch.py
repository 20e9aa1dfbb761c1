"""?url= never reaches private, loopback, link-local, multicast or reserved addresses, even
through redirects, unless the operator allows private targets."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from sabi.errors import BadInput, UrlRefused
from sabi.serve.fetch import fetch_url, refusal

REFUSED = [
    "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1", "2001:db8::1",
    "fec0::1", "feff:ffff::1", "64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b:1::c0a8:101",
    "2002:a9fe:a9fe::1", "::ffff:169.254.169.254", "2001::1", "100::1", "2001:10::1",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2606:4700:4700::1111", "2a00:1450:4001::1"]


@pytest.mark.parametrize("addr", REFUSED)
def test_non_public_addresses_are_refused(addr):
    assert refusal(ipaddress.ip_address(addr)) is not None


@pytest.mark.parametrize("addr", PUBLIC)
def test_public_addresses_pass(addr):
    assert refusal(ipaddress.ip_address(addr)) is None


class _Handler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("location", self.path.split("to=", 1)[1])
            self.end_headers()
            return
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("location", "/loop")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-type", "image/jpeg")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_host(bunny_frame):
    handler = type("H", (_Handler,), {"body": bunny_frame[1]})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_loopback_url_is_refused_by_default(server, image_host):
    r = httpx.get(f"{server.url}/search", params={"url": f"{image_host}/shot.jpg"})
    assert r.status_code == 400
    assert "loopback" in r.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/x.jpg",
        "http://[::1]/x.jpg",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        "ftp://example.com/x.jpg",
        "gopher://127.0.0.1/",
        "http://a..example.org/x.png",
        "http://.example.org/x.png",
        "http://" + "a" * 64 + ".example.org/x.png",
        "http://" + ".".join(["abcdefghi"] * 30) + "/x.png",
    ],
)
def test_other_refusals(server, url):
    r = httpx.get(f"{server.url}/search", params={"url": url})
    assert r.status_code == 400, r.text


def test_private_targets_allowed_by_setting(make_server, image_host):
    live = make_server(allow_private_urls=True)
    r = httpx.get(f"{live.url}/search", params={"url": f"{image_host}/shot.jpg"})
    assert r.status_code == 200, r.text
    assert r.json()["result"][0]["episode"] == 1


def _first_hop_public(monkeypatch):
    """Treat the first address checked as public (no internet here to redirect from)."""
    import sabi.serve.fetch as fetch

    real, calls = fetch.refusal, []

    def patched(ip):
        calls.append(str(ip))
        return None if len(calls) == 1 else real(ip)

    monkeypatch.setattr(fetch, "refusal", patched)
    return calls


def test_every_redirect_is_resolved_and_checked(image_host, monkeypatch):
    """A public host redirecting to a name that resolves to loopback is refused there."""
    port = image_host.rsplit(":", 1)[1]
    asked: list[str] = []

    async def resolver(host: str, _port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    calls = _first_hop_public(monkeypatch)
    url = f"http://public.example:{port}/redirect?to=http://inside.example:{port}/shot.jpg"
    with pytest.raises(UrlRefused, match="inside.example.*loopback"):
        asyncio.run(fetch_url(url, max_bytes=10**7, resolve=resolver))
    assert asked == ["public.example", "inside.example"]
    assert len(calls) == 2


def test_redirect_to_a_literal_private_address_is_refused(image_host, monkeypatch):
    port = image_host.rsplit(":", 1)[1]

    async def resolver(host: str, _port: int) -> list[str]:
        return ["127.0.0.1"]

    _first_hop_public(monkeypatch)
    url = f"http://public.example:{port}/redirect?to=http://127.0.0.1:{port}/shot.jpg"
    with pytest.raises(UrlRefused, match="loopback"):
        asyncio.run(fetch_url(url, max_bytes=10**7, resolve=resolver))


def test_redirect_loops_and_size_cap(image_host):
    with pytest.raises(BadInput, match="redirects more than 5"):
        asyncio.run(fetch_url(f"{image_host}/loop", max_bytes=10**7, allow_private=True))
    with pytest.raises(BadInput, match="larger"):
        asyncio.run(fetch_url(f"{image_host}/shot.jpg", max_bytes=1000, allow_private=True))
