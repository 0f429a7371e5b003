"""Transcoding: the same instance with its pixel data in another transfer syntax.

Every frame is decoded (dicom_core.render.decode, the read endpoint's decoders) and encoded
again, never copied as compressed bytes, so what comes out is checked to decode. Encoders:
- RLE: pydicom's RLE encoder through pylibjpeg-rle; JPEG-LS (lossless and near-lossless):
  pydicom's encoder through pyjpegls (CharLS);
- JPEG 2000 and HTJ2K: imagecodecs (OpenJPEG and OpenJPH, BSD). pylibjpeg-openjpeg, pydicom's
  JPEG 2000 plugin, always asks OpenJPEG for 6 resolution levels, which images under 32 pixels
  on a side cannot have; imagecodecs lowers them for small images. pylibjpeg-openjpeg cannot
  write HTJ2K at all; imagecodecs' OpenJPH encoder is the maintained permissive one at hand;
- JPEG baseline: imagecodecs (libjpeg-turbo), 4:4:4 (no chroma subsampling: colour charts and
  text lose far less) with RGB input stored as YBR_FULL, as PS3.5 8.2.1 allows.
Lossless results decode to exactly the input's pixels. Lossy ones set LossyImageCompression 01
and append to LossyImageCompressionRatio and LossyImageCompressionMethod, and get a new SOP
Instance UID (they are a different image: PS3.3 C.7.6.1.1.5).
"""

import copy
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import convert_color_space
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    ImplicitVRLittleEndian,
    JPEG2000,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
    generate_uid,
)

from dicom_core.errors import InvalidOptionError, MalformedInputError
from dicom_core.limits import Limits
from dicom_core.render.decode import UndecodableFrameError, decode_frame, is_decoder_failure, one_line, transfer_syntax
from dicom_core.render.frames import check_pixel_budget, frame_count, pixel_description_problem
from dicom_core.render.values import whole


TRANSFER_SYNTAXES: dict[str, UID] = {
    "explicit-vr-little-endian": ExplicitVRLittleEndian,
    "implicit-vr-little-endian": ImplicitVRLittleEndian,
    "deflated": DeflatedExplicitVRLittleEndian,
    "rle": RLELossless,
    "jpeg-ls-lossless": JPEGLSLossless,
    "jpeg2000-lossless": JPEG2000Lossless,
    "htj2k-lossless": HTJ2KLossless,
    "jpeg-baseline": JPEGBaseline8Bit,
    "jpeg2000": JPEG2000,
    "jpeg-ls-near-lossless": JPEGLSNearLossless,
}
# lossy syntax -> its LossyImageCompressionMethod defined term (PS3.3 C.7.6.1.1.5.1)
LOSSY_METHODS = {"jpeg-baseline": "ISO_10918_1", "jpeg2000": "ISO_15444_1", "jpeg-ls-near-lossless": "ISO_14495_1"}
UNCOMPRESSED = frozenset({"explicit-vr-little-endian", "implicit-vr-little-endian", "deflated"})
DEFAULT_QUALITY = 90
# Photometric interpretations the JPEG 2000 family and JPEG baseline take as they are; a
# decoded YBR_FULL image is turned into RGB for them (PS3.5 8.2.1, 8.2.4).
_KEPT_FOR_JPEG = frozenset({"MONOCHROME1", "MONOCHROME2", "RGB", "PALETTE COLOR"})


@dataclass(frozen=True)
class TranscodeOptions:
    transfer_syntax: str  # a key of TRANSFER_SYNTAXES
    quality: int = DEFAULT_QUALITY  # 1-100, for the lossy syntaxes only


def parse_transcode_options(transfer_syntax: str | None, quality: int | None) -> TranscodeOptions:
    name = (transfer_syntax or "").strip().lower()
    if name not in TRANSFER_SYNTAXES:
        raise InvalidOptionError(f"transfer_syntax must be one of: {', '.join(TRANSFER_SYNTAXES)}.", field="transfer_syntax")
    if quality is not None and name not in LOSSY_METHODS:
        raise InvalidOptionError(f"quality applies to the lossy syntaxes only ({', '.join(LOSSY_METHODS)}).", field="quality")
    return TranscodeOptions(name, DEFAULT_QUALITY if quality is None else quality)


def transcode(ds: Dataset, options: TranscodeOptions, limits: Limits) -> Dataset:
    """A copy of `ds` with its pixel data in the asked transfer syntax (`ds` is not changed).

    Raises InvalidOptionError when the syntax cannot hold the data, MalformedInputError when
    the pixel data cannot be decoded, LimitExceededError past limits.max_decoded_bytes."""
    result = copy.deepcopy(ds)
    if "PixelData" not in ds:
        if options.transfer_syntax not in UNCOMPRESSED:
            raise InvalidOptionError(
                f"The file has no (integer) Pixel Data to compress; {options.transfer_syntax} needs one.", field="transfer_syntax"
            )
        return with_transfer_syntax(result, TRANSFER_SYNTAXES[options.transfer_syntax])
    check_pixel_budget(ds, limits)
    problem = pixel_description_problem(ds)
    if problem is not None:
        raise MalformedInputError(f"The pixel data cannot be transcoded: {problem}")
    if options.transfer_syntax in UNCOMPRESSED and is_native_little_endian(ds):
        return with_transfer_syntax(result, TRANSFER_SYNTAXES[options.transfer_syntax])  # the bytes stay as they are
    check_fits(ds, options)
    frames, photometric = decoded_frames(ds)
    if options.transfer_syntax in ("jpeg2000-lossless", "jpeg2000", "htj2k-lossless", "jpeg-baseline") and photometric not in _KEPT_FOR_JPEG:
        frames = [convert_color_space(frame, photometric, "RGB") for frame in frames]
        photometric = "RGB"
    set_native_pixels(result, frames, photometric)
    uid = TRANSFER_SYNTAXES[options.transfer_syntax]
    if options.transfer_syntax in UNCOMPRESSED:
        return with_transfer_syntax(result, uid)
    native_bytes = len(result.PixelData)
    try:
        encode(result, frames, options)
    except BaseException as exc:  # encoders fail with their own kinds, Rust ones with panics
        if not is_decoder_failure(exc):
            raise
        raise InvalidOptionError(
            f"The pixel data cannot be encoded as {options.transfer_syntax}: {one_line(exc)}", field="transfer_syntax"
        ) from None
    if options.transfer_syntax in LOSSY_METHODS:
        mark_lossy(result, LOSSY_METHODS[options.transfer_syntax], native_bytes / max(len(result.PixelData), 1))
    return result


def check_fits(ds: Dataset, options: TranscodeOptions) -> None:
    bits_allocated = whole(ds, "BitsAllocated", 0)
    bits_stored = whole(ds, "BitsStored", bits_allocated)
    if bits_allocated not in (8, 16, 32):
        raise InvalidOptionError(f"Pixel data of {bits_allocated} bits allocated is not transcoded.", field="transfer_syntax")
    if options.transfer_syntax in LOSSY_METHODS and ds.get("PhotometricInterpretation") == "PALETTE COLOR":
        raise InvalidOptionError("Palette color indices cannot be compressed lossily (a changed index is another colour).", field="transfer_syntax")
    if options.transfer_syntax == "jpeg-baseline" and bits_stored > 8:
        raise InvalidOptionError(
            f"JPEG baseline holds 8 bits per sample; this image stores {bits_stored}. "
            "Use jpeg2000 or jpeg-ls-near-lossless for lossy compression of deeper images.",
            field="transfer_syntax",
        )
    if options.transfer_syntax.startswith(("jpeg-ls", "jpeg2000", "htj2k")) and bits_stored > 16:
        raise InvalidOptionError(f"{options.transfer_syntax} holds at most 16 bits per sample; this image stores {bits_stored}.", field="transfer_syntax")


def decoded_frames(ds: Dataset) -> tuple[list[np.ndarray], str]:
    frames, photometric = [], ""
    for index in range(frame_count(ds)):
        try:
            frame, photometric = decode_frame(ds, index)
        except UndecodableFrameError as exc:
            raise MalformedInputError(f"The pixel data cannot be decoded: {exc}") from None
        frames.append(frame.astype(frame.dtype.newbyteorder("="), copy=False))  # a big-endian file's too
    if photometric == "YBR_FULL_422":
        # The decoders give every chroma sample, no longer subsampled: YBR_FULL, which several
        # IODs (ultrasound) do not allow, where RGB is allowed everywhere.
        frames = [convert_color_space(frame, "YBR_FULL", "RGB") for frame in frames]
        photometric = "RGB"
    return frames, photometric


def set_native_pixels(ds: Dataset, frames: list[np.ndarray], photometric: str) -> None:
    """Uncompressed pixel data for `frames` (interleaved samples), little endian."""
    bits_allocated = whole(ds, "BitsAllocated")
    signed = whole(ds, "PixelRepresentation", 0) == 1
    dtype = np.dtype(f"<{'i' if signed else 'u'}{bits_allocated // 8}")
    data = b"".join(np.ascontiguousarray(frame, dtype=dtype).tobytes() for frame in frames)
    for keyword in ("PixelData", "ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            del ds[keyword]
    ds.PhotometricInterpretation = photometric
    if whole(ds, "SamplesPerPixel", 1) > 1:
        ds.PlanarConfiguration = 0
    ds.PixelData = data + b"\0" * (len(data) % 2)
    ds["PixelData"].VR = "OB" if bits_allocated == 8 else "OW"
    with_transfer_syntax(ds, ExplicitVRLittleEndian)


def encode(ds: Dataset, frames: list[np.ndarray], options: TranscodeOptions) -> None:
    name = options.transfer_syntax
    if name == "rle":
        ds.compress(RLELossless, encoding_plugin="pylibjpeg")
    elif name == "jpeg-ls-lossless":
        ds.compress(JPEGLSLossless, encoding_plugin="pyjpegls")
    elif name == "jpeg-ls-near-lossless":
        # quality 100 -> NEAR 1 (each sample within 1 of the original) ... quality 1 -> NEAR 10
        ds.compress(JPEGLSNearLossless, encoding_plugin="pyjpegls", jls_error=max(1, round((100 - options.quality) / 10)))
    else:
        encoded = [encode_frame(frame, ds, options) for frame in frames]
        if name.startswith("jpeg2000") and ds.PhotometricInterpretation == "RGB":
            # encoded with the component transform (PS3.5 8.2.4): reversible when lossless
            ds.PhotometricInterpretation = "YBR_RCT" if name == "jpeg2000-lossless" else "YBR_ICT"
        ds.PixelData = encapsulate(encoded)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.file_meta.TransferSyntaxUID = TRANSFER_SYNTAXES[name]
        if name == "jpeg-baseline" and ds.PhotometricInterpretation == "RGB":
            ds.PhotometricInterpretation = "YBR_FULL"  # libjpeg stores RGB input as YCbCr


def encode_frame(frame: np.ndarray, ds: Dataset, options: TranscodeOptions) -> bytes:
    import imagecodecs  # only here: the read path does not need it loaded

    bits_stored = whole(ds, "BitsStored", whole(ds, "BitsAllocated"))
    frame = np.ascontiguousarray(frame)  # a planar source decodes to a strided view
    if options.transfer_syntax == "htj2k-lossless":
        return bytes(imagecodecs.htj2k_encode(frame, reversible=True))
    if options.transfer_syntax == "jpeg-baseline":
        return bytes(imagecodecs.jpeg8_encode(frame, level=options.quality, subsampling="444"))
    lossless = options.transfer_syntax == "jpeg2000-lossless"
    return bytes(
        imagecodecs.jpeg2k_encode(
            frame,
            # OpenJPEG's level is the target PSNR in dB: quality 1-100 -> 30.5-80 dB
            level=None if lossless else 30 + options.quality / 2,
            codecformat="J2K",  # the bare codestream, as PS3.5 A.4.4 asks
            bitspersample=bits_stored,
            reversible=lossless,
            mct=ds.PhotometricInterpretation == "RGB",  # the component transform; said by YBR_RCT/YBR_ICT
        )
    )


def mark_lossy(ds: Dataset, method: str, ratio: float) -> None:
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = [*_values(ds, "LossyImageCompressionRatio"), f"{ratio:.4g}"[:16]]
    ds.LossyImageCompressionMethod = [*_values(ds, "LossyImageCompressionMethod"), method]
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def _values(ds: Dataset, keyword: str) -> list:
    value = ds.get(keyword)
    if value is None or value == "":
        return []
    return list(value) if ds[keyword].VM > 1 else [value]


def is_native_little_endian(ds: Dataset) -> bool:
    uid = transfer_syntax(ds)
    return not uid.is_compressed and uid.is_little_endian


def with_transfer_syntax(ds: Dataset, uid: UID) -> Dataset:
    ensure_file_meta(ds)
    ds.file_meta.TransferSyntaxUID = uid
    return ds


def ensure_file_meta(ds: Dataset) -> None:
    """File meta information for a dataset read without it (as DCMTK writes it back)."""
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    meta = ds.file_meta
    if "MediaStorageSOPClassUID" not in meta and "SOPClassUID" in ds:
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "MediaStorageSOPInstanceUID" not in meta and "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
