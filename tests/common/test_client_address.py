import ipaddress

import pytest
from django.test import RequestFactory, override_settings

from common.client_address import client_address

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::1")]


@override_settings(TRUSTED_PROXIES=PROXIES)
@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # not from a proxy: the header is the client's word
        ("10.0.0.1", None, "10.0.0.1"),  # a proxy that forwards nothing
        ("10.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"),  # two proxies; a forged first entry
        ("2001:db8::1", " 2001:db8::7 ", "2001:db8::7"),
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # every hop a proxy: the leftmost
        ("10.0.0.1", "198.51.100.7, not-an-address", "10.0.0.1"),  # garbage where a proxy writes
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(remote, forwarded, client):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(RequestFactory().get("/", **extra)) == client
