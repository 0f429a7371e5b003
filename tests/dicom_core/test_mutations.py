"""Seeded mutations of corpus files through read_file: only DicomError may come out."""

import random

import pytest

from dicom_core.errors import DicomError
from dicom_core.limits import Limits
from dicom_core.options import ReadOptions
from dicom_core.render import RenderOptions
from tests.dicom_core.dicom_builders import corpus_bytes, read_answer

SOURCES = [
    "MR_small.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_RLE.dcm",
    "SC_rgb_rle_2frame.dcm",
    "rtplan.dcm",
    "reportsi.dcm",
    "image_dfl.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "MR_small_jp2klossless.dcm",
    "study_77654033.zip",
]
CASES_PER_SOURCE = 30
# Small images only, so that each case is cheap; the limits are the service's defaults.
# Rendering is isolated (the default): some mutations make GDCM abort the process natively.
OPTIONS = ReadOptions(render=RenderOptions(image_format="png", max_size=64))
pytestmark = pytest.mark.filterwarnings("ignore")  # pydicom's warnings about the broken values


def flip_bytes(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return data


def truncate(data: bytearray, rng: random.Random) -> bytearray:
    return data[: rng.randrange(1, len(data))]


def corrupt_length(data: bytearray, rng: random.Random) -> bytearray:
    """Overwrite a 2- or 4-byte field after a plausible tag with an extreme length."""
    at = rng.randrange(0, max(len(data) - 12, 1))
    value = rng.choice([b"\xff\xff\xff\xff", b"\xf0\xff\xff\xff", b"\xff\xff", b"\x00\x00\x00\x00", b"\x01\x00\x00\x80"])
    data[at : at + len(value)] = value
    return data


def insert_bytes(data: bytearray, rng: random.Random) -> bytearray:
    at = rng.randrange(len(data))
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 3))) + data[at:]


MUTATIONS = [flip_bytes, truncate, corrupt_length, insert_bytes]


def mutated(name: str, seed: int) -> bytes:
    rng = random.Random(f"{name}:{seed}")
    mutation = MUTATIONS[seed % len(MUTATIONS)]
    return bytes(mutation(bytearray(corpus_bytes(name)), rng))


@pytest.mark.parametrize("name", SOURCES)
def test_mutated_input_raises_only_dicom_errors(name):
    for seed in range(CASES_PER_SOURCE):
        data = mutated(name, seed)
        try:
            read_answer(data, OPTIONS, Limits())
        except DicomError:
            pass
        except BaseException as exc:  # noqa: BLE001 - what escapes is the finding
            pytest.fail(f"{name} seed {seed} ({mutated.__name__}): {type(exc).__name__} escaped: {str(exc)[:200]}")


def test_a_decoder_that_aborts_natively_costs_only_the_images():
    # GDCM throws an uncaught C++ exception (std::terminate, SIGABRT) on this JPEG.
    result = read_answer(mutated("SC_rgb_jpeg_dcmtk.dcm", 87), OPTIONS, Limits())
    assert result["Rows"] == "100"
    assert result["Images"] == [] and result["ImageError"]


def test_a_multi_valued_sop_class_without_pixel_data():
    result = read_answer(mutated("SC_rgb_rle_2frame.dcm", 87), OPTIONS, Limits())
    assert result["Images"] == [] and result["ImageError"]
