"""Jobs as a client drives them over HTTP, and the synthetic inputs of the fleet test and
`bench/jobs.py`: many small files in a zip, one long cine."""

import io
import time
import zipfile

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from bench.client import Reply, check_status, multipart, request

JOBS = "/api/dicom/read/jobs/"


def submit_job(port: int, key: str, name: str, data: bytes, **fields: str) -> dict:
    return submit_body(port, key, *multipart(fields, {"file": (name, data)}))


def submit_body(port: int, key: str, body: bytes, content_type: str) -> dict:
    """A submission already encoded (multipart/form-data): its job as the 202 describes it."""
    reply = request(port, "POST", JOBS, body, {"Authorization": f"ApiKey {key}", "Content-Type": content_type})
    return check_status(reply, 202, "submit a job").json()


def get(port: int, key: str, path: str) -> Reply:
    return request(port, "GET", path, headers={"Authorization": f"ApiKey {key}"})


def wait_for_job(port: int, key: str, job_id: str, timeout: float, until=("succeeded", "failed", "cancelled"), every: float = 0.1) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = check_status(get(port, key, f"{JOBS}{job_id}/"), 200, "job status").json()
        if job["status"] in until or time.monotonic() > deadline:
            return job
        time.sleep(every)


def cine(frames: int, rows: int = 128, columns: int = 128, seed: int = 0) -> bytes:
    """A native (uncompressed) 16-bit MONOCHROME2 multi-frame file of random pixels."""
    pixels = np.random.default_rng(seed).integers(0, 4096, (frames, rows, columns), dtype=np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"  # Multi-frame Grayscale Word Secondary Capture
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.Modality = "Synthetic^Bench", "OT"
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def zip_of_small_files(count: int, rows: int = 128, columns: int = 128) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            archive.writestr(f"series/{index:04d}.dcm", cine(1, rows, columns, seed=index))
    return out.getvalue()
