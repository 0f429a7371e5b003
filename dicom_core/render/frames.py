"""Frame counting, frame selection and the decoded-size budget, all from declared values."""

from pydicom.dataset import Dataset

from dicom_core.errors import InvalidOptionError, LimitExceededError
from dicom_core.limits import Limits
from dicom_core.render.values import whole

PIXEL_DATA_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def has_pixel_data(ds: Dataset) -> bool:
    return any(keyword in ds for keyword in PIXEL_DATA_KEYWORDS)


def frame_count(ds: Dataset) -> int:
    """Frames declared by the dataset: 0 without pixel data, else NumberOfFrames (at least 1)."""
    if not has_pixel_data(ds):
        return 0
    return whole(ds, "NumberOfFrames", 1, low=1)


def declared_pixel_bytes(ds: Dataset) -> int:
    """Bytes that decoding every frame would allocate, judged from the header alone."""
    if not has_pixel_data(ds):
        return 0
    rows, columns = whole(ds, "Rows", 0), whole(ds, "Columns", 0)
    samples, bits = whole(ds, "SamplesPerPixel", 1), whole(ds, "BitsAllocated", 8)
    return rows * columns * frame_count(ds) * samples * max(bits // 8, 1)


def pixel_description_problem(ds: Dataset) -> str | None:
    """Why the pixel data cannot be described (the file's fault), or None: the Image Pixel
    module's Type 1 Rows, Columns, Bits Allocated and Samples per Pixel must be positive whole
    numbers (at most 4 samples) and Photometric Interpretation one text value."""
    for keyword, high in (("Rows", 2**16), ("Columns", 2**16), ("BitsAllocated", 64), ("SamplesPerPixel", 4)):
        if whole(ds, keyword, low=1, high=high) is None:
            state = "missing" if ds.get(keyword) is None else f"not one whole number from 1 to {high}"
            return f"The pixel data cannot be decoded: {keyword} is {state}."
    if not isinstance(ds.get("PhotometricInterpretation"), str):
        return "The pixel data cannot be decoded: PhotometricInterpretation is missing or not one value."
    return None


def check_pixel_budget(ds: Dataset, limits: Limits) -> None:
    """Raise before any decoding when the declared pixel bytes pass limits.max_decoded_bytes."""
    PixelBudget(limits.max_decoded_bytes).charge(declared_pixel_bytes(ds))


class PixelBudget:
    """The decoded-pixel bytes that the files of one request (or one job) may declare together,
    charged file by file from the headers before anything is decoded: the members of a zip share
    it. `code` is the LimitExceededError's `limit` code, and in capitals the setting (config/
    settings.py). `frame_limit`, where frames are decoded one at a time (a job's worker), bounds
    one frame's declared bytes, by MAX_DECODED_BYTES."""

    def __init__(self, limit: int, code: str = "max_decoded_bytes", *, frame_limit: int | None = None):
        self.limit = limit
        self.code = code
        self.frame_limit = frame_limit
        self.used = 0

    def charge(self, declared: int, *, name: str | None = None, frame_bytes: int = 0) -> None:
        """Count a file's declared bytes (declared_pixel_bytes), `name` naming it in the error.
        Raises LimitExceededError when one frame passes frame_limit or the files so far pass limit."""
        if self.frame_limit is not None and frame_bytes > self.frame_limit:
            raise pixel_limit_error(name, "one frame", frame_bytes, frame_bytes, self.frame_limit, "max_decoded_bytes")
        self.used += declared
        if self.used > self.limit:
            raise pixel_limit_error(name, "the pixel data", declared, self.used, self.limit, self.code)


def pixel_limit_error(name: str | None, what: str, declared: int, total: int, limit: int, code: str) -> LimitExceededError:
    """The one message of the decoded-pixel limits: "['<name>': ]<what> would decode to <declared>
    bytes[, <total> with the files before it], more than the limit of <limit> bytes (<SETTING>)." """
    subject = f"{name!r}: {what}" if name is not None else what[:1].upper() + what[1:]
    together = f", {total} with the files before it" if total != declared else ""
    return LimitExceededError(
        f"{subject} would decode to {declared} bytes{together}, more than the limit of {limit} bytes ({code.upper()}).",
        limit=code,
    )


def selected_frames(ds: Dataset, frames: tuple[int, ...] | None) -> list[int]:
    """The 0-based frame indexes to render, in the order asked; a missing frame is named 1-based."""
    count = frame_count(ds)
    if frames is None or count == 0:  # no pixel data: answered with an ImageError, not a 400
        return list(range(count))
    for index in frames:
        if not 0 <= index < count:
            raise InvalidOptionError(
                f"Frame {index + 1} does not exist: this file has {count} frame(s).", field="frames"
            )
    return list(frames)
