"""Fetch a ?url= query without letting the server be used to reach what it alone can reach.

Only http(s). The host is resolved here, every address is checked (loopback, private,
link-local, site-local, multicast, reserved, unspecified, shared, and IPv4 hidden in IPv6
(mapped, 6to4, NAT64) are refused
unless private targets are allowed), and the connection goes to the checked address itself,
with the name kept for the Host header and TLS, so a DNS answer cannot change in between.
Redirects are followed by hand (at most 5), each one checked the same way. The body is read
in chunks and given up on as soon as it passes the size cap.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpx

from sabi import __version__
from sabi.errors import BadInput, UrlRefused
from sabi.serve.capped import read_capped

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}


def refusal(ip: IPAddress) -> str | None:
    """Why an address may not be fetched from (None: it is a public unicast address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or _nat64(ip)
        if embedded is not None and refusal(embedded) is not None:
            return refusal(embedded)
        if ip.teredo is not None:
            return "a Teredo tunnel address"
        if ip.is_site_local:
            return "a site-local address"  # fec0::/10: deprecated, still routed on some LANs
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attr, words in checks:
        if getattr(ip, attr):
            return words
    if not ip.is_global:
        return "a non-public address"
    return None


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: IPv4 reached through a NAT64 gateway
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215


def _nat64(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a NAT64 address (its last 32 bits), if it is one."""
    if ip in NAT64 or ip in LOCAL_NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_host_name(host: str) -> None:
    """BadInput for a name DNS cannot hold (an empty label, one over 63 characters, over 253
    in all): the resolver would fail on it with an IDNA error instead."""
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        raise BadInput(f"the URL's host {host[:80]!r} is not a valid name")


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"the URL's host {host[:80]!r} cannot be found") from exc
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


async def checked_address(url: httpx.URL, allow_private: bool, resolve: Resolver) -> str:
    if url.scheme not in ("http", "https"):
        raise UrlRefused("only http and https URLs can be searched")
    host = url.host
    if not host:
        raise UrlRefused("the URL has no host")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        check_host_name(host)
        addresses = await resolve(host, port)
    if not addresses:
        raise BadInput(f"the URL's host {host!r} cannot be found")
    if not allow_private:
        for addr in addresses:
            why = refusal(ipaddress.ip_address(addr))
            if why is not None:
                raise UrlRefused(f"the URL's host {host!r} is {why}; sabi does not fetch from it")
    return addresses[0]


async def fetch_url(
    url: str,
    *,
    max_bytes: int,
    timeout: float = 10.0,
    allow_private: bool = False,
    resolve: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
) -> bytes:
    """The body at ``url``, at most ``max_bytes`` long, following at most 5 checked redirects."""
    try:
        current = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, UnicodeError) as exc:
        raise BadInput("the URL is not valid") from exc
    limits = httpx.Timeout(timeout)
    try:
        async with (
            asyncio.timeout(timeout * 2),
            httpx.AsyncClient(
                timeout=limits,
                follow_redirects=False,
                transport=transport,
                trust_env=False,
                headers={"user-agent": f"sabi/{__version__}", "accept-encoding": "identity"},
            ) as client,
        ):
            for _hop in range(MAX_REDIRECTS + 1):
                address = await checked_address(current, allow_private, resolve)
                location = await _get(client, current, address, max_bytes)
                if isinstance(location, bytes):
                    return location
                current = current.join(location)
            raise BadInput(f"the URL redirects more than {MAX_REDIRECTS} times")
    except TimeoutError as exc:
        raise BadInput("the URL took too long to answer") from exc
    except httpx.TimeoutException as exc:
        raise BadInput("the URL took too long to answer") from exc
    except httpx.HTTPError as exc:
        raise BadInput(f"the URL cannot be fetched: {type(exc).__name__}") from exc


async def _get(
    client: httpx.AsyncClient, url: httpx.URL, address: str, max_bytes: int
) -> bytes | str:
    """The body, or the Location of a redirect."""
    pinned = url.copy_with(host=address)
    host_header = url.netloc.decode("ascii")
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    request = client.build_request(
        "GET", pinned, headers={"host": host_header}, extensions=extensions
    )
    response = await client.send(request, stream=True)
    try:
        if response.status_code in REDIRECTS:
            location: str | None = response.headers.get("location")
            if not location:
                raise BadInput("the URL redirects nowhere")
            return location
        if response.status_code >= 400:
            raise BadInput(f"the URL answered HTTP {response.status_code}")
        body = await read_capped(
            response.aiter_raw(),
            response.headers.get("content-length"),
            max_bytes,
            f"the file at the URL is larger than {max_bytes // 1_000_000} MB",
        )
        return _decode(body, response)
    finally:
        await response.aclose()


def _decode(body: bytes, response: httpx.Response) -> bytes:
    """Images are sent uncompressed in practice; a gzip'd body is refused rather than inflated
    without a bound."""
    encoding = response.headers.get("content-encoding", "identity").lower()
    if encoding not in ("", "identity"):
        raise BadInput(f"the URL sent a {encoding}-encoded body, which sabi does not unpack")
    return body
