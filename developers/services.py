from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from developers.models import DeveloperAPIKey, DeveloperProfile, new_webhook_secret


def profile_create(*, user, purpose: str, organization: str) -> DeveloperProfile:
    if DeveloperProfile.objects.filter(user=user).exists():
        raise ValidationError("You already have a developer profile; each account has one.")
    try:
        with transaction.atomic():
            return DeveloperProfile.objects.create(user=user, purpose=purpose, organization=organization)
    except IntegrityError:  # a concurrent POST won the race
        raise ValidationError("You already have a developer profile; each account has one.") from None


def profile_get(*, user) -> DeveloperProfile:
    try:
        return user.developer_profile
    except DeveloperProfile.DoesNotExist:
        raise NotFound("You have no developer profile yet. Create one with POST /api/developer/profiles/.") from None


def profile_update(*, profile: DeveloperProfile, purpose: str, organization: str) -> DeveloperProfile:
    profile.purpose, profile.organization = purpose, organization
    profile.save(update_fields=["purpose", "organization"])
    return profile


def api_key_create(*, user, name: str) -> tuple[DeveloperAPIKey, str]:
    try:
        profile = user.developer_profile
    except DeveloperProfile.DoesNotExist:
        raise ValidationError(
            "Create a developer profile first (POST /api/developer/profiles/), then create API keys."
        ) from None
    return DeveloperAPIKey.objects.create_key(profile=profile, name=name)


def api_key_list(*, user):
    return DeveloperAPIKey.objects.filter(profile__user=user, revoked=False).order_by("id")


# A key's last use is written at most this often: not a database write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_mark_used(*, api_key: DeveloperAPIKey) -> None:
    now = timezone.now()
    if api_key.last_used is None or now - api_key.last_used >= LAST_USED_RESOLUTION:
        DeveloperAPIKey.objects.filter(pk=api_key.pk).update(last_used=now)
        api_key.last_used = now


def api_key_delete(*, user, key_id: int) -> None:
    # Another developer's key is answered exactly like a key that does not exist.
    deleted, _ = DeveloperAPIKey.objects.filter(profile__user=user, id=key_id).delete()
    if not deleted:
        raise NotFound("No API key with this id.")


def webhook_secret_rotate(*, profile: DeveloperProfile) -> str:
    profile.webhook_secret = new_webhook_secret()
    profile.save(update_fields=["webhook_secret"])
    return profile.webhook_secret

