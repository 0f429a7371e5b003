import secrets

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class DeveloperProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="developer_profile")
    purpose = models.CharField(max_length=255, blank=True)
    organization = models.CharField(max_length=255, blank=True)
    # Per-developer monthly quotas set by an administrator; empty means the settings' default.
    read_file_quota = models.PositiveIntegerField(null=True, blank=True)
    generate_quota = models.PositiveIntegerField(null=True, blank=True)
    anonymize_quota = models.PositiveIntegerField(null=True, blank=True)
    transcode_quota = models.PositiveIntegerField(null=True, blank=True)
    read_jobs_quota = models.PositiveIntegerField(null=True, blank=True)
    # Signs job callbacks (DICOM-API-Signature); made with the profile, rotated on request.
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user.email} ({self.organization or 'no organization'})"


class DeveloperAPIKeyManager(BaseAPIKeyManager):
    def assign_key(self, obj):
        # The library stores "<prefix>.<hash>" as the primary key; ours is a plain number, so
        # nothing that serialises the key's id can leak the hash.
        key, prefix, hashed_key = self.key_generator.generate()
        obj.prefix = prefix
        obj.hashed_key = hashed_key
        return key

    def get_usable_keys(self):
        return super().get_usable_keys().select_related("profile__user")


class DeveloperAPIKey(AbstractAPIKey):
    id = models.BigAutoField(primary_key=True)
    profile = models.ForeignKey(DeveloperProfile, on_delete=models.CASCADE, related_name="api_keys")
    # When the key last authenticated a call, to within LAST_USED_RESOLUTION (not written on every call).
    last_used = models.DateTimeField(null=True, blank=True)

    objects = DeveloperAPIKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
