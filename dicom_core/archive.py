"""Safe iteration over the members of a zip, from any seekable binary file (bytes in a BytesIO,
or an upload in storage read as it is iterated); nothing is extracted anywhere.

Hostile archives are refused as a whole (LimitExceededError): too many central directory
records (counted from the raw bytes, in chunks, before zipfile builds an object per record), entries
whose data overlap (CPython gh-109858: Python 3.11's zipfile does not notice), more
inflated bytes than allowed, or a member inflating past the compression ratio. Sizes
declared in the archive are never trusted: members are inflated in chunks and the real
bytes counted. Members that cannot be read (encrypted, unsupported method, corrupt, a
nested zip) are skipped with a reason. Deciding what is DICOM is the caller's business.
"""

import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from dicom_core.errors import LimitExceededError, MalformedInputError
from dicom_core.limits import Limits
from dicom_core.reading import is_zip

CHUNK_BYTES = 1024 * 1024
# Below this many inflated bytes a member is not judged by its ratio: a small DICOM file of
# blank pixels legitimately compresses 1000:1, and the cumulative cap bounds the rest.
RATIO_GRACE_BYTES = 1024 * 1024
READABLE_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
DICOMDIR_NAME = "DICOMDIR"

_END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"
_CENTRAL_DIRECTORY_RECORD = b"PK\x01\x02"
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length
_MAX_COMMENT = 0xFFFF


@dataclass(frozen=True)
class ZipMember:
    name: str
    data: bytes


@dataclass(frozen=True)
class SkippedMember:
    name: str
    reason: str


class CorruptMemberError(Exception):
    """One member cannot be inflated; the others may still be read."""


def iter_zip_members(source: BinaryIO, limits: Limits) -> Iterator[ZipMember | SkippedMember]:
    """Each file member's name and inflated bytes, in archive order, or why it was skipped.
    `source` is a seekable binary file, read one member at a time (the caller closes it).

    Raises MalformedInputError (not a readable zip) and LimitExceededError (max_zip_members,
    zip_overlapping_entries, max_inflated_bytes, max_member_bytes, max_zip_ratio), the latter possibly after
    some members were yielded.
    """
    check_record_count(source, limits)
    archive = open_archive(source)
    infos = [info for info in archive.infolist() if not info.is_dir()]
    check_no_overlap(source, infos)
    inflated_total = 0
    for info in infos:
        reason = skip_reason(info)
        if reason:
            yield SkippedMember(info.filename, reason)
            continue
        try:
            content = read_member(archive, info, limits, limits.max_inflated_bytes - inflated_total)
        except CorruptMemberError as exc:
            yield SkippedMember(info.filename, str(exc))
            continue
        inflated_total += len(content)
        if is_zip(content):
            yield SkippedMember(info.filename, "Nested zip archives are not read.")
        else:
            yield ZipMember(info.filename, content)


def check_record_count(source: BinaryIO, limits: Limits) -> None:
    """Count central directory records in the raw bytes (the declared total can lie)."""
    size = source.seek(0, 2)
    tail_start = max(0, size - 22 - _MAX_COMMENT)
    source.seek(tail_start)
    tail = source.read()
    found = tail.rfind(_END_OF_CENTRAL_DIRECTORY)
    if found < 0 or found + 22 > len(tail):
        raise MalformedInputError("The zip archive is corrupt: no end of central directory record.")
    end = tail_start + found
    declared, directory_size, directory_offset = struct.unpack("<10xHLL", tail[found : found + 20])
    start = min(directory_offset, end) if directory_offset != 0xFFFFFFFF else 0
    records = max(declared, count_signature(source, _CENTRAL_DIRECTORY_RECORD, start, end))
    if records > limits.max_zip_members:
        raise LimitExceededError(
            f"The zip archive has {records} entries, more than the limit of {limits.max_zip_members}.",
            limit="max_zip_members",
        )


def count_signature(source: BinaryIO, signature: bytes, start: int, end: int) -> int:
    """Occurrences of `signature` in source[start:end], read in chunks; the last bytes of a chunk
    are kept before the next, so a signature across two chunks is counted (once: the zip
    signatures cannot overlap themselves)."""
    source.seek(start)
    count, carry, left = 0, b"", end - start
    while left > 0:
        chunk = source.read(min(CHUNK_BYTES, left))
        if not chunk:
            break
        left -= len(chunk)
        window = carry + chunk
        count += window.count(signature)
        carry = window[-(len(signature) - 1) :]
    return count


def open_archive(source: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error, NotImplementedError) as exc:
        raise MalformedInputError(f"The zip archive is corrupt ({type(exc).__name__}).") from None


def check_no_overlap(source: BinaryIO, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse entries whose local header and data share bytes with another entry's."""
    spans = sorted(span for span in (member_span(source, info) for info in infos) if span is not None)
    for (_, previous_end), (start, _) in zip(spans, spans[1:]):
        if start < previous_end:
            raise LimitExceededError(
                "The zip archive has overlapping entries (several names for the same bytes).",
                limit="zip_overlapping_entries",
            )


def member_span(source: BinaryIO, info: zipfile.ZipInfo) -> tuple[int, int] | None:
    """The bytes of the member's local header and data; None when no local header is there
    (a corrupt member: reading it fails and skips it)."""
    start = info.header_offset
    if start < 0:
        return None
    source.seek(start)
    header = source.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or not header.startswith(_LOCAL_HEADER_SIGNATURE):
        return None
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    return start, start + _LOCAL_HEADER.size + name_length + extra_length + info.compress_size


def skip_reason(info: zipfile.ZipInfo) -> str | None:
    if PurePosixPath(info.filename).name.upper() == DICOMDIR_NAME:
        return "DICOMDIR is a media index, not an image."
    if info.flag_bits & 0x1:
        return "Encrypted members are not read."
    if info.compress_type not in READABLE_METHODS:
        return f"Unsupported compression method {info.compress_type}."
    return None


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, allowance: int) -> bytes:
    """Inflate one member in chunks, counting real bytes against the allowance and the ratio."""
    max_member_bytes = max(RATIO_GRACE_BYTES, limits.max_zip_ratio * max(info.compress_size, 1))
    chunks = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > allowance:
                    raise LimitExceededError(
                        f"The zip archive inflates to more than {limits.max_inflated_bytes} bytes.",
                        limit="max_inflated_bytes",
                    )
                if limits.max_member_bytes is not None and size > limits.max_member_bytes:
                    raise LimitExceededError(
                        f"The member {info.filename!r} inflates to more than {limits.max_member_bytes} bytes.",
                        limit="max_member_bytes",
                    )
                if size > max_member_bytes:
                    raise LimitExceededError(
                        f"The member {info.filename!r} inflates more than {limits.max_zip_ratio} times its size.",
                        limit="max_zip_ratio",
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CorruptMemberError(f"Corrupt member ({type(exc).__name__}).") from None
    return b"".join(chunks)
