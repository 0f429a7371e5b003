"""The planner's view of an upload: read from a file one member at a time, never whole."""

import io
import os
import zipfile

from dicom_core.archive import SkippedMember
from dicom_core.limits import Limits
from dicom_core.options import ReadOptions
from jobs.reading import PlannedFile, plan_files
from tests.conftest import CORPUS
from tests.dicom_core.dicom_builders import zip_of


class ReadCountingFile(io.BytesIO):
    """A seekable upload that remembers the most bytes any one read returned."""

    largest_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.largest_read = max(self.largest_read, len(data))
        return data


def test_a_zip_upload_is_planned_from_its_file_one_member_at_a_time():
    ct = (CORPUS / "CT_small.dcm").read_bytes()
    noise = {f"noise-{i}.bin": os.urandom(3 * 1024 * 1024) for i in range(3)}  # 9 MiB that is not DICOM
    upload = ReadCountingFile(zip_of({"a/ct.dcm": ct, **noise, "b/ct.dcm": ct}, zipfile.ZIP_STORED))
    planned = list(plan_files(upload, "study.zip", ReadOptions(), Limits()))
    assert [(type(entry), entry.name) for entry in planned] == [
        (PlannedFile, "a/ct.dcm"), *((SkippedMember, name) for name in noise), (PlannedFile, "b/ct.dcm")
    ]
    assert planned[0].data == ct and planned[0].frames == (0,)
    assert upload.largest_read <= 2 * 1024 * 1024 < len(upload.getvalue()) // 4  # chunks, never the whole upload
