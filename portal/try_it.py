"""The try-it page's one call into the read core: the same read as POST /api/dicom/read/file/
with its defaults (every element, every frame) in the format chosen, shaped for a page."""

import base64
import json
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile

from dicom_api.limits import configured_limits
from dicom_api.serializers import ReadRequestSerializer
from dicom_core.read import FileReading, ZipReading, read_file

MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif"}


@dataclass
class ShownFile:
    name: str
    metadata: list[tuple[str, str]]  # keyword (or tag) -> value, sequences as compact JSON
    frames: list[str]  # data: URLs, in frame order
    image_error: str | None


@dataclass
class ShownUpload:
    files: list[ShownFile]
    skipped: list[dict]  # a zip's members that were not read: {"name", "reason"}


def read_upload(upload: UploadedFile, image_format: str) -> ShownUpload:
    """The read endpoint's answer for the page, its options parsed by the endpoint's own
    serializer; raises DRF's ValidationError or the core's DicomError kinds as the endpoint does."""
    request = ReadRequestSerializer(data={"file": upload, "return_format": image_format})
    request.is_valid(raise_exception=True)
    reading = read_file(upload.read(), request.read_options(), configured_limits())
    if isinstance(reading, ZipReading):
        files = [_shown(name, member) for name, member in reading.files]
        return ShownUpload(files, [{"name": member.name, "reason": member.reason} for member in reading.skipped])
    return ShownUpload([_shown(upload.name, reading)], [])


def _shown(name: str, reading: FileReading) -> ShownFile:
    images = reading.images
    media_type = MEDIA_TYPES[images.image_format]
    frames = [f"data:{media_type};base64,{base64.b64encode(image).decode('ascii')}" for image in images]
    return ShownFile(
        name=name,
        metadata=[(key, _text(value)) for key, value in reading.metadata.items()],
        frames=frames,
        image_error=images.error,  # set once iterated: no pixel data, or the frame that failed
    )


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
