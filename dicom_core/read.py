"""The read operation: uploaded bytes (one DICOM file or a zip of them) -> the JSON object.

One file: {...metadata..., "ImageFormat", "Rendering", "Images"} (or "ImageError" and
"Images": [] when there is nothing to show). The metadata is the flat keyword form, or with
metadata="dicom-json" the DICOM JSON model's attributes keyed by 8 hex digits, in the same
top-level object: the service's keys are never 8 hex digits, so one shape serves both. A zip:
{"files": [{"name", ...the same...}], "skipped": [{"name", "reason"}]}. The decoded-pixel
budget and the anonymizer's UID map are per request: across a zip the declared sizes add up,
and a UID replaced in one member is replaced by the same new UID in every other.
"""

import base64
from dataclasses import replace

from pydicom.dataset import Dataset

from dicom_core.deidentify import DeidentifyOptions, deidentify
from dicom_core.archive import SkippedMember, iter_zip_members
from dicom_core.dicom_json import dicom_json
from dicom_core.errors import InvalidOptionError, MalformedInputError, NotDicomError
from dicom_core.limits import Limits
from dicom_core.metadata import flat_metadata
from dicom_core.options import ReadOptions
from dicom_core.reading import as_dicom_file, is_zip, read_dataset
from dicom_core.render import (
    RenderOptions,
    RenderResult,
    declared_pixel_bytes,
    render_isolated,
    render_dataset,
)

MEDIA_DIRECTORY_STORAGE = "1.2.840.10008.1.3.10"  # the SOP class of a DICOMDIR
# `anonymize=true` de-identifies the metadata returned; the images are shown as they are, so
# burned-in annotation is no reason to refuse (that is /api/dicom/anonymize/'s business).
METADATA_DEIDENTIFICATION = DeidentifyOptions(allow_burned_in=True)


def read_file(data: bytes, options: ReadOptions, limits: Limits) -> dict:
    """Raises NotDicomError, MalformedInputError, LimitExceededError, InvalidOptionError."""
    uid_map: dict[str, str] = {}  # old UID -> new UID, shared by the members of a zip
    if is_zip(data):
        return read_zip(data, options, limits, uid_map)
    return read_one(data, options, limits, uid_map)


def read_one(data: bytes, options: ReadOptions, limits: Limits, uid_map: dict[str, str]) -> dict:
    """One DICOM file's object; raises NotDicomError/MalformedInputError before any rendering."""
    dataset = read_dataset(data, limits, stop_before_pixels=not options.images)
    return describe(dataset, data, options, limits, uid_map)


def describe(dataset: Dataset, data: bytes, options: ReadOptions, limits: Limits, uid_map: dict[str, str]) -> dict:
    rendered = render(dataset, data, options, limits) if options.images else None
    result = metadata(dataset, options, uid_map)
    if rendered is None:
        return result
    result["ImageFormat"] = options.render.image_format.upper()
    if rendered.error is None:
        result["Rendering"] = rendered.rendering
    result["Images"] = [base64.b64encode(image).decode("ascii") for image in rendered.images]
    if rendered.error is not None:
        result["ImageError"] = rendered.error
    return result


def metadata(dataset: Dataset, options: ReadOptions, uid_map: dict[str, str]) -> dict:
    """The dataset's metadata as asked (anonymized on a copy: `dataset` is left as it was)."""
    if options.anonymize:
        dataset = deidentify(dataset, METADATA_DEIDENTIFICATION, uid_map)
    fields = list(options.fields) if options.fields is not None else None
    if options.metadata == "dicom-json":
        return dicom_json(dataset, fields)
    return flat_metadata(dataset, fields)


def read_zip(data: bytes, options: ReadOptions, limits: Limits, uid_map: dict[str, str]) -> dict:
    files: list[dict] = []
    skipped: list[dict] = []
    pixel_bytes_left = limits.max_decoded_bytes
    for member in iter_zip_members(data, limits):
        if isinstance(member, SkippedMember):
            skipped.append({"name": member.name, "reason": member.reason})
            continue
        try:
            dataset = read_dataset(member.data, limits, stop_before_pixels=not options.images)
        except (NotDicomError, MalformedInputError) as exc:
            skipped.append({"name": member.name, "reason": exc.message})
            continue
        if is_dicomdir(dataset):
            skipped.append({"name": member.name, "reason": "DICOMDIR is a media index, not an image."})
            continue
        member_limits = replace(limits, max_decoded_bytes=pixel_bytes_left)
        try:
            described = describe(dataset, member.data, options, member_limits, uid_map)
        except InvalidOptionError as exc:  # e.g. a frame this member does not have: say which member
            raise InvalidOptionError(f"Zip member {member.name!r}: {exc.message}", field=exc.field) from exc
        files.append({"name": member.name, **described})
        if options.images:
            pixel_bytes_left -= declared_pixel_bytes(dataset)
    return {"files": files, "skipped": skipped}


def render(dataset: Dataset, data: bytes, options: ReadOptions, limits: Limits) -> RenderResult:
    if options.isolated:
        return render_isolated(dataset, as_dicom_file(data), options.render, limits)
    return render_dataset(dataset, options.render, limits)


def is_dicomdir(dataset: Dataset) -> bool:
    meta = getattr(dataset, "file_meta", None) or Dataset()
    return meta.get("MediaStorageSOPClassUID") == MEDIA_DIRECTORY_STORAGE

