"""Bytes in memory -> a fully parsed pydicom Dataset, or an error saying why not.

Nothing is written anywhere. Only input with evidence of being DICOM is parsed (pydicom's
force=True alone would "parse" any bytes), every element is converted here so that a bad
value fails now rather than later, and hostile structure (deep nesting, millions of items,
deflate bombs) is refused before it costs much.
"""

import re
import struct
from collections.abc import Callable
import zlib
from io import BytesIO

import numpy as np
import pydicom
from pydicom import hooks
from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.filewriter import correct_ambiguous_vr_element
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian
from pydicom.valuerep import AMBIGUOUS_VR, VR

from dicom_core.errors import DicomError, LimitExceededError, MalformedInputError, NotDicomError
from dicom_core.limits import Limits

PREAMBLE_LENGTH = 128
MAGIC = b"DICM"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive

# Groups a dataset without file meta may plausibly start with: file meta itself (no
# preamble), DICOMDIR, identification, patient, acquisition, relationship, image.
_PLAUSIBLE_FIRST_GROUPS = frozenset({0x0002, 0x0004, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028})
_VRS = frozenset(
    vr.encode()
    for vr in "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split()
)
_LONG_LENGTH_VRS = frozenset(vr.encode() for vr in "OB OD OF OL OV OW SQ UC UN UR UT SV UV".split())
UNDEFINED_LENGTH = 0xFFFFFFFF
# An item tag (FFFE,E000) in either byte order: counting them bounds the number of items
# (sequence items and pixel fragments) before pydicom builds an object for each one.
_ITEM_TAG_LITTLE, _ITEM_TAG_BIG = b"\xfe\xff\x00\xe0", b"\xff\xfe\xe0\x00"
COUNT_WINDOW_BYTES = 1 << 20  # bytes compared at once by count_tag (even: alignments stay the same)
# Below this, bytes.count is faster than numpy's fixed cost per call (MR_small, 10 kB: 9 against 36 us).
COUNT_NUMPY_FROM_BYTES = 48 * 1024
_BIG_ENDIAN_UID = str(ExplicitVRBigEndian).encode()
_DEFLATED_UID = str(DeflatedExplicitVRLittleEndian).encode()
_PIXEL_DATA_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})
SPECIFIC_CHARACTER_SET = 0x00080005  # converted by pydicom itself, before the elements it decodes


def is_zip(data: bytes) -> bool:
    return data[:4] in _ZIP_SIGNATURES


def read_dataset(
    data: bytes,
    limits: Limits,
    *,
    stop_before_pixels: bool = False,
    convert_only: Callable[[int], bool] | None = None,
    leave_plain_text: bool = False,
) -> Dataset:
    """Parse DICOM bytes: with preamble and file meta, without the preamble, or without meta.

    `convert_only`: which top-level tags to convert (parse_structure); None converts every element,
    but with `leave_plain_text` those whose string `plain_text` gives, which cannot fail to convert
    (for the flat metadata, which takes that string; read from the dataset, pydicom converts them).

    Raises NotDicomError (no evidence of DICOM), MalformedInputError (broken structure),
    LimitExceededError (max_sequence_depth, max_sequence_items, max_data_elements,
    max_inflated_bytes).
    """
    source = as_dicom_file(data)
    check_file_meta(source)
    check_item_count(dataset_bytes(source, limits), item_tags(source), limits)
    try:
        dataset = pydicom.dcmread(BytesIO(source), force=True, stop_before_pixels=stop_before_pixels)
        if convert_only is None:
            parse_every_element(dataset, depth=0, limits=limits, counted=len(dataset.file_meta), leave_plain_text=leave_plain_text)
        else:
            parse_structure(dataset, convert_only, limits)
        list(dataset.file_meta)  # converts the meta elements too
    except DicomError:
        raise
    except RecursionError:
        raise too_deep(limits) from None
    except Exception as exc:  # pydicom's parse failures are of many kinds
        raise MalformedInputError(f"The DICOM file is malformed and cannot be parsed ({type(exc).__name__}).") from None
    if len(dataset) == 0:
        raise MalformedInputError("The DICOM file contains no data elements.")
    return dataset


def as_dicom_file(data: bytes) -> bytes:
    """The bytes as pydicom reads them, once there is evidence that they are DICOM."""
    if data[PREAMBLE_LENGTH : PREAMBLE_LENGTH + 4] == MAGIC:
        return data
    if data[:4] == MAGIC:  # 'DICM' without the preamble before it
        return bytes(PREAMBLE_LENGTH) + data
    if starts_with_plausible_element(data):  # no preamble, maybe no file meta (as DCMTK reads)
        return data
    raise NotDicomError("The file is neither DICOM nor a zip: no 'DICM' marker and no DICOM data element at its start.")


def check_file_meta(source: bytes) -> None:
    """After 'DICM' comes the file meta group: elements of group 0002, explicit VR little endian,
    each with a known VR and a length within the file. Else pydicom would read whatever follows
    as a dataset of junk elements."""
    if source[PREAMBLE_LENGTH : PREAMBLE_LENGTH + 4] != MAGIC:
        return
    offset, elements = PREAMBLE_LENGTH + 4, 0
    while offset + 8 <= len(source) and source[offset : offset + 2] == b"\x02\x00":
        vr = source[offset + 4 : offset + 6]
        if vr in _LONG_LENGTH_VRS:
            header, (length,) = 12, struct.unpack("<L", source[offset + 8 : offset + 12].ljust(4, b"\0"))
        else:
            header, (length,) = 8, struct.unpack("<H", source[offset + 6 : offset + 8])
        if vr not in _VRS or offset + header + length > len(source):
            break
        offset, elements = offset + header + length, elements + 1
    else:
        if elements:
            return
    raise MalformedInputError(
        "The file meta information after 'DICM' does not parse as group 0002 (explicit VR little endian)."
    )


def starts_with_plausible_element(data: bytes) -> bool:
    """Whether the first bytes are a data element of a plausible first group with a sane VR/length."""
    if len(data) < 8:
        return False
    for byte_order in "<>":
        group, _element = struct.unpack(byte_order + "HH", data[:4])
        if group in _PLAUSIBLE_FIRST_GROUPS and first_length_fits(data, byte_order):
            return True
    return False


def first_length_fits(data: bytes, byte_order: str) -> bool:
    vr = data[4:6]
    if vr in _LONG_LENGTH_VRS and len(data) >= 12:
        header, length_bytes, length_format = 12, data[8:12], "L"
    elif vr in _VRS and vr not in _LONG_LENGTH_VRS:
        header, length_bytes, length_format = 8, data[6:8], "H"
    elif byte_order == "<":  # implicit VR exists in little endian only
        header, length_bytes, length_format = 8, data[4:8], "L"
    else:
        return False
    (length,) = struct.unpack(byte_order + length_format, length_bytes)
    return length == UNDEFINED_LENGTH or length <= len(data) - header


def dataset_bytes(source: bytes, limits: Limits) -> bytes:
    """The encoded dataset after the file meta; inflated (within the limit) when deflated."""
    offset = PREAMBLE_LENGTH + 4 if source[PREAMBLE_LENGTH : PREAMBLE_LENGTH + 4] == MAGIC else 0
    meta_end = file_meta_end(source, offset)
    if _DEFLATED_UID not in source[offset:meta_end]:
        return source
    return inflate_within(source[meta_end:], limits.max_inflated_bytes)


def file_meta_end(source: bytes, offset: int) -> int:
    """Offset just past the group 0002 elements (always explicit VR little endian) from `offset`."""
    while offset + 8 <= len(source) and source[offset : offset + 2] == b"\x02\x00":
        vr = source[offset + 4 : offset + 6]
        if vr in _LONG_LENGTH_VRS:
            (length,) = struct.unpack("<L", source[offset + 8 : offset + 12].ljust(4, b"\0"))
            offset += 12 + length
        else:
            (length,) = struct.unpack("<H", source[offset + 6 : offset + 8])
            offset += 8 + length
    return min(offset, len(source))


def inflate_within(deflated: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(deflated, max_bytes + 1)
    except zlib.error:
        raise MalformedInputError("The deflated DICOM dataset is corrupt.") from None
    if len(inflated) > max_bytes:
        raise LimitExceededError(
            f"The deflated DICOM dataset inflates to more than {max_bytes} bytes.", limit="max_inflated_bytes"
        )
    return inflated


def item_tags(source: bytes) -> tuple[bytes, ...]:
    """The item tag as pydicom will read it: in the byte order the file meta names, or in
    either when there is no file meta (pydicom then guesses)."""
    offset = PREAMBLE_LENGTH + 4 if source[PREAMBLE_LENGTH : PREAMBLE_LENGTH + 4] == MAGIC else 0
    meta = source[offset : file_meta_end(source, offset)]
    if not meta:
        return _ITEM_TAG_LITTLE, _ITEM_TAG_BIG
    return (_ITEM_TAG_BIG,) if _BIG_ENDIAN_UID in meta else (_ITEM_TAG_LITTLE,)


def check_item_count(encoded: bytes, tags: tuple[bytes, ...], limits: Limits) -> None:
    """Refuse, before parsing, more items than limits.max_sequence_items (an upper bound count)."""
    items = sum(count_tag(encoded, tag) for tag in tags)
    if items > limits.max_sequence_items:
        raise LimitExceededError(
            f"The file holds about {items} sequence items, more than the limit of {limits.max_sequence_items}.",
            limit="max_sequence_items",
        )


def count_tag(data: bytes, tag: bytes) -> int:
    """How often the 4 bytes of `tag` occur in `data`, at any offset: data.count(tag), ~6x faster on large data.

    bytes.count took ~1.5 ns a byte (3 ms on a 2 MB MR, every read). Here numpy compares the
    data as 16-bit halves at both alignments, a window at a time so that memory stays small
    whatever the data; a window reads 3 bytes past its end, so a tag across two windows counts
    once, in the window it starts in. (An item tag cannot overlap itself, so counting every
    offset equals bytes.count.)
    """
    if len(data) < COUNT_NUMPY_FROM_BYTES:
        return data.count(tag)
    first, second = struct.unpack("<HH", tag)
    array = np.frombuffer(data, np.uint8)
    count = 0
    for start in range(0, len(array), COUNT_WINDOW_BYTES):
        window = array[start : start + COUNT_WINDOW_BYTES + 3]
        for alignment in (0, 1):
            halves = window[alignment : alignment + (len(window) - alignment) // 2 * 2].view("<u2")
            candidates = np.flatnonzero(halves[:-1] == first)
            count += int(np.count_nonzero(halves[candidates + 1] == second))
    return count


def parse_every_element(dataset: Dataset, *, depth: int, limits: Limits, counted: int = 0, leave_plain_text: bool = False) -> int:
    """Convert every raw element (pydicom converts lazily), bounding nesting and element count.

    Returns the running count of elements. The count is checked before each dataset's
    elements are converted, since converting is what costs (~10 us an element).
    """
    counted += len(dataset)
    if counted > limits.max_data_elements:
        raise LimitExceededError(
            f"The file holds more than {limits.max_data_elements} data elements.", limit="max_data_elements"
        )
    convert_elements(dataset, leave_plain_text=leave_plain_text)
    for element in dataset.elements():
        if element.VR != VR.SQ:
            continue
        if depth + 1 > limits.max_sequence_depth:
            raise too_deep(limits)
        for item in element.value:
            counted = parse_every_element(item, depth=depth + 1, limits=limits, counted=counted, leave_plain_text=leave_plain_text)
    return counted


def convert_elements(dataset: Dataset, only: Callable[[int], bool] | None = None, *, leave_plain_text: bool = False) -> None:
    """Convert the raw elements of one level of `dataset` (those `only` accepts, when given; with
    `leave_plain_text`, not those `plain_text` reads) in place, as `dataset[tag]` would.

    Dataset.__getitem__ looks the element up four times and __setitem__ re-checks it: on a file
    of a few hundred elements that bookkeeping was a quarter of a small read's CPU. Here an
    ordinary element is converted and stored directly; what needs pydicom's bookkeeping (the
    character set element, deferred values, sequences, ambiguous VRs) goes through it, and a
    private element gets its private creator as __setitem__ gives it.
    (tests/dicom_core/test_reading.py compares the result with pydicom's own, element by element.)
    """
    elements = dataset._dict  # pydicom's own mapping of tag -> element
    dataset.get(SPECIFIC_CHARACTER_SET)  # pydicom converts it first: the others are decoded with it
    character_set = character_set_of(dataset)
    private_creators: dict[int, str] = {}
    for tag, element in list(elements.items()):
        if not isinstance(element, RawDataElement) or only is not None and not only(tag):
            continue
        if element.value is None:
            dataset[tag]  # pydicom reads the deferred value and converts it
            continue
        check_within_file(element)
        if leave_plain_text and plain_text(element, character_set) is not None:
            continue
        converted = convert_raw_data_element(element, encoding=character_set, ds=dataset)
        if converted.VR == VR.SQ:
            dataset[tag] = converted  # wraps the items, passes the pixel representation down
        elif converted.VR in AMBIGUOUS_VR:
            dataset[tag] = converted
            dataset[tag] = correct_ambiguous_vr_element(converted, dataset, element.is_little_endian)
        else:
            number = int(tag)  # plain int comparisons: BaseTag's are Python methods
            if number & 0x10000:  # an odd group: private
                creator = number & 0xFFFF0000 | (number & 0xFF00) >> 8
                if creator != number and creator in elements:
                    if creator not in private_creators:
                        private_creators[creator] = dataset[creator].value
                    converted.private_creator = private_creators[creator]
            elements[tag] = converted


def character_set_of(dataset: Dataset) -> list[str]:
    """The Python encodings pydicom decodes dataset's text with (a sequence item's are its parent's)."""
    return dataset.original_character_set or dataset._character_set


# The flat metadata's string of a single-valued, plain ASCII element of these VRs, as pydicom's
# conversion and str() give it: trailing spaces and NULs dropped (a UID's leading ones too); and
# numbers (below). Private
# elements too: in an explicit VR file (the only one whose raw elements carry a VR) their VR is the file's.
# Converting an element costs ~10-20 us (most of an all-metadata read: CT_small 5.1 -> 3.0 ms);
# these strings cost ~1 us. tests/dicom_core/test_reading.py compares plain_text with pydicom's
# conversion on random values of each VR and the flat metadata of every corpus file.
PLAIN_TEXT_STRIP = {
    "CS": str.rstrip, "SH": str.rstrip, "LO": str.rstrip, "AS": str.rstrip,
    "DA": str.rstrip, "TM": str.rstrip, "DT": str.rstrip, "UI": str.strip,
}
PLAIN_TEXT = re.compile(rb"[ -\[\]-~]*[ \x00]*")  # printable ASCII but the backslash (values' separator), then padding
# Decimal or integer strings, each within its VR's length (16, 12 bytes), outer spaces stripped: each
# keeps its text (pydicom's DS and IS keep the original string), several print as "[a, b]"; an
# exponent, inner spaces or a longer one (an IS of 16 digits reads as 1e+16) are left to pydicom.
PLAIN_NUMBER = {
    "DS": (re.compile(rb"[-+]?[0-9]+(?:\.[0-9]+)?"), 16),
    "IS": (re.compile(rb"[-+]?[0-9]+"), 12),
}
# Binary numbers: the str of each value pydicom unpacks with the same format (several: "[a, b]", as
# pydicom's MultiValue prints them); not a LUT Descriptor, whose first value pydicom corrects.
PLAIN_BINARY = {"US": "H", "SS": "h", "UL": "L", "SL": "l", "UV": "Q", "SV": "q", "FL": "f", "FD": "d"}
LUT_DESCRIPTOR_TAGS = frozenset({0x00281101, 0x00281102, 0x00281103, 0x00283002})
# Text VRs are decoded with the dataset's character set; these decode ASCII as ASCII.
ASCII_CHARACTER_SETS = frozenset({"iso8859", "latin_1", "utf_8", "iso_ir_6"})


def plain_text(element: RawDataElement, character_set: list[str]) -> str | None:
    """The flat string of a raw element of a PLAIN_TEXT_STRIP VR whose value is plain ASCII, of a
    plain DS or IS, or of PLAIN_BINARY numbers, else None."""
    value = element.value
    if value is None:
        return None
    if element.VR in PLAIN_BINARY:
        size = struct.calcsize("<" + PLAIN_BINARY[element.VR])  # the standard size, not the platform's
        if not value or len(value) % size or element.tag in LUT_DESCRIPTOR_TAGS:
            return None
        byte_order = "<" if element.is_little_endian else ">"
        numbers = struct.unpack(f"{byte_order}{len(value) // size}{PLAIN_BINARY[element.VR]}", value)
        return str(numbers[0]) if len(numbers) == 1 else f"[{', '.join(map(str, numbers))}]"
    if element.VR in PLAIN_NUMBER:
        pattern, longest = PLAIN_NUMBER[element.VR]
        items = value.strip(b" ").split(b"\\")
        if not all(len(item) <= longest and pattern.fullmatch(item) for item in items):
            return None
        return items[0].decode("ascii") if len(items) == 1 else f"[{', '.join(item.decode('ascii') for item in items)}]"
    strip = PLAIN_TEXT_STRIP.get(element.VR)
    if strip is None or PLAIN_TEXT.fullmatch(value) is None:
        return None
    if element.VR in ("SH", "LO") and not ASCII_CHARACTER_SETS.issuperset(character_set):
        return None
    return strip(value.decode("ascii"), " \x00")


def parse_structure(dataset: Dataset, convert_only: Callable[[int], bool], limits: Limits) -> None:
    """Convert the top-level elements `convert_only` accepts; of the rest, only the sequences.

    Exact for what is then read from `dataset`: the accepted ones are converted as
    convert_elements converts every element, and one left raw is converted by pydicom itself
    when something reads it (dataset[tag]). The limits judge the whole file as
    parse_every_element does: the same levels counted (every sequence is parsed into its items,
    whose leaf values stay raw) and the same depth. A bad value in an element nobody asked for is
    never decoded, so it is no error here. (tests/dicom_core/test_reading.py compares the answers,
    the counts and the errors with parse_every_element's on every corpus file.)
    """
    count_structure(dataset, depth=0, limits=limits, counted=len(dataset.file_meta))
    convert_elements(dataset, only=convert_only)


def count_structure(dataset: Dataset, *, depth: int, limits: Limits, counted: int) -> int:
    """parse_every_element's count and depth, converting only the sequences (pydicom then reads
    their items as raw elements). A raw element is a sequence when convert_raw_data_element
    would make it one: its VR is then decided by the "raw_element_vr" hook alone (the value
    conversion keeps an SQ an SQ), which keeps an explicit VR other than UN as it is, so only
    implicit-VR and UN elements are asked of it. Every raw element is checked to lie within the
    file, as convert_elements checks it."""
    counted += len(dataset)
    if counted > limits.max_data_elements:
        raise LimitExceededError(
            f"The file holds more than {limits.max_data_elements} data elements.", limit="max_data_elements"
        )
    for tag, element in list(dataset._dict.items()):
        if isinstance(element, RawDataElement) and element.value is not None:
            check_within_file(element)  # as convert_elements checks every element
        vr = element.VR
        if vr is None or vr == VR.UN and isinstance(element, RawDataElement):
            vr = raw_element_vr(dataset, element)
        if vr != VR.SQ:
            continue
        if depth + 1 > limits.max_sequence_depth:
            raise too_deep(limits)
        for item in dataset[tag].value:  # wraps the items, passes the pixel representation down
            counted = count_structure(item, depth=depth + 1, limits=limits, counted=counted)
    return counted


def raw_element_vr(dataset: Dataset, element: RawDataElement) -> str:
    """The VR pydicom's conversion gives `element`, found as convert_raw_data_element finds it."""
    dataset.get(SPECIFIC_CHARACTER_SET)  # converted first, as when every element is converted
    found: dict = {}
    hooks.raw_element_vr(element, found, encoding=dataset.original_character_set or dataset._character_set, ds=dataset)
    return found["VR"]


def check_within_file(element: RawDataElement) -> None:
    """An element that declares more bytes than the file holds runs past its end: the file is
    cut short or its length is corrupt. (Truncated pixel data is read as it is: the metadata is
    still worth returning, and rendering says the pixel data is truncated.)"""
    if element.length != UNDEFINED_LENGTH and len(element.value) < element.length and element.tag not in _PIXEL_DATA_TAGS:
        raise MalformedInputError(
            f"Element {element.tag} declares {element.length} bytes but the file ends "
            f"{len(element.value)} bytes into it."
        )


def too_deep(limits: Limits) -> LimitExceededError:
    return LimitExceededError(
        f"Sequences are nested more than {limits.max_sequence_depth} levels deep.", limit="max_sequence_depth"
    )
