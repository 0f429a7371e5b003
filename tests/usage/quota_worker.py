"""Runs in a separate process: consumes quota for one profile, reports how many calls were granted.

Imports nothing from Django at module level, so a spawned process can set its database first.
"""

import os


def consume_many(database: dict, profile_id: int, endpoint: str, attempts: int) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    settings.DATABASES["default"] = database
    django.setup()
    from developers.models import DeveloperProfile
    from usage.services import usage_consume

    profile = DeveloperProfile.objects.get(id=profile_id)
    return sum(usage_consume(profile=profile, endpoint=endpoint).granted for _ in range(attempts))
