"""Transcoding in the render worker pool: a decoder or encoder that crashes natively or stalls
costs this file an error answer within a bounded time, never the calling worker (the read
endpoint's guarantee, dicom_core.render.isolated)."""

from pydicom.dataset import Dataset

from dicom_core.dicom_out import dicom_bytes, read_whole_dataset
from dicom_core.errors import DicomError, LimitExceededError, MalformedInputError
from dicom_core.internal_errors import InternalError, log_internal_error, report_of
from dicom_core.limits import Limits
from dicom_core.render.frames import frame_count
from dicom_core.render.isolated import WorkerCrashed, WorkerTimedOut, call_in_pool
from dicom_core.transcode import TranscodeOptions, transcode


def transcode_isolated(dataset: Dataset, data: bytes, options: TranscodeOptions, limits: Limits) -> bytes:
    """The file `data` (parsed here as `dataset`, its size checked) transcoded in a worker; raises
    what transcode raises, LimitExceededError past the time limits, MalformedInputError on a crash
    (or a bug of ours, logged with a reference and no values)."""
    timeout = min(limits.frame_timeout_seconds * max(frame_count(dataset), 1), limits.render_timeout_seconds)
    try:
        return call_in_pool(transcode_file, data, options, limits, timeout=timeout)
    except WorkerTimedOut:
        raise LimitExceededError(
            f"Transcoding this file took longer than {timeout:g} s and was given up.", limit="render_timeout_seconds"
        ) from None
    except WorkerCrashed:
        raise MalformedInputError("The pixel data crashed the decoder or the encoder.") from None
    except InternalError as exc:
        reference = log_internal_error(exc.report)
        raise MalformedInputError(f"The file could not be transcoded (internal error {reference}).") from None


def transcode_file(data: bytes, options: TranscodeOptions, limits: Limits) -> bytes:
    """Run in a worker process: the DICOM file `data`, transcoded, as a DICOM file. Raises
    DicomError (the file's fault or the request's) or InternalError (a report of our bug without
    its message: the message could quote patient data)."""
    try:
        return dicom_bytes(transcode(read_whole_dataset(data, limits), options, limits))
    except DicomError:
        raise
    except Exception as exc:
        raise InternalError(report_of(exc)) from None
