"""The shapes of the job endpoints, for the answers and the OpenAPI schema."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from dicom_api.serializers import ReadRequestSerializer


def job_limits_description() -> str:
    """The job's own limits, as this deployment's settings set them."""
    return (
        f"Limits: the upload up to {settings.JOB_MAX_UPLOAD_BYTES} bytes (413); a zip of up to {settings.JOB_MAX_ZIP_MEMBERS} "
        f"entries and {settings.JOB_MAX_INFLATED_BYTES} bytes inflated in all, each member up to "
        f"{settings.DICOM_LIMITS['max_inflated_bytes']} bytes; the declared decoded pixels of all its files up to "
        f"{settings.MAX_JOB_DECODED_BYTES} bytes, each frame up to {settings.DICOM_LIMITS['max_decoded_bytes']} bytes, "
        "charged file by file before a file is read. A job past one of these ends `failed`, its `error` naming the "
        "limit; what it read is deleted. Every other limit is the synchronous read's.\n\n"
    )


WEBHOOK_DESCRIPTION = """When the job ends (succeeded, failed), the service POSTs `{"id", "status", "status_url"}` (JSON) to
`callback_url`, signed as Stripe signs webhooks: the header `DICOM-API-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256
of "<t>.<raw body>">`, keyed with your `webhook_secret` (`GET /api/developer/profiles/`; rotate it with
`POST /api/developer/profiles/webhook-secret/`). A delivery that fails or times out is retried with backoff for about an
hour. A URL that resolves to a loopback, private, link-local or cloud-metadata address is refused with 400.

Verify a callback before trusting it (and refuse old timestamps, against replays):

```python
import hashlib, hmac, time

def verify(raw_body: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    fields = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(time.time() - timestamp) <= tolerance
```"""


class ReadJobRequestSerializer(ReadRequestSerializer):
    """The read's multipart body, and where to call back."""

    callback_url = serializers.URLField(required=False, max_length=2000, help_text="Called when the job ends; see the endpoint's description.")


class JobProgressSerializer(serializers.Serializer):
    files_total = serializers.IntegerField(help_text="DICOM files in the upload (0 until the upload is listed).")
    files_done = serializers.IntegerField()
    frames_done = serializers.IntegerField()


class ReadJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(["queued", "running", "succeeded", "failed", "cancelled", "expired"])
    progress = JobProgressSerializer(source="*")
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    expires = serializers.DateTimeField(allow_null=True, help_text="When the results are deleted.")
    error = serializers.SerializerMethodField()
    results_url = serializers.SerializerMethodField()
    archive_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_error(self, job) -> str | None:
        return job.error or None

    @extend_schema_field(OpenApiTypes.URI)
    def get_results_url(self, job) -> str:
        return reverse("read-job-results", args=[job.id], request=self.context["request"])

    @extend_schema_field(OpenApiTypes.URI)
    def get_archive_url(self, job) -> str:
        return reverse("read-job-archive", args=[job.id], request=self.context["request"])


class ReadJobCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    status_url = serializers.URLField()
    created = serializers.DateTimeField()
