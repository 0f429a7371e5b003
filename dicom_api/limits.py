from django.conf import settings

from dicom_core.limits import Limits


def configured_limits() -> Limits:
    """The core's limits as the deployment's settings set them now (override_settings included:
    a small object, built per request, not cached)."""
    return Limits(**settings.DICOM_LIMITS)
