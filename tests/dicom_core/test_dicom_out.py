"""DICOM out's zips (dicom_core/dicom_out.py): checked whole before the answer starts, then
converted a member at a time, holding no more than one member besides the upload."""

import json
import tracemalloc
import zipfile
from io import BytesIO

import numpy as np
import pydicom

from dicom_core.dicom_out import ZipOutput, convert_upload
from dicom_core.limits import Limits
from tests.conftest import CORPUS
from tests.dicom_core.dicom_builders import explicit_le_file, tag, zip_of

MEMBER_BYTES = 2 * 1024 * 1024


def large_member(seed: int) -> bytes:
    """CT_small with 1024x1024 16-bit noise: 2 MiB of pixels that do not deflate."""
    ds = pydicom.dcmread(CORPUS / "CT_small.dcm")
    ds.Rows = ds.Columns = 1024
    ds.PixelData = np.random.default_rng(seed).integers(0, 4096, (1024, 1024), dtype=np.uint16).tobytes()
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_a_zip_is_converted_a_member_at_a_time(tmp_path):
    members = {f"series/{index:02d}.dcm": large_member(index) for index in range(12)}
    upload = zip_of({**members, "notes.txt": b"not DICOM"}, zipfile.ZIP_STORED)
    seen: list[str] = []
    tracemalloc.start()
    try:
        output = convert_upload(upload, Limits(), lambda dataset, data: data, lambda dataset: seen.append(dataset.SOPInstanceUID))
        assert isinstance(output, ZipOutput) and output.skipped[0]["name"] == "notes.txt"
        assert len(seen) == 12  # every member seen before the answer starts
        with open(tmp_path / "answer.zip", "wb") as answer:  # as a client receives it: nothing kept here
            for chunk in output.chunks(lambda dataset, data: data):
                answer.write(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with zipfile.ZipFile(tmp_path / "answer.zip") as archive:
        assert [name for name in archive.namelist() if name != "skipped.json"] == list(members)
        assert all(archive.read(name) == data for name, data in members.items())
    # copies of a member or two in flight (its bytes, its pixels as parsed, its deflated chunk), not
    # the 12 members' bytes and datasets held until the answer ends (~48 MiB, as before)
    assert peak < 10 * MEMBER_BYTES


def test_a_member_found_malformed_only_when_read_whole_is_skipped_as_it_streams():
    """Checking converts only what it judges; the conversion reads each member whole, so a bad
    value elsewhere (an unknown VR in Slice Thickness) is found then, and listed in skipped.json
    in archive order after what the check skipped."""
    bad_value = explicit_le_file(tag(0x0018, 0x0050) + b"ZZ\x06\x00abcxyz")
    ct = (CORPUS / "CT_small.dcm").read_bytes()
    upload = zip_of({"a.txt": b"not DICOM", "b/bad.dcm": bad_value, "c/ct.dcm": ct, "d.txt": b"nor this"})
    output = convert_upload(upload, Limits(), lambda dataset, data: data)
    assert [entry["name"] for entry in output.skipped] == ["a.txt", "d.txt"]  # before the answer starts
    answer = b"".join(output.chunks(lambda dataset, data: data))
    with zipfile.ZipFile(BytesIO(answer)) as archive:
        assert archive.namelist() == ["c/ct.dcm", "skipped.json"]
        skipped = json.loads(archive.read("skipped.json"))
    assert [entry["name"] for entry in skipped] == ["a.txt", "d.txt", "b/bad.dcm"]
    assert "malformed" in skipped[2]["reason"]
