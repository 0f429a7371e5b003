"""The service's notion of "now" for quotas: replace `now` in tests to cross a month boundary."""

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
