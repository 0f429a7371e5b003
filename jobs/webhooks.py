"""Job callbacks: signed as Stripe signs its webhooks, sent only to public addresses, and sent
to the address that was checked (resolved once, pinned for the request), so a DNS answer that
changes between the check and the request cannot turn the service against its own network."""

import hashlib
import hmac
import http.client
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from dicom_core.errors import InvalidOptionError

SIGNATURE_HEADER = "DICOM-API-Signature"
# Cloud metadata services (AWS/GCP/Azure, AWS over IPv6, Alibaba): refused even where loopback is allowed.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address) for address in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class CallbackFailed(Exception):
    """The receiver could not be reached, or did not answer 2xx: the delivery is retried."""


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@dataclass(frozen=True)
class CallbackTarget:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the request connects to


def is_allowed_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return False
    if address.is_loopback:
        return allow_loopback
    return address.is_global  # not private, link-local, shared (100.64/10), multicast or reserved


def resolve_callback(url: str, *, allow_loopback: bool) -> CallbackTarget:
    """The URL's host resolved, every address checked. Raises InvalidOptionError (400)."""
    refuse = lambda why: InvalidOptionError(f"callback_url {why}", field="callback_url")  # noqa: E731
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise refuse("must be an http or https URL without credentials, e.g. https://example.com/hooks/dicom.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, UnicodeError, socket.gaierror):
        raise refuse(f"has a host that does not resolve ({parts.hostname[:100]!r}).") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not is_allowed_address(address, allow_loopback=allow_loopback):
            raise refuse(
                f"resolves to {address}, a loopback, private, link-local or cloud-metadata address; "
                "callbacks are sent to public addresses only."
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return CallbackTarget(parts.scheme, parts.hostname, port, path, str(addresses[0]))


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: CallbackTarget, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the pinned address, the certificate checked against the URL's host name."""

    def __init__(self, target: CallbackTarget, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_callback(target: CallbackTarget, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """Raises CallbackFailed unless the receiver answers 2xx (redirects are not followed)."""
    connection_class = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        raise CallbackFailed(f"{type(exc).__name__}") from None
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise CallbackFailed(f"the receiver answered {status}")
