"""Generating Secondary Capture DICOM: metadata checks, pixels round trip, validity by dciodvfy,
DCMTK and GDCM."""

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import generate_frames

from dicom_core.errors import (
    InvalidOptionError,
    LimitExceededError,
    MalformedInputError,
    UnsupportedMediaError,
)
from dicom_core.generate import generate_dicom, validate_file_name, validate_metadata
from dicom_core.limits import Limits

LIMITS = Limits()
RNG = np.random.default_rng(7)
GRAY8 = RNG.integers(0, 256, (16, 20), dtype=np.uint8)
GRAY16 = RNG.integers(0, 65536, (16, 20), dtype=np.uint16)
RGB = RNG.integers(0, 256, (16, 20, 3), dtype=np.uint8)
RGBA = RNG.integers(0, 256, (16, 20, 4), dtype=np.uint8)
PALETTE = Image.fromarray(RGB).quantize(16)
MASK = GRAY8 > 128


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


# Every kind of input, with the pixels a reader must get back exactly.
PNG_INPUTS = {
    "gray8-png": (encoded(Image.fromarray(GRAY8), "PNG"), GRAY8),
    "gray16-png": (encoded(Image.fromarray(GRAY16), "PNG"), GRAY16),
    "rgb-png": (encoded(Image.fromarray(RGB), "PNG"), RGB),
    "rgba-png": (encoded(Image.fromarray(RGBA), "PNG"), RGBA[..., :3]),
    "palette-png": (encoded(PALETTE, "PNG", transparency=0), np.asarray(PALETTE.convert("RGB"))),
    "one-bit-png": (encoded(Image.fromarray(MASK), "PNG"), np.where(MASK, 255, 0).astype(np.uint8)),
}
JPEG_INPUTS = {
    "gray-jpeg": encoded(Image.fromarray(GRAY8), "JPEG"),
    "color-jpeg": encoded(Image.fromarray(RGB), "JPEG"),
    "color-444-jpeg": encoded(Image.fromarray(RGB), "JPEG", subsampling=0),
    "progressive-jpeg": encoded(Image.fromarray(RGB), "JPEG", progressive=True),
}
ALL_INPUTS = {name: data for name, (data, _) in PNG_INPUTS.items()} | JPEG_INPUTS


def generate(images: list[bytes], metadata: dict[str, str] | None = None, **options) -> pydicom.Dataset:
    options.setdefault("transfer_syntax", None)
    options.setdefault("limits", LIMITS)
    return pydicom.dcmread(io.BytesIO(generate_dicom(images, metadata or {}, **options)))


def pillow_pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)))


# Names -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["example_dicom", "a", "A.b-c_9", "x" * 64])
def test_valid_file_names(name):
    assert validate_file_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 65, "../etc/passwd", "a/b", "a b", 'a"b', "naïve", "a\r\nb", "a\\b"])
def test_file_names_that_could_smuggle_anything_are_refused(name):
    with pytest.raises(InvalidOptionError) as raised:
        validate_file_name(name)
    assert raised.value.field == "file_name"


# Metadata --------------------------------------------------------------------------------

def test_metadata_becomes_values_for_pydicom():
    values = validate_metadata({
        "PatientName": "Doe^John", "PatientBirthDate": "19800101", "ImageType": "DERIVED\\SECONDARY",
        "Modality": "CT", "WindowCenter": "40", "PatientWeight": "", "FrameTime": "33.3",
    })
    assert values["ImageType"] == ["DERIVED", "SECONDARY"]
    assert values["PatientWeight"] is None
    assert values["Modality"] == "CT"


@pytest.mark.parametrize(("keyword", "value", "says"), [
    ("NotAKeyword", "x", "not a DICOM keyword"),
    ("csrfmiddlewaretoken", "x", "not a DICOM keyword"),
    ("PatientBirthDate", "20231301", "real date"),
    ("TransferSyntaxUID", "1.2.840.10008.1.2", "set by the service"),
    ("MediaStorageSOPClassUID", "1.2.3", "set by the service"),
    ("CommandGroupLength", "1", "set by the service"),
    ("SOPClassUID", "1.2.3", "set by the service"),
    ("Rows", "10", "set by the service"),
    ("PhotometricInterpretation", "RGB", "set by the service"),
    ("NumberOfFrames", "2", "set by the service"),
    ("SpecificCharacterSet", "ISO_IR 100", "set by the service"),
    ("ReferencedImageSequence", "x", "cannot be set"),
    ("PixelData", "x", "set by the service"),
    ("OverlayData", "x", "cannot be set"),
    ("EncapsulatedDocument", "x", "cannot be set"),
    ("RedPaletteColorLookupTableDescriptor", "1", "cannot be set"),
    ("Item", "x", "cannot be set"),
    ("StudyInstanceUID", "1.2.03", "UID"),
    ("PatientSex", "m", "upper-case"),
])
def test_refused_metadata_names_the_field_and_the_reason(keyword, value, says):
    with pytest.raises(InvalidOptionError, match=says) as raised:
        validate_metadata({keyword: value})
    assert raised.value.field == keyword


def test_given_metadata_and_uids_are_kept():
    study = "1.2.826.0.1.3680043.8.498.12345"
    dataset = generate([PNG_INPUTS["gray8-png"][0]], {
        "PatientName": "Doe^John", "PatientID": "P1", "StudyInstanceUID": study, "Modality": "MR",
        "ImageType": "DERIVED\\SECONDARY", "ConversionType": "DF",
    })
    assert (dataset.PatientName, dataset.PatientID, dataset.StudyInstanceUID) == ("Doe^John", "P1", study)
    assert (dataset.Modality, dataset.ConversionType, list(dataset.ImageType)) == ("MR", "DF", ["DERIVED", "SECONDARY"])
    assert "SpecificCharacterSet" not in dataset


def test_defaults_and_file_meta():
    dataset = generate([PNG_INPUTS["gray8-png"][0]])
    assert (dataset.Modality, dataset.ConversionType) == ("OT", "WSD")
    assert dataset.SOPClassUID == pydicom.uid.SecondaryCaptureImageStorage
    assert dataset.file_meta.MediaStorageSOPInstanceUID == dataset.SOPInstanceUID
    assert dataset.file_meta.ImplementationClassUID == pydicom.uid.PYDICOM_IMPLEMENTATION_UID
    assert len({dataset.StudyInstanceUID, dataset.SeriesInstanceUID, dataset.SOPInstanceUID}) == 3
    assert "WindowCenter" not in dataset  # 8-bit data renders as stored


@pytest.mark.parametrize("name", ["Müller^Jürgen", "山田^太郎=やまだ^たろう"])
def test_non_ascii_values_are_written_as_utf8(name):
    dataset = generate([PNG_INPUTS["gray8-png"][0]], {"PatientName": name, "StudyDescription": "Étude ü"})
    assert dataset.SpecificCharacterSet == "ISO_IR 192"
    assert (dataset.PatientName, dataset.StudyDescription) == (name, "Étude ü")


def test_invalid_metadata_is_refused_by_generate_too():
    with pytest.raises(InvalidOptionError):
        generate_dicom([PNG_INPUTS["gray8-png"][0]], {"PatientBirthDate": "2023"}, transfer_syntax=None, limits=LIMITS)


# Pixels ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PNG_INPUTS)
def test_png_pixels_come_back_exactly(name):
    data, expected = PNG_INPUTS[name]
    dataset = generate([data])
    assert dataset.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert np.array_equal(dataset.pixel_array, expected)
    assert dataset.BitsStored == dataset.BitsAllocated == expected.dtype.itemsize * 8
    assert dataset.HighBit == dataset.BitsStored - 1 and dataset.PixelRepresentation == 0
    assert dataset.PhotometricInterpretation == ("MONOCHROME2" if expected.ndim == 2 else "RGB")
    assert "LossyImageCompression" not in dataset


@pytest.mark.parametrize(("name", "photometric"), [
    ("gray-jpeg", "MONOCHROME2"), ("color-jpeg", "YBR_FULL_422"), ("color-444-jpeg", "YBR_FULL_422"),
])
def test_baseline_jpeg_is_embedded_byte_for_byte(name, photometric):
    jpeg = JPEG_INPUTS[name]
    dataset = generate([jpeg])
    assert dataset.file_meta.TransferSyntaxUID == pydicom.uid.JPEGBaseline8Bit
    assert dataset.PhotometricInterpretation == photometric
    (fragment,) = generate_frames(dataset.PixelData, number_of_frames=1)
    assert fragment.removesuffix(b"\0") == jpeg.removesuffix(b"\0")  # even-length padding only
    assert (dataset.LossyImageCompression, dataset.LossyImageCompressionMethod) == ("01", "ISO_10918_1")
    ratio = dataset.Rows * dataset.Columns * dataset.SamplesPerPixel / len(jpeg)
    assert float(dataset.LossyImageCompressionRatio) == pytest.approx(ratio, rel=1e-5)
    assert np.array_equal(dataset.pixel_array, pillow_pixels(jpeg))


@pytest.mark.parametrize(("name", "options"), [
    ("progressive-jpeg", {}),
    ("color-jpeg", {"transfer_syntax": "explicit-vr-little-endian"}),
    ("gray-jpeg", {"transfer_syntax": "explicit-vr-little-endian"}),
])
def test_other_jpeg_is_decoded_and_stored_uncompressed(name, options):
    jpeg = JPEG_INPUTS[name]
    dataset = generate([jpeg], **options)
    assert dataset.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert dataset.LossyImageCompression == "01"  # the pixels did go through JPEG
    assert np.array_equal(dataset.pixel_array, pillow_pixels(jpeg))


def test_unknown_transfer_syntax_option_is_refused():
    with pytest.raises(InvalidOptionError) as raised:
        generate([JPEG_INPUTS["gray-jpeg"]], transfer_syntax="jpeg-2000")
    assert raised.value.field == "transfer_syntax"


@pytest.mark.parametrize(("name", "sop_class"), [
    ("gray8-png", pydicom.uid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage),
    ("gray16-png", pydicom.uid.MultiFrameGrayscaleWordSecondaryCaptureImageStorage),
    ("rgb-png", pydicom.uid.MultiFrameTrueColorSecondaryCaptureImageStorage),
    ("color-jpeg", pydicom.uid.MultiFrameTrueColorSecondaryCaptureImageStorage),
    ("gray-jpeg", pydicom.uid.MultiFrameGrayscaleByteSecondaryCaptureImageStorage),
])
def test_several_images_make_one_multi_frame_instance(name, sop_class):
    first = ALL_INPUTS[name]
    flipped = Image.open(io.BytesIO(first)).transpose(Image.Transpose.ROTATE_180)
    second = encoded(flipped, "JPEG" if name.endswith("jpeg") else "PNG")
    dataset = generate([first, second, first])
    assert dataset.SOPClassUID == sop_class
    assert dataset.NumberOfFrames == 3
    assert dataset.FrameIncrementPointer == 0x00182001
    assert list(dataset.PageNumberVector) == [1, 2, 3]
    frames = dataset.pixel_array
    expected = [pillow_pixels(image) if name.endswith("jpeg") else PNG_INPUTS[name][1] for image in (first, second)]
    if not name.endswith("jpeg"):
        expected[1] = np.asarray(flipped)
    assert np.array_equal(frames[0], expected[0]) and np.array_equal(frames[2], expected[0])
    assert np.array_equal(frames[1], expected[1])


@pytest.mark.parametrize("second", [
    encoded(Image.fromarray(GRAY8[:8]), "PNG"),  # another size
    PNG_INPUTS["rgb-png"][0],  # another kind
    PNG_INPUTS["gray16-png"][0],  # another depth
])
def test_images_of_different_size_or_kind_are_refused(second):
    with pytest.raises(InvalidOptionError) as raised:
        generate([PNG_INPUTS["gray8-png"][0], second])
    assert raised.value.field == "image"


def test_a_jpeg_among_pngs_is_decoded_with_them():
    gray_jpeg = JPEG_INPUTS["gray-jpeg"]
    dataset = generate([PNG_INPUTS["gray8-png"][0], gray_jpeg])
    assert dataset.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert np.array_equal(dataset.pixel_array[1], pillow_pixels(gray_jpeg))


# Hostile input through the whole operation -------------------------------------------------

def test_no_image_is_refused():
    with pytest.raises(InvalidOptionError):
        generate([])


def test_decoded_size_of_all_images_is_limited():
    limits = Limits(max_decoded_bytes=16 * 20 * 3 * 2)
    rgb = PNG_INPUTS["rgb-png"][0]
    assert generate([rgb, rgb], limits=limits).NumberOfFrames == 2
    with pytest.raises(LimitExceededError) as raised:
        generate([rgb, rgb, rgb], limits=limits)
    assert raised.value.limit == "max_decoded_bytes"


def test_hostile_images_fail_with_their_kind_of_error():
    jpeg = JPEG_INPUTS["color-jpeg"]
    with pytest.raises(MalformedInputError):
        generate([jpeg[: len(jpeg) // 2]])  # must not be embedded as it is
    with pytest.raises(UnsupportedMediaError):
        generate([encoded(Image.fromarray(GRAY8), "GIF")])
    with pytest.raises(LimitExceededError):
        generate([PNG_INPUTS["gray8-png"][0]], limits=Limits(max_image_pixels=100))


# Validity, by the tools the service promises will read it ---------------------------------

def needs_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


@pytest.fixture(scope="module", params=sorted(ALL_INPUTS), ids=sorted(ALL_INPUTS))
def generated_files(request, tmp_path_factory) -> list[Path]:
    """One single-frame and one multi-frame file for each kind of input."""
    folder = tmp_path_factory.mktemp(request.param)
    data = ALL_INPUTS[request.param]
    metadata = {"PatientName": "Müller^Jürgen", "PatientID": "ID-1"}
    files = []
    for frame_count in (1, 2):
        path = folder / f"{request.param}-{frame_count}.dcm"
        path.write_bytes(generate_dicom([data] * frame_count, metadata, transfer_syntax=None, limits=LIMITS))
        files.append(path)
    return files


def test_dciodvfy_reports_no_error(generated_files):
    dciodvfy = needs_tool("dciodvfy")
    for path in generated_files:
        report = subprocess.run([dciodvfy, str(path)], capture_output=True, text=True, timeout=60)
        lines = (report.stdout + report.stderr).splitlines()
        assert [line for line in lines if line.startswith("Error")] == [], path.name


@pytest.mark.parametrize("tool", ["dcmdump", "gdcminfo"])
def test_dcmtk_and_gdcm_read_it(generated_files, tool):
    executable = needs_tool(tool)
    for path in generated_files:
        result = subprocess.run([executable, str(path)], capture_output=True, timeout=60)
        assert result.returncode == 0, (path.name, result.stderr[-500:])
