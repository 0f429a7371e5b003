"""Decode one frame, with the fastest correct decoder for its transfer syntax.

pydicom's decoder objects do the work; the order of their plugins is ours (Pillow's
libjpeg-turbo decodes 8-bit baseline JPEG ~5x faster than GDCM, which pydicom tries first),
and imagecodecs takes over for what no pydicom plugin decodes (12-bit JPEG Extended).
"""

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from dicom_core.render.frames import frame_count
from dicom_core.render.values import whole

JPEG_PROCESSES = {
    "1.2.840.10008.1.2.4.50",  # baseline
    "1.2.840.10008.1.2.4.51",  # extended (12-bit)
    "1.2.840.10008.1.2.4.57",  # lossless
    "1.2.840.10008.1.2.4.70",  # lossless, first-order prediction
}

# Tried first, in this order; every other available plugin follows.
PREFERRED_PLUGINS: dict[str, tuple[str, ...]] = {
    "1.2.840.10008.1.2.4.50": ("pillow",),
    "1.2.840.10008.1.2.4.51": ("pillow",),
    "1.2.840.10008.1.2.5": ("pylibjpeg", "pydicom"),
    "1.2.840.10008.1.2.4.90": ("pylibjpeg",),
    "1.2.840.10008.1.2.4.91": ("pylibjpeg",),
}


class UndecodableFrameError(Exception):
    """No decoder could turn this frame into pixels; the message says why."""


def is_decoder_failure(exc: BaseException) -> bool:
    """Whether an exception a decoder raised on this file's bytes is its failure to decode them:
    decoders fail with Exceptions and, in Rust ones, pyo3's PanicException (a BaseException).
    Only called around decoder calls: anything raised elsewhere is a bug of ours."""
    return not isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))


def transfer_syntax(ds: Dataset) -> UID:
    """The file meta's Transfer Syntax UID; when there is none, or a damaged file holds something
    that is not one string (several values, bytes), what pydicom's reader parsed the file as."""
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if not isinstance(uid, str) or not uid:
        return UID("1.2.840.10008.1.2" if ds.is_implicit_VR else "1.2.840.10008.1.2.1")
    return UID(uid)


def plugin_order(uid: UID, available: tuple[str, ...]) -> list[str]:
    if not available:  # uncompressed data needs no plugin: "" is pydicom's "any"
        return [""]
    preferred = [name for name in PREFERRED_PLUGINS.get(str(uid), ()) if name in available]
    return preferred + [name for name in available if name not in preferred]


def decode_frame(ds: Dataset, index: int, *, number: int | None = None) -> tuple[np.ndarray, str]:
    """The frame at `index` of ds's pixel data as (rows, columns[, samples]) and the photometric
    interpretation of that array; `number`: the frame's 1-based number in the file, for messages."""
    uid = transfer_syntax(ds)
    if not uid.is_transfer_syntax:
        raise UndecodableFrameError(f"Unsupported transfer syntax {uid}: it is no transfer syntax pydicom knows.")
    options = pixel_options(ds)
    check_native_length(ds, uid, options)
    if is_plain_native(uid, options) and "PixelData" in ds:
        return plain_native_frame(ds.PixelData, index, options), str(options["photometric_interpretation"])
    return decode_with_plugins(ds, uid, index, options, number)


def decode_with_plugins(ds: Dataset, uid: UID, index: int, options: dict, number: int | None) -> tuple[np.ndarray, str]:
    try:
        decoder = get_decoder(uid)
    except NotImplementedError as exc:
        raise UndecodableFrameError(f"Unsupported transfer syntax {uid.name} ({uid}).") from exc
    failures = []
    for plugin in plugin_order(uid, tuple(decoder.available_plugins)):
        try:
            array, meta = decoder.as_array(ds, index=index, decoding_plugin=plugin, as_rgb=False, **options)
            return array, str(meta["photometric_interpretation"])
        except BaseException as exc:
            if not is_decoder_failure(exc):
                raise
            failures.append(f"{plugin or 'pydicom'}: {one_line(exc)}")
    if str(uid) in JPEG_PROCESSES:
        try:
            return decode_jpeg_with_imagecodecs(ds, index)
        except BaseException as exc:
            if not is_decoder_failure(exc):
                raise
            failures.append(f"imagecodecs: {one_line(exc)}")
    detail = "; ".join(failures) or "no decoder available"
    raise UndecodableFrameError(f"Frame {number or index + 1} could not be decoded ({uid.name}): {detail}")


# Little-endian uncompressed grayscale whose every allocated bit is stored: its frame is the bytes
# as they lie (pydicom's decoder, ~0.2 ms a small frame, gives the same array: no bits to mask
# or sign-extend, no planes to interleave). tests/dicom_core/test_decode.py compares the two.
PLAIN_NATIVE_SYNTAXES = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"})
PLAIN_NATIVE_DTYPES = {(8, 0): "u1", (8, 1): "i1", (16, 0): "<u2", (16, 1): "<i2", (32, 0): "<u4", (32, 1): "<i4"}


def is_plain_native(uid: UID, options: dict) -> bool:
    return (
        str(uid) in PLAIN_NATIVE_SYNTAXES
        and options["samples_per_pixel"] == 1
        and options["photometric_interpretation"] in ("MONOCHROME1", "MONOCHROME2")
        and options["bits_stored"] == options["bits_allocated"]
        and (options["bits_allocated"], options["pixel_representation"]) in PLAIN_NATIVE_DTYPES
    )


def plain_native_frame(pixel_data: bytes, index: int, options: dict) -> np.ndarray:
    """The frame as pydicom's decoder gives it (native byte order, writeable); check_native_length
    has made sure the pixel data holds every frame."""
    dtype = np.dtype(PLAIN_NATIVE_DTYPES[options["bits_allocated"], options["pixel_representation"]])
    pixels = options["rows"] * options["columns"]
    frame = np.frombuffer(pixel_data, dtype=dtype, count=pixels, offset=index * pixels * dtype.itemsize)
    return frame.reshape(options["rows"], options["columns"]).astype(dtype.newbyteorder("="))


def one_line(exc: BaseException) -> str:
    """Decoders' messages can span lines; an API error is one sentence."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def pixel_options(ds: Dataset) -> dict:
    """The pixel description as the decoders are told it: each value a number of the right kind
    (plan_frames made sure Rows, Columns, Bits Allocated, Samples per Pixel and Photometric
    Interpretation are usable). A damaged file's optional values of an unexpected type (Bits
    Stored as text, several Pixel Representations) fall back to their defaults, as DCMTK's do,
    instead of making a decoder compare a number with a string."""
    bits_allocated = whole(ds, "BitsAllocated")
    bits_stored = whole(ds, "BitsStored", low=1, high=bits_allocated) or bits_allocated
    return {
        "rows": whole(ds, "Rows"),
        "columns": whole(ds, "Columns"),
        "samples_per_pixel": whole(ds, "SamplesPerPixel"),
        "bits_allocated": bits_allocated,
        "bits_stored": bits_stored,
        "pixel_representation": whole(ds, "PixelRepresentation", 0, high=1),
        "planar_configuration": whole(ds, "PlanarConfiguration", 0, high=1),
        "number_of_frames": frame_count(ds),
        "photometric_interpretation": ds.PhotometricInterpretation,
    }


def check_native_length(ds: Dataset, uid: UID, options: dict) -> None:
    """Uncompressed pixel data shorter than declared is truncated; say so plainly."""
    if uid.is_compressed or "PixelData" not in ds:
        return
    samples = options["rows"] * options["columns"] * options["number_of_frames"] * options["samples_per_pixel"]
    expected = -(-samples // 8) if options["bits_allocated"] == 1 else samples * options["bits_allocated"] // 8
    if options["photometric_interpretation"] == "YBR_FULL_422":  # two samples of chroma for two pixels
        expected = expected // 3 * 2
    actual = len(ds.PixelData or b"")
    if actual < expected:
        raise UndecodableFrameError(
            f"Pixel data is truncated: {actual} bytes present, {expected} declared by the header."
        )


def decode_jpeg_with_imagecodecs(ds: Dataset, index: int) -> tuple[np.ndarray, str]:
    """libjpeg-turbo 3 through imagecodecs decodes 8/12-bit lossy and lossless JPEG."""
    import imagecodecs

    fragment = get_frame(ds.PixelData, index, number_of_frames=frame_count(ds))
    array = imagecodecs.jpeg8_decode(fragment)
    if whole(ds, "PixelRepresentation", 0) == 1 and array.ndim == 2:
        array = sign_extend(array, whole(ds, "BitsStored", 16, low=1, high=16))
    photometric = "RGB" if array.ndim == 3 else str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    return array, photometric


def sign_extend(array: np.ndarray, bits_stored: int) -> np.ndarray:
    values = array.astype(np.int32)
    sign_bit = 1 << (bits_stored - 1)
    return (values ^ sign_bit) - sign_bit
