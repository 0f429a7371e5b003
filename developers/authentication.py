import hashlib
from functools import cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from developers.models import DeveloperAPIKey, DeveloperProfile
from developers.services import api_key_mark_used
from developers.usable_keys import database_now, usable_keys_sql
from usage.services import QUOTA_OVERRIDE_FIELDS

KEYWORD = "apikey"
# What a metered call reads of the key (and `revoked`, which the library's __init__ reads, and
# `last_used`, which api_key_mark_used compares), its profile (every quota override metering reads) and its owner;
# the other fields load on first use, as deferred fields do.
KEY_FIELDS = ("id", "prefix", "hashed_key", "revoked", "profile", "last_used")
PROFILE_FIELDS = ("id", "user", *QUOTA_OVERRIDE_FIELDS.values())
USER_FIELDS = ("id", "is_active")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: ApiKey <prefix>.<secret>` (scheme name case-insensitive).

    Returns the key's owner as the user and the key as `request.auth`; another scheme is not
    ours (None), a bad key of ours is a 401.
    """

    def authenticate(self, request):
        key = self.sent_key(request)
        if key is None:
            return None
        api_key = usable_api_key(key)
        if api_key is None:
            raise AuthenticationFailed("Invalid API key.")
        api_key_mark_used(api_key=api_key)
        return api_key.profile.user, api_key

    @staticmethod
    def sent_key(request) -> str | None:
        """The key sent, None for another scheme; AuthenticationFailed for a malformed one."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != KEYWORD:
            return None
        key = key.strip()
        if not key or len(key) > 200 or " " in key:
            raise AuthenticationFailed("Malformed API key. Send `Authorization: ApiKey <prefix>.<secret>`.")
        return key

    def authenticate_header(self, request):
        return "ApiKey"


def usable_api_key(key: str) -> DeveloperAPIKey | None:
    """The key `key` if it is usable (not revoked, not expired, its owner active) with its
    profile and owner, else None: one indexed SELECT a request, so a key deleted, revoked or
    expired (whichever worker or host did it) is refused on the very next request.

    This is DeveloperAPIKey.objects.get_from_key(key) with its select_related and the checks
    of has_expired and is_active, minus the ORM's query building and full model loading,
    which were most of an API call's authentication cost; the statement is built once per
    process (key_lookup). The secret is checked by the library's own is_valid, as
    get_from_key checks it.
    """
    prefix, _, _ = key.partition(".")
    sql, loaded = key_lookup()
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, database_now()])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, offset = [], 0
    for model, attnames, converters in loaded:
        values = [convert(value) for convert, value in zip(converters, row[offset : offset + len(attnames)])]
        instances.append(model.from_db(DEFAULT_DB_ALIAS, attnames, values))
        offset += len(attnames)
    api_key, profile, user = instances
    if not api_key.is_valid(key):
        return None
    profile.user = user
    api_key.profile = profile
    return api_key


def column_converter(field, alias: str):
    """The value as the ORM would load it (e.g. SQLite's text datetimes made aware, for last_used)."""
    column = field.get_col(alias)
    functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)

    def convert(value):
        for function in functions:
            value = function(value, column, connection)
        return value

    return convert


@cache
def key_lookup() -> tuple[str, tuple[tuple[type, list[str], list], ...]]:
    """The SELECT, and each model with the attnames it loads in the model's field order (as
    Model.from_db takes them)."""
    quote = connection.ops.quote_name
    loaded, selected = [], []
    for alias, model, names in (("k", DeveloperAPIKey, KEY_FIELDS), ("p", DeveloperProfile, PROFILE_FIELDS), ("u", get_user_model(), USER_FIELDS)):
        fields = [field for field in model._meta.concrete_fields if field.name in names]
        loaded.append((model, [field.attname for field in fields], [column_converter(field, alias) for field in fields]))
        selected += [f"{alias}.{quote(field.column)}" for field in fields]
    sql = f"SELECT {', '.join(selected)} {usable_keys_sql('prefix')}"
    return sql, tuple(loaded)


# Keys this process has found usable, by a digest of the whole key (prefix and secret), for callers
# that confirm in a statement of their own that the key is still usable (usage_consume_with_key):
# a remembered key costs no lookup, and a key revoked, deleted or expired is still refused at once.
REMEMBERED_KEYS_MAX = 4096
_remembered: dict[bytes, DeveloperAPIKey] = {}


def remembered_api_key(key: str) -> DeveloperAPIKey | None:
    """usable_api_key(key), kept by this process; `forget_api_key` once it is refused."""
    digest = hashlib.sha256(key.encode()).digest()
    api_key = _remembered.get(digest)
    if api_key is None:
        api_key = usable_api_key(key)
        if api_key is not None:
            if len(_remembered) >= REMEMBERED_KEYS_MAX:
                _remembered.clear()
            _remembered[digest] = api_key
    return api_key


def forget_api_key(key: str) -> None:
    _remembered.pop(hashlib.sha256(key.encode()).digest(), None)
