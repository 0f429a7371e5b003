"""Seeded mutations of corpus files, shared by the core fuzz (test_fuzz.py) and the HTTP one.

Each mutant is named by (file, seed): `mutated(name, seed)` rebuilds it exactly, so a failure
is reproduced by its name and seed alone.
"""

import random
import re
from collections.abc import Callable

from tests.dicom_core.dicom_builders import CORPUS, corpus_bytes

CORPUS_FILES = sorted(path.name for path in CORPUS.glob("*.dcm")) + ["study_77654033.zip"]
_VR_CODES = [vr.encode() for vr in "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split()]
_LONG_VRS = {vr.encode() for vr in "OB OD OF OL OV OW SQ UC UN UR UT SV UV".split()}
_HEADER = re.compile(b"(?=[\\x00-\\xff]{4}(" + b"|".join(_VR_CODES) + b"))")  # explicit VR element headers, roughly
_DELIMITERS = (b"\xfe\xff\x00\xe0", b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0")  # item, item end, sequence end
_TRANSFER_SYNTAX = b"\x02\x00\x10\x00"
EXTREME_LENGTHS = [0, 1, 3, 0xFF, 0xFFFF, 0xFFFFFFF0, 0xFFFFFFFF, 0x80000001]

Mutation = Callable[[bytearray, random.Random], bytearray]


def flip_bytes(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return data


def truncate(data: bytearray, rng: random.Random) -> bytearray:
    return data[: rng.randrange(1, len(data))]


def corrupt_length(data: bytearray, rng: random.Random) -> bytearray:
    """Overwrite 2 or 4 bytes anywhere with an extreme length."""
    at = rng.randrange(0, max(len(data) - 12, 1))
    value = rng.choice([b"\xff\xff\xff\xff", b"\xf0\xff\xff\xff", b"\xff\xff", b"\x00\x00\x00\x00", b"\x01\x00\x00\x80"])
    data[at : at + len(value)] = value
    return data


def insert_bytes(data: bytearray, rng: random.Random) -> bytearray:
    at = rng.randrange(len(data))
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 3))) + data[at:]


def _headers(data: bytearray) -> list[int]:
    return [match.start() for match in _HEADER.finditer(bytes(data))]


def element_length(data: bytearray, rng: random.Random) -> bytearray:
    """An element's own length field set to an extreme or a nearby value."""
    headers = _headers(data)
    if not headers:
        return flip_bytes(data, rng)
    at = rng.choice(headers)
    long = bytes(data[at + 4 : at + 6]) in _LONG_VRS
    offset, size = (at + 8, 4) if long else (at + 6, 2)
    old = int.from_bytes(data[offset : offset + size], "little")
    new = rng.choice(EXTREME_LENGTHS + [old + rng.randint(-4, 4)]) % (1 << (8 * size))
    data[offset : offset + size] = new.to_bytes(size, "little")
    return data


def vr_code(data: bytearray, rng: random.Random) -> bytearray:
    """An element's VR replaced by another VR, or by two bytes that are none."""
    headers = _headers(data)
    if not headers:
        return flip_bytes(data, rng)
    at = rng.choice(headers)
    data[at + 4 : at + 6] = rng.choice(_VR_CODES + [b"\x00\x00", b"ZZ", b"ob"])
    return data


def file_meta_value(data: bytearray, rng: random.Random) -> bytearray:
    """The Transfer Syntax UID element with a value of another type: several values, binary,
    empty, another VR, no transfer syntax at all."""
    at = bytes(data).find(_TRANSFER_SYNTAX)
    if at < 0 or bytes(data[at + 4 : at + 6]) != b"UI":
        return element_length(data, rng)
    length = int.from_bytes(data[at + 6 : at + 8], "little")
    value = rng.choice([
        b"1.2.840.10008.1.2.1\\1.2.840.10008.1.2\x00",
        b"\x00\x01\x02\x03\xff\xfe",
        b"",
        b"1.2.3.4\x00",
        b"1.2.840.10008.1.2.4.50",
        bytes(data[at + 8 : at + 8 + length])[::-1],
    ])
    vr = rng.choice([b"UI", b"UI", b"UL", b"OB", b"SQ", b"US", b"FD"])
    if vr in _LONG_VRS:
        header = _TRANSFER_SYNTAX + vr + b"\x00\x00" + len(value).to_bytes(4, "little")
    else:
        header = _TRANSFER_SYNTAX + vr + len(value).to_bytes(2, "little")
    return data[:at] + header + value + data[at + 8 + length :]


def sequence_delimiter(data: bytearray, rng: random.Random) -> bytearray:
    """An item or delimitation tag removed, turned into another, or its length changed."""
    found = [match.start() for tag in _DELIMITERS for match in re.finditer(re.escape(tag), bytes(data))]
    if not found:
        return element_length(data, rng)
    at = rng.choice(found)
    action = rng.randrange(3)
    if action == 0:
        return data[:at] + data[at + 8 :]
    if action == 1:
        data[at : at + 4] = rng.choice(_DELIMITERS)
    else:
        data[at + 4 : at + 8] = rng.choice(EXTREME_LENGTHS).to_bytes(4, "little")
    return data


MUTATIONS: list[Mutation] = [
    flip_bytes, truncate, corrupt_length, insert_bytes, element_length, vr_code, file_meta_value, sequence_delimiter
]


def apply(mutation: Mutation, name: str, seed: int) -> bytes:
    return bytes(mutation(bytearray(corpus_bytes(name)), random.Random(f"{name}:{seed}")))


def mutated(name: str, seed: int) -> bytes:
    return apply(MUTATIONS[seed % len(MUTATIONS)], name, seed)
