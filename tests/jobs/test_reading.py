"""The planner's view of an upload: read from its file one member at a time, never whole."""

import os
import zipfile

from bench.job_client import cine
from bench.zip_iteration import LargestRead
from dicom_core.archive import SkippedMember
from dicom_core.limits import Limits
from dicom_core.options import ReadOptions
from dicom_core.reading import read_dataset
from dicom_core.render import declared_pixel_bytes
from dicom_core.render.frame_reader import native_frames
from jobs.reading import HEAD_BYTES, PlannedFile, plan_files
from tests.conftest import CORPUS
from tests.dicom_core.dicom_builders import zip_of


def test_a_zip_upload_is_planned_from_its_file_one_member_at_a_time(tmp_path):
    ct = (CORPUS / "CT_small.dcm").read_bytes()
    noise = {f"noise-{i}.bin": os.urandom(3 * 1024 * 1024) for i in range(3)}  # 9 MiB that is not DICOM
    path = tmp_path / "upload"
    path.write_bytes(zip_of({"a/ct.dcm": ct, **noise, "b/ct.dcm": ct}, zipfile.ZIP_STORED))
    with LargestRead(path) as upload:
        planned = list(plan_files(upload, "study.zip", ReadOptions(), Limits(), frames_per_part=25))
    assert [(type(entry), entry.name) for entry in planned] == [
        (PlannedFile, "a/ct.dcm"), *((SkippedMember, name) for name in noise), (PlannedFile, "b/ct.dcm")
    ]
    assert planned[0].data == ct and planned[0].frames == (0,)
    assert upload.largest <= 2 * 1024 * 1024 < path.stat().st_size // 4  # chunks, never the whole upload


def test_a_long_native_upload_is_planned_from_its_header_alone(tmp_path):
    data = cine(30, 256, 256)  # 3.9 MB, 30 frames
    path = tmp_path / "upload"
    path.write_bytes(data)
    with LargestRead(path) as upload:
        (planned,) = plan_files(upload, "cine.dcm", ReadOptions(), Limits(), frames_per_part=4)
    assert upload.largest <= HEAD_BYTES < len(data)  # its parts are sent without the whole file read first
    whole = read_dataset(data, Limits())
    assert planned.frames == tuple(range(30)) and planned.layout == native_frames(data, whole)
    assert planned.pixel_bytes == declared_pixel_bytes(whole) and planned.data is None  # the upload is the file
    with LargestRead(path) as upload:  # one part: the whole file is read, as before
        (whole_read,) = plan_files(upload, "cine.dcm", ReadOptions(), Limits(), frames_per_part=30)
    assert upload.largest == len(data) - HEAD_BYTES and whole_read.layout is None  # the head, then all the rest
