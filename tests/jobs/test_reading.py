"""The planner's view of an upload: read from its file one member at a time, never whole."""

import os
import zipfile

from bench.zip_iteration import LargestRead
from dicom_core.archive import SkippedMember
from dicom_core.limits import Limits
from dicom_core.options import ReadOptions
from jobs.reading import PlannedFile, plan_files
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
