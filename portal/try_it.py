"""The try-it page's one call into the read core: the same read as POST /api/dicom/read/file/
with its defaults (every element, every frame) in the format chosen, shaped for a page."""

import json
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile

from dicom_api.limits import configured_limits
from dicom_api.serializers import ReadRequestSerializer
from dicom_core.read import read_file

# The keys of a read answer that are the service's, not the file's metadata.
SERVICE_KEYS = {"name", "ImageFormat", "Rendering", "Images", "ImageError"}
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}


@dataclass
class ShownFile:
    name: str
    metadata: list[tuple[str, str]]  # keyword (or tag) -> value, sequences as compact JSON
    frames: list[str]  # data: URLs, in frame order
    image_error: str | None


def read_upload(upload: UploadedFile, image_format: str) -> dict:
    """The read endpoint's answer, its options parsed by the endpoint's own serializer; raises
    DRF's ValidationError or the core's DicomError kinds as the endpoint does."""
    request = ReadRequestSerializer(data={"file": upload, "return_format": image_format})
    request.is_valid(raise_exception=True)
    return read_file(upload.read(), request.read_options(), configured_limits())


def shown_files(answer: dict, upload_name: str) -> tuple[list[ShownFile], list[dict]]:
    """The files of one answer (one file, or a zip's members) and a zip's skipped members."""
    members = answer["files"] if "files" in answer and "skipped" in answer else [{"name": upload_name, **answer}]
    shown = []
    for member in members:
        media_type = MEDIA_TYPES.get(member.get("ImageFormat", ""), "image/png")
        shown.append(
            ShownFile(
                name=member["name"],
                metadata=[(key, _text(value)) for key, value in member.items() if key not in SERVICE_KEYS],
                frames=[f"data:{media_type};base64,{image}" for image in member.get("Images", [])],
                image_error=member.get("ImageError"),
            )
        )
    return shown, answer.get("skipped", [])


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
