"""Image(s) + metadata -> a Secondary Capture DICOM file.

One image gives a Secondary Capture Image (PS3.3 A.8.1); several images of the same size and
kind give one instance of a multi-frame Secondary Capture class (A.8.3-A.8.5). A baseline JPEG
is embedded byte for byte; everything else is stored uncompressed, Explicit VR Little Endian.
"""

import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pydicom
from pydicom import uid
from pydicom.datadict import dictionary_VM, dictionary_VR, repeater_has_keyword, tag_for_keyword
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate

from dicom_core.errors import InvalidOptionError, LimitExceededError
from dicom_core.images import ImageProbe, decode_pixels, probe_image
from dicom_core.limits import Limits
from dicom_core.vr_validation import parse_value

FILE_NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
TRANSFER_SYNTAX_OPTIONS = frozenset({None, "explicit-vr-little-endian"})  # None: as the input allows

# Attributes the service derives from the image or the IOD; a form field may not set them.
SERVICE_OWNED_KEYWORDS = frozenset({
    "SOPClassUID", "SpecificCharacterSet",
    # Image Pixel module and multi-frame description
    "SamplesPerPixel", "PhotometricInterpretation", "Rows", "Columns", "BitsAllocated",
    "BitsStored", "HighBit", "PixelRepresentation", "PlanarConfiguration", "PixelData",
    "NumberOfFrames", "FrameIncrementPointer", "PageNumberVector",
    "SmallestImagePixelValue", "LargestImagePixelValue", "PixelPaddingRangeLimit",
    "ExtendedOffsetTable", "ExtendedOffsetTableLengths", "ICCProfile", "ColorSpace",
    # what the pixels went through, and how they map to display in the multi-frame classes
    "LossyImageCompression", "LossyImageCompressionRatio", "LossyImageCompressionMethod",
    "RescaleIntercept", "RescaleSlope", "RescaleType", "PresentationLUTShape",
})
# VRs a text form field cannot express.
UNSETTABLE_VRS = frozenset({"SQ", "OB", "OD", "OF", "OL", "OV", "OW", "UN", "NONE"})

MULTI_FRAME_SOP_CLASSES = {
    (1, 8): uid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    (1, 16): uid.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    (3, 8): uid.MultiFrameTrueColorSecondaryCaptureImageStorage,
}
PAGE_NUMBER_VECTOR_TAG = 0x00182001


@dataclass(frozen=True)
class PixelContent:
    """The frames as they will be stored, with how to describe them."""

    frames: list[np.ndarray]
    photometric_interpretation: str
    transfer_syntax: str
    jpeg_streams: list[bytes] | None  # the input JPEGs when embedded as they are

    @property
    def samples_per_pixel(self) -> int:
        return 1 if self.frames[0].ndim == 2 else 3

    @property
    def bits(self) -> int:
        return self.frames[0].dtype.itemsize * 8


def validate_file_name(name: str) -> str:
    if not FILE_NAME_PATTERN.fullmatch(name):
        raise InvalidOptionError(
            "file_name takes 1 to 64 ASCII letters, digits, '.', '_' or '-'.", field="file_name"
        )
    return name


def validate_metadata(fields: dict[str, str]) -> dict[str, object]:
    """Check each form field as a DICOM keyword and a value valid for its VR and VM."""
    return {keyword: validated_value(keyword, text) for keyword, text in fields.items()}


def validated_value(keyword: str, text: str) -> object:
    tag = tag_for_keyword(keyword)
    if tag is None and repeater_has_keyword(keyword):
        raise InvalidOptionError(
            f"{keyword} belongs to a repeating group (50xx, 60xx) and cannot be set from a "
            "form field.",
            field=keyword,
        )
    if tag is None:
        raise InvalidOptionError(f"{keyword} is not a DICOM keyword.", field=keyword)
    group = tag >> 16
    if keyword in SERVICE_OWNED_KEYWORDS or group in (0x0000, 0x0002):
        raise InvalidOptionError(f"{keyword} is set by the service.", field=keyword)
    vr = dictionary_VR(tag)
    if vr in UNSETTABLE_VRS or " or " in vr:
        raise InvalidOptionError(
            f"{keyword} (VR {vr}) cannot be set from a form field.", field=keyword
        )
    try:
        return parse_value(vr, dictionary_VM(tag), text)
    except ValueError as error:
        raise InvalidOptionError(f"{keyword} {error}.", field=keyword) from None


def generate_dicom(
    images: list[bytes], metadata: dict[str, str], *, transfer_syntax: str | None, limits: Limits
) -> bytes:
    """Build the DICOM file; `metadata` is checked here too (validate_metadata)."""
    if transfer_syntax not in TRANSFER_SYNTAX_OPTIONS:
        raise InvalidOptionError(
            "transfer_syntax takes only 'explicit-vr-little-endian'.", field="transfer_syntax"
        )
    if not images:
        raise InvalidOptionError("At least one image is required.", field="image")
    values = validate_metadata(metadata)
    probes = [probe_image(data, limits) for data in images]
    check_decoded_size(probes, limits)
    content = pixel_content(probes, uncompressed=transfer_syntax is not None)
    dataset = build_dataset(content, probes, values)
    return encode(dataset, content.transfer_syntax)


def check_decoded_size(probes: list[ImageProbe], limits: Limits) -> None:
    total = sum(probe.decoded_bytes for probe in probes)
    if total > limits.max_decoded_bytes:
        raise LimitExceededError(
            f"The images need {total} bytes once decoded, more than the limit of "
            f"{limits.max_decoded_bytes}.",
            limit="max_decoded_bytes",
            field="image",
        )


def pixel_content(probes: list[ImageProbe], *, uncompressed: bool) -> PixelContent:
    # Every image is decoded, even a JPEG embedded as it is: a truncated one must fail here.
    frames = [decode_pixels(probe) for probe in probes]
    if len({(frame.shape, frame.dtype) for frame in frames}) > 1:
        raise InvalidOptionError(
            "All images must have the same size and kind (grayscale 8/16-bit or color).",
            field="image",
        )
    jpegs = [probe.jpeg for probe in probes]
    embeddable = all(jpeg and jpeg.embeddable for jpeg in jpegs)
    photometrics = {jpeg.photometric_interpretation for jpeg in jpegs} if embeddable else set()
    if not uncompressed and len(photometrics) == 1:
        streams = [probe.data for probe in probes]
        return PixelContent(frames, photometrics.pop(), uid.JPEGBaseline8Bit, streams)
    photometric = "MONOCHROME2" if frames[0].ndim == 2 else "RGB"
    return PixelContent(frames, photometric, uid.ExplicitVRLittleEndian, None)


def build_dataset(
    content: PixelContent, probes: list[ImageProbe], values: dict[str, object]
) -> Dataset:
    dataset = Dataset()
    for keyword, value in required_attributes(content).items():
        setattr(dataset, keyword, value)
    for keyword, value in values.items():
        setattr(dataset, keyword, value)
    if any(probe.jpeg for probe in probes):
        describe_lossy_compression(dataset, content, probes)
    if needs_unicode(values):
        dataset.SpecificCharacterSet = "ISO_IR 192"
    set_pixel_data(dataset, content)
    return dataset


def required_attributes(content: PixelContent) -> dict[str, object]:
    """Every Type 1 and Type 2 attribute of the IOD, with a value or empty; form fields
    override them."""
    now = datetime.now(timezone.utc)
    frame_count = len(content.frames)
    multi_frame = frame_count > 1
    attributes: dict[str, object] = {
        # SOP Common
        "SOPClassUID": sop_class(content),
        "SOPInstanceUID": uid.generate_uid(),
        "InstanceCreationDate": now.strftime("%Y%m%d"),
        "InstanceCreationTime": now.strftime("%H%M%S"),
        # Patient
        "PatientName": "", "PatientID": "", "PatientBirthDate": "", "PatientSex": "",
        # General Study
        "StudyInstanceUID": uid.generate_uid(), "StudyDate": "", "StudyTime": "",
        "ReferringPhysicianName": "", "StudyID": "", "AccessionNumber": "",
        # General Series
        "Modality": "OT", "SeriesInstanceUID": uid.generate_uid(), "SeriesNumber": "1",
        "Laterality": "",  # Type 2C: unknown for a captured image
        # SC Equipment
        "ConversionType": "WSD",
        # General Image and SC Image
        "InstanceNumber": "1", "PatientOrientation": "",
        "ContentDate": now.strftime("%Y%m%d"), "ContentTime": now.strftime("%H%M%S"),
        "DateOfSecondaryCapture": now.strftime("%Y%m%d"),
        "TimeOfSecondaryCapture": now.strftime("%H%M%S"),
    }
    if multi_frame:
        attributes |= multi_frame_attributes(content, frame_count)
    return attributes


def multi_frame_attributes(content: PixelContent, frame_count: int) -> dict[str, object]:
    """The Multi-frame, Multi-frame SC Image and Multi-frame Grayscale SC Image modules."""
    attributes: dict[str, object] = {
        "NumberOfFrames": frame_count,
        # The frames are pages of one upload, in the order they were sent.
        "FrameIncrementPointer": PAGE_NUMBER_VECTOR_TAG,
        "PageNumberVector": [str(page) for page in range(1, frame_count + 1)],
        # Type 1 here; the service cannot know, so it claims the cautious answer.
        "BurnedInAnnotation": "YES",
    }
    if content.samples_per_pixel == 1:
        attributes |= {
            "RescaleIntercept": "0", "RescaleSlope": "1", "RescaleType": "US",
            "PresentationLUTShape": "IDENTITY",
        }
    return attributes


def sop_class(content: PixelContent) -> str:
    if len(content.frames) == 1:
        return uid.SecondaryCaptureImageStorage
    return MULTI_FRAME_SOP_CLASSES[(content.samples_per_pixel, content.bits)]


def describe_lossy_compression(
    dataset: Dataset, content: PixelContent, probes: list[ImageProbe]
) -> None:
    """JPEG input went through lossy compression, whether or not it is stored compressed."""
    decoded = sum(frame.nbytes for frame in content.frames)
    compressed = sum(len(probe.data) for probe in probes)
    dataset.LossyImageCompression = "01"
    dataset.LossyImageCompressionMethod = "ISO_10918_1"
    dataset.LossyImageCompressionRatio = f"{decoded / compressed:.6g}"[:16]


def needs_unicode(values: dict[str, object]) -> bool:
    texts = (v for value in values.values() for v in (value if isinstance(value, list) else [value]))
    return any(isinstance(text, str) and not text.isascii() for text in texts)


def set_pixel_data(dataset: Dataset, content: PixelContent) -> None:
    first = content.frames[0]
    dataset.SamplesPerPixel = content.samples_per_pixel
    dataset.PhotometricInterpretation = content.photometric_interpretation
    dataset.Rows, dataset.Columns = first.shape[:2]
    dataset.BitsAllocated = dataset.BitsStored = content.bits
    dataset.HighBit = content.bits - 1
    dataset.PixelRepresentation = 0
    if content.samples_per_pixel == 3:
        dataset.PlanarConfiguration = 0  # the JPEG decoders and numpy both give RGBRGB...
    if content.jpeg_streams is not None:
        dataset.PixelData = encapsulate(content.jpeg_streams)
        dataset["PixelData"].VR = "OB"
        dataset["PixelData"].is_undefined_length = True
    else:
        pixel_bytes = b"".join(frame.astype(frame.dtype.newbyteorder("<")).tobytes()
                               for frame in content.frames)
        dataset.PixelData = pixel_bytes + b"\0" * (len(pixel_bytes) % 2)
        dataset["PixelData"].VR = "OW" if content.bits == 16 else "OB"


def encode(dataset: Dataset, transfer_syntax: str) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = uid.PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"PYDICOM {pydicom.__version__}"
    dataset.file_meta = meta
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
