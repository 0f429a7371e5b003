"""The decoded-pixel budget (dicom_core/render/frames.py): the files of a request or a job
charged from their declared sizes, refused with one message shape."""

import pytest
from pydicom.dataset import Dataset

from dicom_core.errors import LimitExceededError
from dicom_core.limits import Limits
from dicom_core.render.frames import PixelBudget, check_pixel_budget, declared_pixel_bytes


def refusal(budget: PixelBudget, declared: int, **file) -> LimitExceededError:
    with pytest.raises(LimitExceededError) as raised:
        budget.charge(declared, **file)
    return raised.value


def test_the_files_charged_share_the_budget_and_the_one_past_it_is_named():
    budget = PixelBudget(100)
    budget.charge(60, name="a.dcm")
    budget.charge(40, name="b.dcm")  # exactly the limit passes
    refused = refusal(budget, 1, name="series/c.dcm")
    assert refused.limit == "max_decoded_bytes"
    assert refused.message == (
        "'series/c.dcm': the pixel data would decode to 1 bytes, 101 with the files before it, "
        "more than the limit of 100 bytes (MAX_DECODED_BYTES)."
    )


def test_a_file_alone_is_not_said_to_have_files_before_it():
    refused = refusal(PixelBudget(100), 101)
    assert refused.message == "The pixel data would decode to 101 bytes, more than the limit of 100 bytes (MAX_DECODED_BYTES)."
    assert "with the files before it" not in refusal(PixelBudget(100), 101, name="a.dcm").message


def test_a_job_budget_keeps_its_own_code_and_bounds_one_frame_by_the_synchronous_limit():
    budget = PixelBudget(1000, "max_job_decoded_bytes", frame_limit=100)
    budget.charge(900, name="long.dcm", frame_bytes=100)  # past the frame limit as a whole, not a frame of it
    big_frame = refusal(budget, 200, name="big.dcm", frame_bytes=200)
    assert big_frame.limit == "max_decoded_bytes"
    assert big_frame.message == "'big.dcm': one frame would decode to 200 bytes, more than the limit of 100 bytes (MAX_DECODED_BYTES)."
    assert budget.used == 900  # refused before it was charged
    past = refusal(budget, 101, name="last.dcm", frame_bytes=1)
    assert past.limit == "max_job_decoded_bytes"
    assert past.message == (
        "'last.dcm': the pixel data would decode to 101 bytes, 1001 with the files before it, "
        "more than the limit of 1000 bytes (MAX_JOB_DECODED_BYTES)."
    )


def test_one_file_is_checked_as_a_budget_of_its_own():
    ds = Dataset()
    ds.Rows, ds.Columns, ds.NumberOfFrames = 10, 10, 3
    ds.SamplesPerPixel, ds.BitsAllocated = 1, 16
    ds.PixelData = b"\0" * 600
    assert declared_pixel_bytes(ds) == 600
    check_pixel_budget(ds, Limits(max_decoded_bytes=600))
    with pytest.raises(LimitExceededError) as raised:
        check_pixel_budget(ds, Limits(max_decoded_bytes=599))
    assert (raised.value.limit, raised.value.message) == ("max_decoded_bytes", refusal(PixelBudget(599), 600).message)
