"""The callback address rule and the signature, without a network."""

import hashlib
import hmac
import ipaddress

import pytest

from dicom_core.errors import InvalidOptionError
from jobs.webhooks import is_allowed_address, resolve_callback, signature


@pytest.mark.parametrize(
    "address, allowed",
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fd00:ec2::254", False),
        ("100.100.100.200", False),
        ("100.64.0.1", False),
        ("fe80::1", False),
        ("0.0.0.0", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_only_public_addresses_are_allowed(address, allowed):
    assert is_allowed_address(ipaddress.ip_address(address), allow_loopback=False) is allowed


def test_loopback_is_allowed_for_tests_but_never_the_metadata_service():
    assert is_allowed_address(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert not is_allowed_address(ipaddress.ip_address("169.254.169.254"), allow_loopback=True)
    assert not is_allowed_address(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)


def test_a_name_that_resolves_to_loopback_is_refused_after_resolution():
    with pytest.raises(InvalidOptionError, match="loopback"):
        resolve_callback("http://localhost:9/hook", allow_loopback=False)
    target = resolve_callback("http://localhost:9/hook?x=1", allow_loopback=True)
    assert target.address in ("127.0.0.1", "::1") and target.path == "/hook?x=1" and target.host == "localhost"


def test_the_signature_is_stripes_scheme():
    body = b'{"id": "x", "status": "succeeded"}'
    header = signature("whsec_test", body, 1700000000)
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
