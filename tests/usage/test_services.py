import multiprocessing
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import User
from developers.models import DeveloperProfile
from tests.usage.quota_worker import consume_many
from usage import clock
from usage.services import activity_summary, month_bounds, usage_consume

READ = "/api/dicom/read/file/"
GENERATE = "/api/dicom/generate/"
ROOT = Path(__file__).resolve().parents[2]


def make_profile(email="quota@example.com", **quotas) -> DeveloperProfile:
    user = User.objects.create_user(email=email, password="x-long-password-9")
    return DeveloperProfile.objects.create(user=user, purpose="t", organization="o", **quotas)


def at(year, month, day, hour=0, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)


def test_month_bounds_are_utc_calendar_months():
    assert month_bounds(at(2026, 12, 31, 23, 59, 59)) == (at(2026, 12, 1), at(2027, 1, 1))
    # 00:30 on March 1st in UTC+2 is still February in UTC.
    from datetime import timedelta

    plus_two = timezone(timedelta(hours=2))
    assert month_bounds(datetime(2026, 3, 1, 0, 30, tzinfo=plus_two)) == (at(2026, 2, 1), at(2026, 3, 1))


@pytest.mark.django_db
def test_quota_is_exact_and_resets_at_the_utc_month_boundary(monkeypatch):
    profile = make_profile(read_file_quota=3)
    monkeypatch.setattr(clock, "now", lambda: at(2026, 1, 31, 23, 59, 58))
    results = [usage_consume(profile=profile, endpoint=READ) for _ in range(5)]
    assert [r.granted for r in results] == [True, True, True, False, False]
    assert [r.used for r in results] == [1, 2, 3, 4, 5]
    assert results[-1].remaining == 0
    monkeypatch.setattr(clock, "now", lambda: at(2026, 2, 1, 0, 0, 0))
    assert usage_consume(profile=profile, endpoint=READ).used == 1


@pytest.mark.django_db
def test_quotas_are_per_endpoint_and_default_from_settings(monkeypatch):
    profile = make_profile()
    with override_settings(QUOTA_DEFAULTS={READ: 1, GENERATE: 2}):
        assert usage_consume(profile=profile, endpoint=READ).granted
        assert not usage_consume(profile=profile, endpoint=READ).granted
        assert usage_consume(profile=profile, endpoint=GENERATE).granted
        assert usage_consume(profile=profile, endpoint=GENERATE).quota == 2


@pytest.mark.django_db
def test_activity_summary_counts_this_month_per_day_and_endpoint(monkeypatch):
    profile = make_profile(read_file_quota=2)
    for moment, endpoint in [
        (at(2026, 4, 30, 23, 0), READ),  # last month: not shown
        (at(2026, 5, 2, 10, 0), READ),
        (at(2026, 5, 2, 11, 0), GENERATE),
        (at(2026, 5, 7, 9, 0), READ),
        (at(2026, 5, 7, 9, 1), READ),  # over the quota: refused, not served
    ]:
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        usage_consume(profile=profile, endpoint=endpoint)
    summary = activity_summary(profile=profile)
    assert summary["daily_activity"] == [{"day": "2026-05-02", "count": 2}, {"day": "2026-05-07", "count": 1}]
    assert summary["monthly_total"] == 3
    assert summary["by_endpoint"][READ] == {"count": 2, "quota": 2, "remaining": 0}
    assert summary["by_endpoint"][GENERATE] == {"count": 1, "quota": 1000, "remaining": 999}


def _race(database: dict, profile_id: int) -> int:
    context = multiprocessing.get_context("spawn")
    with context.Pool(8) as pool:
        granted = pool.starmap(consume_many, [(database, profile_id, READ, 200)] * 8)
    return sum(granted)


@pytest.mark.django_db(transaction=True)
def test_counter_is_exact_with_parallel_processes_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")
    profile = make_profile(read_file_quota=1000)
    assert _race(dict(connection.settings_dict), profile.id) == 1000


def test_counter_is_exact_with_parallel_processes_on_sqlite(tmp_path):
    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "race.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 60},
    }
    env = {"SQLITE_PATH": database["NAME"], "DATABASE_URL": "", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup = (
        "import django; django.setup(); from accounts.models import User; from developers.models import DeveloperProfile;"
        "u = User.objects.create_user(email='race@example.com', password='x-long-password-9');"
        "print(DeveloperProfile.objects.create(user=u, read_file_quota=1000).id)"
    )
    profile_id = int(
        subprocess.run(
            [sys.executable, "-c", setup], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, check=True, capture_output=True, text=True
        ).stdout
    )
    assert _race(database, profile_id) == 1000
