"""The read operation: uploaded bytes (one DICOM file or a zip of them) -> what the answer holds.

Everything that can refuse the request (not DICOM, malformed, a limit, a frame a file does not
have) is decided when read_file returns; the images are rendered later, one at a time, as the
caller iterates them, so an answer can be written out as it is made (dicom_api/answer.py turns
these objects into the wire JSON). The decoded-pixel budget and the anonymizer's UID map are
per request: across a zip the declared sizes add up, and a UID replaced in one member is
replaced by the same new UID in every other.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from dicom_core.archive import SkippedMember, iter_zip_members
from dicom_core.deidentify import DeidentifyOptions, deidentify
from dicom_core.dicom_json import dicom_json
from dicom_core.errors import InvalidOptionError, MalformedInputError, NotDicomError
from dicom_core.limits import Limits
from dicom_core.metadata import flat_metadata
from dicom_core.options import ReadOptions
from dicom_core.reading import is_zip, read_dataset
from dicom_core.render import ImageStream, PixelBudget, declared_pixel_bytes, executor_for, render
from dicom_core.render.pipeline import plan_frames
from dicom_core.render.reads import is_read_by_rendering

MEDIA_DIRECTORY_STORAGE = "1.2.840.10008.1.3.10"  # the SOP class of a DICOMDIR
# `anonymize=true` de-identifies the metadata returned; the images are shown as they are, so
# burned-in annotation is no reason to refuse (that is /api/dicom/anonymize/'s business).
METADATA_DEIDENTIFICATION = DeidentifyOptions(allow_burned_in=True)


@dataclass
class FileReading:
    """One DICOM file: its metadata (flat, or DICOM JSON attributes keyed by 8 hex digits) and,
    unless images=false was asked, its images, rendered as they are iterated."""

    metadata: dict
    images: ImageStream | None


@dataclass
class ZipReading:
    """A zip: its DICOM members in order (each rendered as it is iterated), and the members skipped."""

    files: Iterator[tuple[str, FileReading]]
    skipped: list[SkippedMember]


def read_file(data: bytes, options: ReadOptions, limits: Limits) -> FileReading | ZipReading:
    """Raises NotDicomError, MalformedInputError, LimitExceededError, InvalidOptionError."""
    uid_map: dict[str, str] = {}  # old UID -> new UID, shared by the members of a zip
    if is_zip(data):
        return read_zip(BytesIO(data), options, limits, uid_map)
    return read_one(data, options, limits, uid_map)


def read_one(data: bytes, options: ReadOptions, limits: Limits, uid_map: dict[str, str]) -> FileReading:
    dataset = member_reader(options, limits)(data)
    images = None
    if options.images:
        images = render(dataset, options.render, limits, executor_for(dataset, isolated=options.isolated))
    return FileReading(metadata(dataset, options, uid_map), images)


def elements_to_convert(options: ReadOptions) -> Callable[[int], bool] | None:
    """Which elements read_dataset converts: all (None) unless `fields` narrows the metadata; then
    the fields and, with images, what rendering reads. The anonymizer walks every element."""
    if options.fields is None or options.anonymize:
        return None
    tags = frozenset(tag_for_keyword(keyword) for keyword in options.fields) - {None}
    if not options.images:
        return tags.__contains__
    return lambda tag: tag in tags or is_read_by_rendering(tag)


def metadata(dataset: Dataset, options: ReadOptions, uid_map: dict[str, str]) -> dict:
    """The dataset's metadata as asked; `dataset` itself is left as it is (it is rendered after)."""
    if options.anonymize:
        dataset = deidentify(dataset, METADATA_DEIDENTIFICATION, uid_map)  # a copy: the images see the original
    fields = list(options.fields) if options.fields is not None else None
    if options.metadata == "dicom-json":
        return dicom_json(dataset, fields)
    return flat_metadata(dataset, fields)


@dataclass(frozen=True)
class DicomMember:
    """A zip member that is DICOM: its bytes, and its dataset as parsed (without pixels when
    images=false)."""

    name: str
    data: bytes
    dataset: Dataset


def member_reader(options: ReadOptions, limits: Limits) -> Callable[[bytes], Dataset]:
    """How a read with these options parses one file: only what it will show or render; the flat
    metadata of every element takes the plain text ones' strings from their bytes."""
    convert_only = elements_to_convert(options)
    leave_plain_text = convert_only is None and not options.anonymize and options.metadata == "flat"
    return lambda data: read_dataset(
        data, limits, stop_before_pixels=not options.images, convert_only=convert_only, leave_plain_text=leave_plain_text
    )


def iter_dicom_members(
    source: BinaryIO, limits: Limits, read_member: Callable[[bytes], Dataset]
) -> Iterator[DicomMember | SkippedMember]:
    """A zip's DICOM members in archive order, one at a time, each parsed by `read_member`, or
    why a member is skipped (not DICOM, malformed, a DICOMDIR, or what the archive itself
    skips). Raises what iter_zip_members raises for the archive as a whole."""
    for member in iter_zip_members(source, limits):
        if isinstance(member, SkippedMember):
            yield member
            continue
        try:
            dataset = read_member(member.data)
        except (NotDicomError, MalformedInputError) as exc:
            yield SkippedMember(member.name, exc.message)
            continue
        if is_dicomdir(dataset):
            yield SkippedMember(member.name, "DICOMDIR is a media index, not an image.")
        else:
            yield DicomMember(member.name, member.data, dataset)


def read_zip(source: BinaryIO, options: ReadOptions, limits: Limits, uid_map: dict[str, str]) -> ZipReading:
    """Every member is read and checked first (a frame a member lacks, or the pixel budget of the
    whole zip, refuses the request before anything is sent); each member's images are rendered
    when its turn comes, from its bytes parsed again, so one member's dataset is held at a time."""
    accepted: list[tuple[str, dict, bytes]] = []
    skipped: list[SkippedMember] = []
    budget = PixelBudget(limits.max_decoded_bytes)
    for member in iter_dicom_members(source, limits, member_reader(options, limits)):
        if isinstance(member, SkippedMember):
            skipped.append(member)
            continue
        if options.images:
            try:
                plan_frames(member.dataset, options.render, limits)
            except InvalidOptionError as exc:  # e.g. a frame this member does not have: say which member
                raise InvalidOptionError(f"Zip member {member.name!r}: {exc.message}", field=exc.field) from exc
            budget.charge(declared_pixel_bytes(member.dataset), name=member.name)
        accepted.append((member.name, metadata(member.dataset, options, uid_map), member.data))
    return ZipReading(files=zip_files(accepted, options, limits), skipped=skipped)


def zip_files(accepted: list[tuple[str, dict, bytes]], options: ReadOptions, limits: Limits) -> Iterator[tuple[str, FileReading]]:
    for name, member_metadata, member_data in accepted:
        images = None
        if options.images:
            # the checks passed on this same parse a moment ago (the budget for the zip as a whole),
            # and the metadata is taken: only what rendering reads is converted
            dataset = read_dataset(member_data, limits, convert_only=is_read_by_rendering)
            images = render(dataset, options.render, limits, executor_for(dataset, isolated=options.isolated))
        yield name, FileReading(member_metadata, images)


def is_dicomdir(dataset: Dataset) -> bool:
    meta = getattr(dataset, "file_meta", None) or Dataset()
    return meta.get("MediaStorageSOPClassUID") == MEDIA_DIRECTORY_STORAGE
