"""DICOM out: one DICOM file or a zip of them in, the converted file(s) out.

One file gives the converted file's bytes. A zip gives a `ZipOutput` whose members are
converted while the answer streams: everything that can refuse the request as a whole (the
archive's limits, the decoded-pixel budget summed over the members) is checked before the
first byte is sent; what fails in one member after that (not DICOM, a syntax that cannot hold
its pixels, burned-in annotation) lists it in the `skipped.json` member, with the reason.
"""

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO

from pydicom import dcmwrite
from pydicom.dataset import Dataset

from dicom_core.archive import SkippedMember
from dicom_core.errors import DicomError, MalformedInputError
from dicom_core.limits import Limits
from dicom_core.read import iter_dicom_members
from dicom_core.reading import is_zip, read_dataset
from dicom_core.render.decode import UndecodableFrameError, check_native_length, pixel_options, transfer_syntax
from dicom_core.render.frames import PixelBudget, check_pixel_budget, declared_pixel_bytes, pixel_description_problem
from dicom_core.transcode import ensure_file_meta

SKIPPED_MEMBER = "skipped.json"

# (parsed dataset, the file's bytes) -> the converted file's bytes; raises DicomError for this
# file's fault
Conversion = Callable[[Dataset, bytes], bytes]


@dataclass(frozen=True)
class InputFile:
    name: str
    dataset: Dataset
    data: bytes


@dataclass
class ZipOutput:
    members: list[InputFile]
    skipped: list[dict] = field(default_factory=list)

    def chunks(self, convert: Conversion) -> Iterator[bytes]:
        """The output zip, a member at a time; `skipped.json` last."""
        sink = _ChunkSink()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in self.members:
                name = member.name
                try:
                    content = convert(member.dataset, member.data)
                except DicomError as exc:
                    self.skipped.append({"name": name, "reason": exc.message})
                    continue
                archive.writestr(name, content)
                yield sink.take()
            archive.writestr(SKIPPED_MEMBER, json.dumps(self.skipped, indent=1))
        yield sink.take()


def convert_upload(data: bytes, limits: Limits, convert: Conversion) -> bytes | ZipOutput:
    """One file: its converted bytes (DicomError raised for its fault). A zip: a ZipOutput
    (LimitExceededError and MalformedInputError raised for the archive as a whole)."""
    if is_zip(data):
        return read_zip_members(data, limits)
    dataset = read_whole_dataset(data, limits)
    check_pixel_budget(dataset, limits)
    return convert(dataset, data)


def read_zip_members(data: bytes, limits: Limits) -> ZipOutput:
    output = ZipOutput(members=[])
    budget = PixelBudget(limits.max_decoded_bytes)
    for member in iter_dicom_members(BytesIO(data), limits, lambda member_data: read_whole_dataset(member_data, limits)):
        if isinstance(member, SkippedMember):
            output.skipped.append({"name": member.name, "reason": member.reason})
            continue
        budget.charge(declared_pixel_bytes(member.dataset), name=member.name)
        output.members.append(InputFile(member.name, member.dataset, member.data))
    return output


def read_whole_dataset(data: bytes, limits: Limits) -> Dataset:
    """read_dataset, refusing a file whose pixel data is shorter than its header declares: a
    file written from it would carry the broken length on (the read endpoint still shows its
    metadata)."""
    dataset = read_dataset(data, limits)
    uid = transfer_syntax(dataset)
    if "PixelData" not in dataset or not uid.is_transfer_syntax or pixel_description_problem(dataset) is not None:
        return dataset  # nothing to measure (transcoding says what is wrong with a damaged description)
    try:
        check_native_length(dataset, uid, pixel_options(dataset))
    except UndecodableFrameError as exc:
        raise MalformedInputError(f"{exc} No DICOM file is written from it.") from None
    return dataset


def dicom_bytes(dataset: Dataset) -> bytes:
    """The dataset as a DICOM file (preamble, file meta) in its file meta's transfer syntax."""
    ensure_file_meta(dataset)
    if "TransferSyntaxUID" not in dataset.file_meta:
        dataset.file_meta.TransferSyntaxUID = transfer_syntax(dataset)  # as it was parsed
    buffer = BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


class _ChunkSink:
    """A write-only stream zipfile writes into (unseekable: zipfile then writes data
    descriptors), emptied a member at a time."""

    def __init__(self):
        self._buffer = BytesIO()
        self._written = 0

    def write(self, data) -> int:
        self._written += len(data)
        return self._buffer.write(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = self._buffer.getvalue()
        self._buffer = BytesIO()
        return data
