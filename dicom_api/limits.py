from functools import lru_cache

from django.conf import settings

from dicom_core.limits import Limits


@lru_cache(maxsize=1)
def configured_limits() -> Limits:
    """The core's limits as the deployment's settings set them."""
    return Limits(**settings.DICOM_LIMITS)
