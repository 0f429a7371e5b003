"""Failed logins throttled across all worker processes, without letting anyone lock anyone out.

Each failure is counted three ways within LOGIN_FAILURE_WINDOW_SECONDS:
- per account from one client address, strictly (LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT): guessing
  one account's password from one place;
- per client address over all accounts, more loosely (LOGIN_MAX_FAILURES_PER_CLIENT): trying a
  list of accounts from one place;
- per account from every address, with a much higher cap (LOGIN_MAX_FAILURES_PER_ACCOUNT):
  guessing one password from many places. Past it only the clients that have failed on this
  account are refused, so its owner, who has not, still logs in.
A client that has not failed is never refused because others failed.
"""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import LoginFailure


def _account_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _keys(client_address: str, email: str) -> dict[str, str]:
    account = _account_digest(email)
    return {
        LoginFailure.ACCOUNT_CLIENT: f"{account} {client_address}",
        LoginFailure.CLIENT: client_address,
        LoginFailure.ACCOUNT: account,
    }


def _oldest_counted_failure(scope: str, key: str, cap: int, since: datetime) -> datetime | None:
    """The cap-th most recent failure in the window, if there are that many: the throttle holds
    until it expires."""
    recent = LoginFailure.objects.filter(scope=scope, key=key, created__gt=since).order_by("-created")
    return recent.values_list("created", flat=True)[cap - 1 : cap].first()


def seconds_until_allowed(client_address: str, email: str) -> int:
    """0 when this client may try to log in to this account; else how long until it may."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    keys = _keys(client_address, email)
    caps = {
        LoginFailure.ACCOUNT_CLIENT: settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT,
        LoginFailure.CLIENT: settings.LOGIN_MAX_FAILURES_PER_CLIENT,
    }
    has_failed_here = LoginFailure.objects.filter(
        scope=LoginFailure.ACCOUNT_CLIENT, key=keys[LoginFailure.ACCOUNT_CLIENT], created__gt=now - window
    ).exists()
    if has_failed_here:
        caps[LoginFailure.ACCOUNT] = settings.LOGIN_MAX_FAILURES_PER_ACCOUNT
    wait = 0
    for scope, cap in caps.items():
        oldest = _oldest_counted_failure(scope, keys[scope], cap, now - window)
        if oldest is not None:
            wait = max(wait, int((oldest + window - now).total_seconds()) + 1)
    return wait


def record_failure(client_address: str, email: str) -> None:
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [LoginFailure(scope=scope, key=key, created=now) for scope, key in _keys(client_address, email).items()]
    )
    # Old rows are useless to the throttle; dropping them here keeps the table small.
    LoginFailure.objects.filter(created__lt=now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)).delete()


def clear_client_failures(client_address: str, email: str) -> None:
    """After a successful login: this client's failures on this account no longer count against
    it. The account-wide count stays: it only ever refuses clients that failed."""
    key = _keys(client_address, email)[LoginFailure.ACCOUNT_CLIENT]
    LoginFailure.objects.filter(scope=LoginFailure.ACCOUNT_CLIENT, key=key).delete()
