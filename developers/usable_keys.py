"""The SQL that says which API keys are usable, shared by the key lookup (developers.authentication)
and the quota statement that re-checks a remembered key (usage.services.usage_consume_with_key)."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from developers.models import DeveloperAPIKey, DeveloperProfile


@cache
def usable_keys_sql(matched_field: str) -> str:
    """FROM ... WHERE for the usable key (k) whose `matched_field` is the first parameter, with its
    profile (p) and owner (u): not revoked, not expired at the second parameter (now), owner active."""
    quote = connection.ops.quote_name
    key_meta, profile_meta, user_meta = DeveloperAPIKey._meta, DeveloperProfile._meta, get_user_model()._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"FROM {quote(key_meta.db_table)} k "
        f"JOIN {quote(profile_meta.db_table)} p ON p.{quote(profile_meta.pk.column)} = k.{column(key_meta, 'profile')} "
        f"JOIN {quote(user_meta.db_table)} u ON u.{quote(user_meta.pk.column)} = p.{column(profile_meta, 'user')} "
        f"WHERE k.{column(key_meta, matched_field)} = %s AND NOT k.{column(key_meta, 'revoked')} "
        f"AND (k.{column(key_meta, 'expiry_date')} IS NULL OR k.{column(key_meta, 'expiry_date')} > %s) "
        f"AND u.{column(user_meta, 'is_active')}"
    )


def database_now():
    return connection.ops.adapt_datetimefield_value(timezone.now())  # as the ORM passes a datetime
