"""The address of the client a request came from, behind trusted reverse proxies or not."""

import ipaddress

from django.conf import settings


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def client_address(request) -> str:
    """REMOTE_ADDR, unless that is a trusted proxy (TRUSTED_PROXIES): then X-Forwarded-For is read
    from its right end, where each trusted proxy appended the address it received the request
    from, and the first address that is not a trusted proxy is the client. The entries left of it
    were written by the client and could name anyone: they are never used.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted_proxy(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([entry.strip() for entry in forwarded.split(",") if entry.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:  # not written by a proxy of ours: what it received from is unknown
            return address
        address = hop
        if not _is_trusted_proxy(hop):
            return hop
    return address  # every hop is a trusted proxy: the request started at the leftmost
