"""A seeded mutation fuzz of the whole corpus through the core (read_file, then every image of
the answer rendered): only DicomError may come out, no internal error may be logged (the
conftest fixture fails the test on one), and no file may take longer than MAX_SECONDS."""

import os
import random
import time
from collections import Counter
from io import BytesIO

import pydicom
import pytest

from dicom_core.errors import DicomError
from dicom_core.limits import Limits
from dicom_core.options import ReadOptions
from dicom_core.render import RenderOptions
from tests.dicom_core.dicom_builders import CORPUS, corpus_bytes, read_answer
from tests.dicom_core.fuzz import CORPUS_FILES, MUTATIONS, apply, insert_bytes, mutated

pytestmark = pytest.mark.filterwarnings("ignore")  # pydicom's warnings about the broken values
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
MUTANTS = 5_200
CHUNKS = 8  # separate tests, so that `pytest -n 2` spreads them over both cores
MAX_SECONDS = 10.0
# The first frame only, small: each mutant is cheap, and the reading, checks and decoding of
# a frame are what mutations break. Rendering is isolated (the default): some mutations make
# GDCM abort its process natively.
OPTIONS = ReadOptions(render=RenderOptions(image_format="png", max_size=64, frames=(0,)))
# Files whose one frame takes long to decode (RG3_J2KI: 1760 x 1760 JPEG 2000) get fewer mutants.
WEIGHTS = {"RG3_J2KI.dcm": 0.2, "eCT_Supplemental.dcm": 0.5}


def mutants(seed: int, count: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    weights = [WEIGHTS.get(name, 1.0) for name in CORPUS_FILES]
    return [(rng.choices(CORPUS_FILES, weights)[0], rng.randrange(10**9)) for _ in range(count)]


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_mutated_corpus_through_the_core(chunk):
    outcomes: Counter = Counter()
    slowest = (0.0, None)
    for name, seed in mutants(SEED, MUTANTS)[chunk::CHUNKS]:
        data = mutated(name, seed)
        started = time.monotonic()
        try:
            answer = read_answer(data, OPTIONS, Limits())
            outcomes["image error" if "ImageError" in answer or any("ImageError" in member for member in answer.get("files", [])) else "ok"] += 1
        except DicomError as exc:
            outcomes[type(exc).__name__] += 1
        except BaseException as exc:  # noqa: BLE001 - what escapes is the finding
            pytest.fail(f"{name} seed {seed} ({MUTATIONS[seed % len(MUTATIONS)].__name__}): {type(exc).__name__} escaped: {str(exc)[:200]}")
        slowest = max(slowest, (time.monotonic() - started, (name, seed)))
    print(f"\ncore fuzz (FUZZ_SEED={SEED}), chunk {chunk + 1} of {CHUNKS} ({MUTANTS} mutants of {len(CORPUS_FILES)} corpus files "
          f"in all): {sum(outcomes.values())} mutants, outcomes {dict(sorted(outcomes.items()))}, slowest {slowest[0]:.2f} s {slowest[1]}")
    assert slowest[0] < MAX_SECONDS, slowest
    assert outcomes["ok"] and outcomes["MalformedInputError"] and outcomes["image error"]


def test_a_decoder_that_aborts_natively_costs_only_the_images():
    # GDCM throws an uncaught C++ exception (std::terminate, SIGABRT) on this JPEG.
    result = read_answer(apply(insert_bytes, "SC_rgb_jpeg_dcmtk.dcm", 87), OPTIONS, Limits())
    assert result["Rows"] == "100"
    assert result["Images"] == [] and result["ImageError"]


def test_a_multi_valued_sop_class_without_pixel_data():
    ds = pydicom.dcmread(CORPUS / "rtplan.dcm")
    ds.SOPClassUID = ["1.2.840.10008.5.1.4.1.1.481.5", "1.2.3"]  # a damaged file can carry several
    data = BytesIO()
    ds.save_as(data)
    result = read_answer(data.getvalue(), OPTIONS, Limits())
    assert result["Images"] == [] and result["ImageError"].startswith("No pixel data in this file (SOP class RT Plan Storage")


def test_the_mutations_are_reproducible():
    assert mutated("CT_small.dcm", 12345) == mutated("CT_small.dcm", 12345) != corpus_bytes("CT_small.dcm")
