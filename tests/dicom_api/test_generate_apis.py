"""POST /api/dicom/generate/ driven as a client would; generated files checked by the peers."""

import base64
import io
import shutil
import subprocess
import zlib
import struct

import numpy as np
import pydicom
import pytest
from PIL import Image

from tests.conftest import api_key_header

pytestmark = pytest.mark.django_db
GENERATE = "/api/dicom/generate/"
READ = "/api/dicom/read/file/"


def image_bytes(mode: str, size=(24, 16), fmt="PNG", **save) -> bytes:
    rng = np.random.default_rng(7)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, size[::-1], dtype=np.uint16))
    else:
        channels = {"L": 1, "RGB": 3, "RGBA": 4, "LA": 2}[mode]
        shape = size[::-1] if channels == 1 else (*size[::-1], channels)
        image = Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8).squeeze(), mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(data: bytes, name: str) -> io.BytesIO:
    part = io.BytesIO(data)
    part.name = name
    return part


def generate(developer, images: list[bytes] | bytes, file_name="example_dicom", **fields):
    images = images if isinstance(images, list) else [images]
    body = {"file_name": file_name, "image": [upload(data, f"image{i}.png") for i, data in enumerate(images)], **fields}
    return developer.client.post(GENERATE, body, **api_key_header(developer.key))


def test_generate_like_the_guide(developer):
    response = generate(developer, image_bytes("L"), PatientName="John^Doe", Modality="CT")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom"
    assert response["Content-Disposition"] == 'attachment; filename="example_dicom.dcm"'
    assert response["X-RateLimit-Remaining"] == "999"
    ds = pydicom.dcmread(io.BytesIO(response.content))
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert ds.PatientName == "John^Doe" and ds.Modality == "CT"
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian


@pytest.mark.parametrize("mode", ["L", "I;16", "RGB", "RGBA", "LA"])
def test_png_pixels_are_kept_exactly(developer, mode):
    png = image_bytes(mode)
    ds = pydicom.dcmread(io.BytesIO(generate(developer, png).content))
    expected = np.asarray(Image.open(io.BytesIO(png)).convert({"RGBA": "RGB", "LA": "L"}.get(mode, mode)))
    assert np.array_equal(ds.pixel_array, expected)
    assert ds.PhotometricInterpretation == ("RGB" if mode in ("RGB", "RGBA") else "MONOCHROME2")
    assert ds.BitsAllocated == (16 if mode == "I;16" else 8)


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_round_trip_through_the_read_endpoint_returns_the_png_pixels(developer, mode):
    png = image_bytes(mode)
    generated = generate(developer, png, PatientName="Round^Trip", StudyDate="20240229", Modality="OT").content
    part = upload(generated, "generated.dcm")
    body = developer.client.post(READ, {"file": part}, **api_key_header(developer.key)).json()
    assert body["PatientName"] == "Round^Trip" and body["StudyDate"] == "20240229"
    rendered = np.asarray(Image.open(io.BytesIO(base64.b64decode(body["Images"][0]))))
    assert np.array_equal(rendered, np.asarray(Image.open(io.BytesIO(png))))


def test_jpeg_is_embedded_byte_for_byte(developer):
    jpeg = image_bytes("RGB", fmt="JPEG", quality=85)
    ds = pydicom.dcmread(io.BytesIO(generate(developer, jpeg).content))
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.JPEGBaseline8Bit
    frames = list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
    assert frames[0].rstrip(b"\0") == jpeg.rstrip(b"\0")
    assert ds.LossyImageCompression == "01" and ds.LossyImageCompressionMethod == "ISO_10918_1"


def test_jpeg_uncompressed_on_request_within_jpeg_loss(developer):
    jpeg = image_bytes("L", fmt="JPEG", quality=95)
    ds = pydicom.dcmread(io.BytesIO(generate(developer, jpeg, transfer_syntax="explicit-vr-little-endian").content))
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    decoded = np.asarray(Image.open(io.BytesIO(jpeg)), dtype=int)
    assert np.abs(ds.pixel_array.astype(int) - decoded).max() <= 1


def test_several_images_make_one_multi_frame_instance(developer):
    frames = [image_bytes("RGB"), image_bytes("RGB", fmt="PNG", compress_level=1)]
    ds = pydicom.dcmread(io.BytesIO(generate(developer, frames).content))
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7.4" and ds.NumberOfFrames == 2
    mixed = generate(developer, [image_bytes("RGB"), image_bytes("L")])
    assert mixed.status_code == 400 and mixed.json()["field"] == "image"


def test_non_ascii_values(developer):
    ds = pydicom.dcmread(io.BytesIO(generate(developer, image_bytes("L"), PatientName="Müller^Jürgen", InstitutionName="東京病院").content))
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert str(ds.PatientName) == "Müller^Jürgen" and ds.InstitutionName == "東京病院"


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"file_name": "../etc/passwd"}, "file_name"),
        ({"file_name": 'a"b'}, "file_name"),
        ({"file_name": "x" * 65}, "file_name"),
        ({"NotAKeyword": "1"}, "NotAKeyword"),
        ({"PatientBirthDate": "20231301"}, "PatientBirthDate"),
        ({"StudyInstanceUID": "1.2.abc"}, "StudyInstanceUID"),
        ({"PatientName": "A" * 65}, "PatientName"),
        ({"Modality": "ct"}, "Modality"),
        ({"Rows": "10"}, "Rows"),
        ({"TransferSyntaxUID": "1.2.840.10008.1.2"}, "TransferSyntaxUID"),
        ({"PixelData": "x"}, "PixelData"),
        ({"transfer_syntax": "jpeg-2000"}, "transfer_syntax"),
    ],
)
def test_bad_fields_are_400_naming_the_field(developer, fields, field):
    response = generate(developer, image_bytes("L"), **{"file_name": "ok", **fields})
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_missing_image_is_400(developer):
    response = developer.client.post(GENERATE, {"file_name": "x"}, **api_key_header(developer.key))
    assert response.status_code == 400 and response.json()["field"] == "image"


def png_declaring(width: int, height: int, bit_depth: int, color_type: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def test_hostile_images_are_refused(developer):
    assert generate(developer, png_declaring(65535, 8193, 16, 6)).status_code == 413
    assert generate(developer, png_declaring(9000, 9000, 1, 0)).status_code == 413
    jpeg = image_bytes("L", fmt="JPEG")
    assert generate(developer, jpeg[: len(jpeg) // 2]).status_code == 400
    assert generate(developer, bytes(range(256)) * 4).status_code == 415
    gif = io.BytesIO()
    Image.new("L", (4, 4)).save(gif, "GIF")
    assert generate(developer, gif.getvalue()).status_code == 415
    # the service is unharmed
    assert generate(developer, image_bytes("L")).status_code == 200


@pytest.mark.skipif(not shutil.which("dciodvfy"), reason="dciodvfy (Debian dicom3tools) is not installed")
@pytest.mark.parametrize("images", [[("L", "PNG")], [("I;16", "PNG")], [("RGB", "JPEG")], [("RGB", "PNG")] * 3], ids=["gray8", "gray16", "jpeg", "multiframe"])
def test_dciodvfy_reports_no_errors_on_generated_files(developer, tmp_path, images):
    response = generate(developer, [image_bytes(mode, fmt=fmt) for mode, fmt in images], PatientName="Valid^File", PatientID="123")
    path = tmp_path / "generated.dcm"
    path.write_bytes(response.content)
    report = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
    errors = [line for line in (report.stdout + report.stderr).splitlines() if line.startswith("Error")]
    assert errors == []
    if shutil.which("dcmdump"):
        assert subprocess.run(["dcmdump", str(path)], capture_output=True).returncode == 0


def test_too_many_parts_is_413(developer):
    parts = [upload(b"x", f"{index}.png") for index in range(101)]
    response = developer.client.post(GENERATE, {"file_name": "a", "image": parts}, **api_key_header(developer.key))
    assert response.status_code == 413 and response.json()["error"]
    fields = {f"Field{index}": "x" for index in range(1001)}
    response = developer.client.post(GENERATE, {"file_name": "a", **fields}, **api_key_header(developer.key))
    assert response.status_code == 413 and response.json()["error"]
