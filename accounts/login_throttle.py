"""Failed logins throttled per client address and per account, across all worker processes."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import LoginFailure


def _keys(client_address: str, email: str) -> list[tuple[str, str]]:
    account_digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return [(LoginFailure.CLIENT, client_address), (LoginFailure.ACCOUNT, account_digest)]


def seconds_until_allowed(client_address: str, email: str) -> int:
    """0 when a login may be tried; else how long until the oldest counted failure expires."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    wait = 0
    for scope, key in _keys(client_address, email):
        recent = LoginFailure.objects.filter(scope=scope, key=key, created__gt=now - window)
        failures = list(recent.order_by("-created").values_list("created", flat=True)[: settings.LOGIN_MAX_FAILURES])
        if len(failures) >= settings.LOGIN_MAX_FAILURES:
            oldest_counted = failures[-1]
            wait = max(wait, int((oldest_counted + window - now).total_seconds()) + 1)
    return wait


def record_failure(client_address: str, email: str) -> None:
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [LoginFailure(scope=scope, key=key, created=now) for scope, key in _keys(client_address, email)]
    )
    # Old rows are useless to the throttle; dropping them here keeps the table small.
    LoginFailure.objects.filter(created__lt=now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)).delete()


def clear_account_failures(email: str) -> None:
    (_, (scope, key)) = _keys("", email)
    LoginFailure.objects.filter(scope=scope, key=key).delete()
