"""Hostile DICOM files and zips, built byte by byte for the reading-side tests."""

import json
import struct
import zipfile
from io import BytesIO
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
UNDEFINED = b"\xff\xff\xff\xff"


def corpus_bytes(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def tag(group: int, element: int) -> bytes:
    return struct.pack("<HH", group, element)


def explicit_le_file(body: bytes, **elements) -> bytes:
    """Preamble, file meta (explicit VR little endian), PatientName and the given elements, then `body`."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.PatientName = "Hazard^Test"
    for keyword, value in elements.items():
        setattr(dataset, keyword, value)
    out = BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue() + body


def undefined_sequence(content: bytes) -> bytes:
    return tag(0x0040, 0xA730) + b"SQ\0\0" + UNDEFINED + content + tag(0xFFFE, 0xE0DD) + bytes(4)


def undefined_item(content: bytes) -> bytes:
    return tag(0xFFFE, 0xE000) + UNDEFINED + content + tag(0xFFFE, 0xE00D) + bytes(4)


def nested_sequences(depth: int) -> bytes:
    body = b""
    for _ in range(depth):
        body = undefined_sequence(undefined_item(body))
    return explicit_le_file(body)


def many_items(count: int) -> bytes:
    empty_item = tag(0xFFFE, 0xE000) + struct.pack("<L", 0)
    return explicit_le_file(undefined_sequence(empty_item * count))


def many_elements(count: int) -> bytes:
    """`count` empty LO elements in private groups 0011, 0013, ... (60,000 per group)."""
    per_group = 60_000
    return explicit_le_file(
        b"".join(
            tag(0x0011 + 2 * (index // per_group), 0x1000 + index % per_group) + b"LO\0\0" for index in range(count)
        )
    )


def ob_claiming(length: int, present: bytes = b"\x01\x02") -> bytes:
    """An OB element (0009,1010) declaring `length` bytes with only `present` after it."""
    return explicit_le_file(tag(0x0009, 0x0010) + b"LO\x04\0TEST" + tag(0x0009, 0x1010) + b"OB\0\0" + struct.pack("<L", length) + present)


def huge_rle_frames() -> bytes:
    """Rows = Columns = 65535, 1000 frames, RLE Lossless with three tiny fragments."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.PatientName = "Huge^Frames"
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.Rows = dataset.Columns = 65535
    dataset.NumberOfFrames = 1000
    dataset.BitsAllocated = dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 0
    out = BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    fragment = tag(0xFFFE, 0xE000) + struct.pack("<L", 4) + b"\0\0\0\0"
    pixel_data = tag(0x7FE0, 0x0010) + b"OB\0\0" + UNDEFINED + tag(0xFFFE, 0xE000) + bytes(4)
    return out.getvalue() + pixel_data + fragment * 3 + tag(0xFFFE, 0xE0DD) + bytes(4)


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def read_answer(data: bytes, options, limits) -> dict:
    """read_file's result as the client receives it (dicom_api/answer.py's JSON), read whole."""
    from dicom_api.answer import read_answer_chunks
    from dicom_core.read import read_file

    return json.loads(b"".join(read_answer_chunks(read_file(data, options, limits))))
