"""Outgoing HTTP: the one module that calls other servers (webhook deliveries).

Only ``http`` and ``https`` URLs, one POST, no redirects followed (a 3xx is an answer like any
other non-2xx), connect and read timeouts, and at most ``MAX_RESPONSE_BYTES`` of the answer
read. The host is resolved here and every address it resolves to is checked against
``DOCSITE_WEBHOOK_ALLOWED_HOSTS`` before connecting, and the connection goes to the address
that was checked, so a name cannot be re-pointed at an internal address between the check and
the request (DNS rebinding):

- an entry that names the host (``hooks.example.com``, ``*.example.com``) or contains the
  address (``10.0.0.5``, ``10.0.0.0/8``) allows it, private or not;
- with no entries, or with ``*`` among them, any public address is allowed; loopback also when
  ``DEBUG`` is on; private, loopback, link-local and reserved addresses otherwise are refused.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
CONNECT_TIMEOUT = 5.0
# Per read, and for the whole answer: a receiver that trickles bytes is cut off too.
READ_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Docsite-Webhooks/1"


class OutboundError(Exception):
    """The request could not be made or got no answer (a retry may succeed)."""


class TargetRefused(OutboundError):
    """The URL is not one Docsite may call (scheme, host or address); retrying cannot help."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    seconds: float


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse(url: str) -> Target:
    """The parts of an http(s) URL, or TargetRefused saying what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"Not a valid URL: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused("Only http:// and https:// URLs can receive webhooks.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise TargetRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Put no user name or password in the URL; check the signature.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _literal(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _host_listed(host: str, entry: str) -> bool:
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    return host == entry


def _address_listed(address: IPAddress, entry: str) -> bool:
    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False  # a host name, not an address or network


def allowed(host: str, address: IPAddress) -> bool:
    """Whether ``host`` at ``address`` may be called under the allow-list setting."""
    entries = [e.strip().lower() for e in settings.DOCSITE_WEBHOOK_ALLOWED_HOSTS if e.strip()]
    if any(_host_listed(host, e) or _address_listed(address, e) for e in entries):
        return True
    if entries and "*" not in entries:
        return False
    return address.is_global or (bool(settings.DEBUG) and address.is_loopback)


def check_host(host: str) -> None:
    """TargetRefused for a host that is an address the rules refuse; names are checked when
    they are resolved, at delivery (a subscription's name may point elsewhere later)."""
    address = _literal(host)
    if address is not None and not allowed(host, address):
        raise TargetRefused(_refusal(host, address))


def _refusal(host: str, address: IPAddress) -> str:
    shown = host if host == str(address) else f"{host} ({address})"
    return (
        f"{shown} is not an allowed webhook target: private, loopback and link-local "
        "addresses must be listed in DOCSITE_WEBHOOK_ALLOWED_HOSTS."
    )


def resolve(target: Target) -> list[IPAddress]:
    """The addresses to connect to; TargetRefused when any address of the host is refused."""
    literal = _literal(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise OutboundError(f"Cannot resolve {target.host}: {exc}") from exc
        addresses = []
        for info in infos:
            address = _literal(str(info[4][0]).split("%")[0])
            if address is not None and address not in addresses:
                addresses.append(address)
    if not addresses:
        raise OutboundError(f"{target.host} has no address.")
    for address in addresses:
        if not allowed(target.host, address):
            raise TargetRefused(_refusal(target.host, address))
    return addresses


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to now."""

    def __init__(self, target: Target, addresses: list[IPAddress]) -> None:
        super().__init__(target.host, target.port, timeout=READ_TIMEOUT)
        self.addresses = addresses

    def _open(self) -> socket.socket:
        """The first of the checked addresses that accepts (``localhost`` may be ::1 and
        127.0.0.1, with the server listening on one)."""
        error: OSError = OSError("no address")
        for address in self.addresses:
            try:
                sock = socket.create_connection((str(address), self.port), CONNECT_TIMEOUT)
            except OSError as exc:
                error = exc
                continue
            sock.settimeout(READ_TIMEOUT)
            return sock
        raise error

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``; the answer whatever its status, or OutboundError."""
    target = parse(url)
    addresses = resolve(target)
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, addresses)
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
        )
        response = connection.getresponse()
        data = _read_capped(response, started)
        return Answer(response.status, data, time.monotonic() - started)
    except TimeoutError as exc:
        raise OutboundError(
            f"Timed out (connect {CONNECT_TIMEOUT:g} s, answer {READ_TIMEOUT:g} s)."
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise OutboundError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()


def _read_capped(response: http.client.HTTPResponse, started: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RESPONSE_BYTES:
        if time.monotonic() - started > READ_TIMEOUT:
            raise TimeoutError
        chunk = response.read1(min(8192, MAX_RESPONSE_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
