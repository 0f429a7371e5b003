"""Monthly quotas: checked and counted in one SQL statement, exact under concurrency."""

from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache

from django.conf import settings
from django.db import connection, transaction

from developers.models import DeveloperProfile
from developers.usable_keys import database_now, usable_keys_sql
from usage import clock
from usage.models import DailyUsage, MonthlyUsage

# Which profile field overrides the default quota of each metered endpoint.
QUOTA_OVERRIDE_FIELDS = {
    "/api/dicom/read/file/": "read_file_quota",
    "/api/dicom/generate/": "generate_quota",
    "/api/dicom/anonymize/": "anonymize_quota",
    "/api/dicom/transcode/": "transcode_quota",
    "/api/dicom/read/jobs/": "read_jobs_quota",
}


@dataclass(frozen=True)
class QuotaStatus:
    endpoint: str
    quota: int
    used: int  # calls this month, this one included
    month_start: datetime
    month_end: datetime

    @property
    def granted(self) -> bool:
        return self.used <= self.quota

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.used)


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    moment = moment.astimezone(timezone.utc)
    start = datetime(moment.year, moment.month, 1, tzinfo=timezone.utc)
    end = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def quota_for(profile: DeveloperProfile, endpoint: str) -> int:
    override = getattr(profile, QUOTA_OVERRIDE_FIELDS[endpoint])
    return settings.QUOTA_DEFAULTS[endpoint] if override is None else override


def _upsert_increment(table: str, period_column: str, profile_id: int, endpoint: str, period: date) -> int:
    """INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count: one statement, so
    parallel callers each get their own number (PostgreSQL and SQLite >= 3.35 alike)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (profile_id, endpoint, {period_column}, count) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (profile_id, endpoint, {period_column}) DO UPDATE SET count = {table}.count + 1 "
            "RETURNING count",
            [profile_id, endpoint, period],
        )
        return cursor.fetchone()[0]


def usage_consume(*, profile: DeveloperProfile, endpoint: str) -> QuotaStatus:
    """Counts one call and says whether it is within the month's quota."""
    now = clock.now()
    start, end = month_bounds(now)
    quota = quota_for(profile, endpoint)
    with transaction.atomic():
        used = _upsert_increment(MonthlyUsage._meta.db_table, "month", profile.id, endpoint, start.date())
        return _count_the_day(QuotaStatus(endpoint=endpoint, quota=quota, used=used, month_start=start, month_end=end), profile.id, now)


def usage_consume_with_key(*, api_key, endpoint: str) -> QuotaStatus | None:
    """usage_consume for the holder of `api_key` (developers.authentication.remembered_api_key),
    counted only if the key is still usable (not revoked, deleted or expired, its owner active)
    and against the profile's quota as it is now: both read by the month's statement itself.
    None when the key is no longer usable: nothing is counted."""
    now = clock.now()
    start, end = month_bounds(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_keyed_increment_sql(endpoint), [endpoint, start.date(), api_key.id, database_now()])
            row = cursor.fetchone()
        if row is None:
            return None
        used, override = row
        quota = settings.QUOTA_DEFAULTS[endpoint] if override is None else override
        return _count_the_day(QuotaStatus(endpoint=endpoint, quota=quota, used=used, month_start=start, month_end=end), api_key.profile_id, now)


def _count_the_day(status: QuotaStatus, profile_id: int, now: datetime) -> QuotaStatus:
    if status.granted:
        _upsert_increment(DailyUsage._meta.db_table, "day", profile_id, status.endpoint, now.astimezone(timezone.utc).date())
    return status


@cache
def _keyed_increment_sql(endpoint: str) -> str:
    """_upsert_increment's statement for the month, its row made from the usable key's, RETURNING
    the count and the profile's quota override for `endpoint`."""
    quote = connection.ops.quote_name
    profile_meta = DeveloperProfile._meta
    table, profiles, profile_id = quote(MonthlyUsage._meta.db_table), quote(profile_meta.db_table), quote(profile_meta.pk.column)
    override = quote(profile_meta.get_field(QUOTA_OVERRIDE_FIELDS[endpoint]).column)
    return (
        f"INSERT INTO {table} (profile_id, endpoint, month, count) SELECT p.{profile_id}, %s, %s, 1 {usable_keys_sql('id')} "
        f"ON CONFLICT (profile_id, endpoint, month) DO UPDATE SET count = {table}.count + 1 "
        f"RETURNING count, (SELECT {override} FROM {profiles} WHERE {profile_id} = {table}.profile_id)"
    )


def activity_summary(*, profile: DeveloperProfile) -> dict:
    start, end = month_bounds(clock.now())
    rows = DailyUsage.objects.filter(profile=profile, day__gte=start.date(), day__lt=end.date()).values_list(
        "day", "endpoint", "count"
    )
    per_day: dict[date, int] = {}
    served: dict[str, int] = {}
    for day, endpoint, count in rows:
        per_day[day] = per_day.get(day, 0) + count
        served[endpoint] = served.get(endpoint, 0) + count
    attempted = dict(
        MonthlyUsage.objects.filter(profile=profile, month=start.date()).values_list("endpoint", "count")
    )
    by_endpoint = {}
    for endpoint in settings.QUOTA_DEFAULTS:
        quota = quota_for(profile, endpoint)
        by_endpoint[endpoint] = {
            "count": served.get(endpoint, 0),
            "quota": quota,
            "remaining": max(0, quota - attempted.get(endpoint, 0)),
        }
    daily = [{"day": day.isoformat(), "count": count} for day, count in sorted(per_day.items())]
    return {"daily_activity": daily, "monthly_total": sum(per_day.values()), "by_endpoint": by_endpoint}
