"""Failed logins, through POST /api/token/: throttled per account from one client (strict), per
client (looser) and per account (a much higher cap), and nobody can lock anybody else out."""

import ipaddress

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# Documentation address ranges (RFC 5737): only ever strings here.
ATTACKER, OWNER, STRANGER = "192.0.2.1", "198.51.100.7", "203.0.113.9"
PROXY = "192.0.2.200"
WRONG = "wrong-passphrase-1"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hundreds of password checks here: a fast hasher keeps them about the throttle, not PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(client, email: str, password: str, address: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": address}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post("/api/token/", {"email": email, "password": password}, format="json", **extra)


def assert_throttled(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed logins" in response.json()["error"]


def test_fifty_failures_from_one_address_do_not_lock_the_owner_out(client, make_developer):
    victim = make_developer(with_key=False)
    statuses = [login(client, victim.email, WRONG, ATTACKER).status_code for _ in range(50)]
    assert statuses == [401] * 10 + [429] * 40  # the default strict limit, then refused unchecked
    assert login(client, victim.email, PASSWORD, OWNER).status_code == 200
    assert_throttled(login(client, victim.email, PASSWORD, ATTACKER))  # the right password too


@override_settings(TRUSTED_PROXIES=[ipaddress.ip_network("192.0.2.128/25")])
def test_behind_a_trusted_proxy_each_client_is_counted_by_its_forwarded_address(client, make_developer):
    victim = make_developer(with_key=False)
    for _ in range(50):
        login(client, victim.email, WRONG, PROXY, forwarded_for=ATTACKER)
    assert_throttled(login(client, victim.email, PASSWORD, PROXY, forwarded_for=ATTACKER))
    assert login(client, victim.email, PASSWORD, PROXY, forwarded_for=OWNER).status_code == 200
    # A forged entry left of what the proxy appended is not read: the attacker stays the attacker.
    assert_throttled(login(client, victim.email, PASSWORD, PROXY, forwarded_for=f"{OWNER}, {ATTACKER}"))


def test_a_forwarded_header_from_an_untrusted_address_is_ignored(client, make_developer):
    victim = make_developer(with_key=False)
    for _ in range(10):  # claiming to be the owner, from the attacker's own address
        login(client, victim.email, WRONG, ATTACKER, forwarded_for=OWNER)
    assert_throttled(login(client, victim.email, PASSWORD, ATTACKER, forwarded_for=OWNER))
    assert login(client, victim.email, PASSWORD, OWNER).status_code == 200


@override_settings(LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT=3, LOGIN_MAX_FAILURES_PER_CLIENT=6)
def test_the_strict_limit_is_per_account_and_client(client, make_developer):
    victim, other = make_developer(with_key=False), make_developer(with_key=False)
    for _ in range(3):
        assert login(client, victim.email, WRONG, ATTACKER).status_code == 401
    assert_throttled(login(client, victim.email, PASSWORD, ATTACKER))
    assert login(client, other.email, PASSWORD, ATTACKER).status_code == 200  # its other accounts
    assert login(client, victim.email, PASSWORD, OWNER).status_code == 200  # other clients


@override_settings(LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT=3, LOGIN_MAX_FAILURES_PER_CLIENT=6)
def test_the_looser_limit_is_per_client_over_all_accounts(client, make_developer):
    accounts = [make_developer(with_key=False) for _ in range(3)]
    for account in accounts:  # two each: under the strict limit, six in all
        for _ in range(2):
            assert login(client, account.email, WRONG, ATTACKER).status_code == 401
    untried = make_developer(with_key=False)
    assert_throttled(login(client, untried.email, PASSWORD, ATTACKER))
    assert login(client, untried.email, PASSWORD, OWNER).status_code == 200


@override_settings(LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT=3, LOGIN_MAX_FAILURES_PER_ACCOUNT=6)
def test_the_account_cap_refuses_only_the_clients_that_failed_on_it(client, make_developer):
    victim = make_developer(with_key=False)
    attackers = [f"192.0.2.{host}" for host in range(1, 4)]
    for address in attackers:  # two each from three addresses: under the strict limit, six in all
        for _ in range(2):
            assert login(client, victim.email, WRONG, address).status_code == 401
    assert_throttled(login(client, victim.email, PASSWORD, attackers[0]))
    assert login(client, victim.email, PASSWORD, OWNER).status_code == 200


@override_settings(LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT=3)
def test_a_successful_login_clears_that_clients_failures_on_the_account(client, make_developer):
    owner = make_developer(with_key=False)
    for _ in range(2):
        login(client, owner.email, WRONG, OWNER)
    assert login(client, owner.email, PASSWORD, OWNER).status_code == 200
    for _ in range(2):
        assert login(client, owner.email, WRONG, OWNER).status_code == 401
    assert login(client, owner.email, PASSWORD, OWNER).status_code == 200
