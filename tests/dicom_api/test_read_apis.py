"""POST /api/dicom/read/file/ driven as a client would, with real files from ../shared/corpus."""

import base64
import json
import io
import logging

import numpy as np
import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag
import pytest
from django.test import override_settings
from PIL import Image
from rest_framework.test import APIClient as DrfApiClient

from dicom_api.streaming import CHUNK_CHARS
from tests.conftest import CORPUS, api_key_header
from tests.dicom_core.dicom_builders import huge_rle_frames, nested_sequences, zip_of

pytestmark = pytest.mark.django_db
READ = "/api/dicom/read/file/"


def read(developer, data: bytes | str, name="file.dcm", **fields):
    if isinstance(data, str):
        data = (CORPUS / data).read_bytes()
    upload = io.BytesIO(data)
    upload.name = name
    return developer.client.post(READ, {"file": upload, **fields}, **api_key_header(developer.key))


def decoded(image_b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(image_b64)))


def test_read_like_the_guide(developer):
    response = read(developer, "CT_small.dcm", fields="PatientName,StudyDate,Modality", return_format="png")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["PatientName", "StudyDate", "Modality", "ImageFormat", "Rendering", "Images"]
    assert body["PatientName"] == "CompressedSamples^CT1" and body["Modality"] == "CT"
    assert body["ImageFormat"] == "PNG"
    image = decoded(body["Images"][0])
    assert image.format == "PNG" and image.size == (128, 128)
    assert body["Rendering"]["color"] == "grayscale"


def test_full_metadata_values_are_strings_as_in_the_guide(developer):
    body = read(developer, "JPEG-LL.dcm").json()
    assert body["FrameIncrementPointer"] == "[(0054,0010), (0054,0020)]"
    assert body["PixelSpacing"].startswith("[") and body["Rows"] == "1024"
    assert body["PixelData"].startswith("b'") and len(body["PixelData"]) < 400
    assert all(isinstance(value, (str, list)) or value is None for key, value in body.items() if key not in ("Rendering", "Images"))


def test_sequences_and_private_tags(developer):
    body = read(developer, "eCT_Supplemental.dcm", images="false").json()
    functional_groups = body["SharedFunctionalGroupsSequence"]
    assert isinstance(functional_groups, list) and isinstance(functional_groups[0], dict)
    ct = pydicom.dcmread(CORPUS / "rtplan.dcm")
    assert isinstance(read(developer, "rtplan.dcm").json()["BeamSequence"], list) and ct.BeamSequence
    overlay = read(developer, "examples_overlay.dcm", images="false").json()
    private = [key for key in overlay if key.startswith("(")]
    assert private and all(len(key) == 11 for key in private)


@pytest.mark.parametrize("asked, expected", [("png", "PNG"), ("JPEG", "JPEG"), ("jpg", "JPEG"), ("gif", "GIF"), ("Gif", "GIF")])
def test_return_formats(developer, asked, expected):
    body = read(developer, "MR_small.dcm", return_format=asked).json()
    assert body["ImageFormat"] == expected
    assert decoded(body["Images"][0]).format == expected


def test_bad_return_format_and_fields_are_400(developer):
    response = read(developer, "MR_small.dcm", return_format="bmp")
    assert response.status_code == 400 and response.json()["field"] == "return_format"
    response = read(developer, "MR_small.dcm", fields="PatientName,NotAKeyword")
    assert response.status_code == 400 and "NotAKeyword" in response.json()["error"]


def test_known_but_absent_field_is_null(developer):
    body = read(developer, "MR_small.dcm", fields="PatientName,RWavePointer").json()
    assert body["RWavePointer"] is None and body["PatientName"] == "CompressedSamples^MR1"


def test_every_frame_in_order(developer):
    body = read(developer, "emri_small.dcm").json()
    assert len(body["Images"]) == 10
    color = read(developer, "SC_rgb_rle_2frame.dcm").json()
    assert len(color["Images"]) == 2 and decoded(color["Images"][0]).mode == "RGB"


MR_FAMILY = ["MR_small.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"]


def test_same_image_in_every_transfer_syntax_renders_identically(developer):
    pixels = [np.asarray(decoded(read(developer, name).json()["Images"][0])) for name in MR_FAMILY]
    for name, other in zip(MR_FAMILY[1:], pixels[1:]):
        assert np.array_equal(pixels[0], other), name


@pytest.mark.parametrize("name", ["reportsi.dcm", "rtplan.dcm"])
def test_no_pixel_data_gives_metadata_and_image_error(developer, name):
    response = read(developer, name)
    assert response.status_code == 200
    body = response.json()
    assert body["Images"] == [] and "No pixel data" in body["ImageError"]
    assert body["PatientName"]


def test_frames_asked_of_a_file_without_pixel_data_is_still_200(developer):
    body = read(developer, "reportsi.dcm", frames="1").json()
    assert body["Images"] == [] and "No pixel data" in body["ImageError"]


def test_truncated_pixel_data_gives_metadata_and_image_error(developer):
    body = read(developer, "MR_truncated.dcm").json()
    assert body["Images"] == [] and "truncated" in body["ImageError"].lower()
    assert body["PatientName"] == "CompressedSamples^MR1"


def test_files_without_preamble_or_meta_are_read(developer):
    without_preamble = (CORPUS / "MR_small.dcm").read_bytes()[128:]
    body = read(developer, without_preamble).json()
    assert body["Rows"] == "64" and len(body["Images"]) == 1
    ds = pydicom.dcmread(CORPUS / "MR_small_implicit.dcm")
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, implicit_vr=True, little_endian=True)  # no preamble, no file meta
    body = read(developer, buffer.getvalue()).json()
    assert body["PatientName"] == "CompressedSamples^MR1" and len(body["Images"]) == 1


def test_a_file_dcmtk_cannot_read_either_is_400(developer):
    # no_meta.dcm starts with a stray byte: dcmdump stops with "premature end of stream" too.
    response = read(developer, "no_meta.dcm")
    assert response.status_code == 400 and "error" in response.json()


@pytest.mark.parametrize("data", [b"", b"hello world, not dicom at all" * 10, bytes(range(256)) * 20, b"PK\x03\x04broken zip"])
def test_not_dicom_is_400(developer, data):
    response = read(developer, data)
    assert response.status_code == 400
    assert "error" in response.json()


def test_missing_file_is_400(developer):
    response = developer.client.post(READ, {"fields": "PatientName"}, **api_key_header(developer.key))
    assert response.status_code == 400 and response.json()["field"] == "file"


def test_zip_reads_every_member_nested_and_skips_others(developer):
    data = zip_of(
        {
            "a/b/ct.dcm": (CORPUS / "CT_small.dcm").read_bytes(),
            "mr": (CORPUS / "MR_small.dcm").read_bytes(),
            "README.txt": b"just text",
            "inner.zip": zip_of({"x.dcm": (CORPUS / "MR_small.dcm").read_bytes()}),
        }
    )
    response = read(developer, data, name="anything.dcm", fields="Modality")
    assert response.status_code == 200
    body = response.json()
    assert [member["name"] for member in body["files"]] == ["a/b/ct.dcm", "mr"]
    assert [member["Modality"] for member in body["files"]] == ["CT", "MR"]
    assert len(body["files"][0]["Images"]) == 1
    assert {skipped["name"] for skipped in body["skipped"]} == {"README.txt", "inner.zip"}
    assert all(skipped["reason"] for skipped in body["skipped"])


def test_corpus_zip(developer):
    body = read(developer, "study_77654033.zip", images="false").json()
    assert len(body["files"]) == 7


def test_zip_counts_once(developer):
    read(developer, "study_77654033.zip", images="false")
    summary = developer.client.get("/api/developer/profiles/activity-summary/", **developer.bearer).json()
    assert summary["monthly_total"] == 1


def test_overlapping_zip_entries_are_stopped(developer):
    """Many central-directory records pointing at one big entry (CPython gh-109858)."""
    big = zip_of({"big.dcm": b"\0" * (4 * 1024 * 1024)})
    start = big.index(b"PK\x01\x02")
    end = big.index(b"PK\x05\x06")
    record = big[start:end]
    copies = 100
    eocd = bytearray(big[end:])
    eocd[8:10] = copies.to_bytes(2, "little")
    eocd[10:12] = copies.to_bytes(2, "little")
    eocd[12:16] = (len(record) * copies).to_bytes(4, "little")
    bomb = big[:start] + record * copies + bytes(eocd)
    with override_settings(DICOM_LIMITS={"max_inflated_bytes": 64 * 1024 * 1024}):
        response = read(developer, bomb)
    assert response.status_code == 413


def test_upload_size_limit_is_413(developer):
    with override_settings(MAX_UPLOAD_BYTES=10_000):
        response = read(developer, "CT_small.dcm")
    assert response.status_code == 413
    assert "error" in response.json()


def test_declared_pixel_size_is_checked_before_decoding(developer):
    response = read(developer, huge_rle_frames())  # 600 bytes declaring 65535 x 65535 x 1000 frames
    assert response.status_code == 413
    assert response.json()["limit"] == "max_decoded_bytes"
    # metadata only never decodes, so the same file is fine
    assert read(developer, huge_rle_frames(), images="false").status_code == 200


def test_deep_sequence_nesting_is_413(developer):
    response = read(developer, nested_sequences(400))
    assert response.status_code == 413
    assert response.json()["limit"] == "max_sequence_depth"


def test_uploads_are_never_spooled_to_disk(developer, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr("django.core.files.uploadedfile.tempfile.NamedTemporaryFile", refuse)
    big = (CORPUS / "..").joinpath("bench-data", "xa_96f.dcm").read_bytes()  # 3.3 MB: Django would spool it
    response = read(developer, big, images="false")
    assert response.status_code == 200


def test_no_patient_data_in_logs(developer, caplog, monkeypatch):
    monkeypatch.setattr(pydicom.config.settings, "writing_validation_mode", pydicom.config.IGNORE)
    ds = pydicom.dcmread(CORPUS / "MR_small.dcm")
    ds.PatientName = "Secret^Patient"
    # an invalid DS, stored as read from a file: pydicom's warning quotes it
    ds[0x00180050] = RawDataElement(Tag(0x00180050), "DS", 24, b"not-a-number-SecretValue", 0, False, True)
    buffer = io.BytesIO()
    ds.save_as(buffer)
    with caplog.at_level(logging.DEBUG):
        response = read(developer, buffer.getvalue())
    assert response.status_code == 200
    assert response.json()["SliceThickness"] == "not-a-number-SecretValue"
    assert "Secret" not in caplog.text


def test_a_body_that_is_not_multipart_is_415(developer):
    response = developer.client.post(READ, {"file": "x"}, format="json", **api_key_header(developer.key))
    assert response.status_code == 415
    assert response.json()["error"]


def test_the_answer_is_streamed_as_valid_json(developer):
    upload = io.BytesIO((CORPUS / "emri_small.dcm").read_bytes())
    upload.name = "emri.dcm"
    response = DrfApiClient().post(READ, {"file": upload, "return_format": "gif", "animate": "false"}, **api_key_header(developer.key))
    assert response.streaming and response["Content-Type"] == "application/json"
    chunks = list(response.streaming_content)
    assert len(chunks) > 1 and all(len(chunk) >= CHUNK_CHARS for chunk in chunks[:-1])
    body = json.loads(b"".join(chunks))
    assert len(body["Images"]) == 10 and body["PatientName"] == ""


def test_an_answer_that_fits_in_one_chunk_is_sent_whole_with_its_length(developer):
    upload = io.BytesIO((CORPUS / "MR_small.dcm").read_bytes())
    upload.name = "mr.dcm"
    response = DrfApiClient().post(READ, {"file": upload, "fields": "Rows"}, **api_key_header(developer.key))
    assert not response.streaming and int(response["Content-Length"]) == len(response.content) < CHUNK_CHARS
    assert response.json()["Rows"] == "64" and len(response.json()["Images"]) == 1


def test_garbage_after_dicm_is_400_saying_the_file_meta_does_not_parse(developer):
    garbage = bytes(128) + b"DICM" + bytes((index * 37) % 256 for index in range(600))
    response = read(developer, garbage)
    assert response.status_code == 400 and "group 0002" in response.json()["error"]


def test_an_element_running_past_the_end_is_400_naming_its_tag(developer):
    from tests.dicom_core.dicom_builders import ob_claiming

    response = read(developer, ob_claiming(0xFFFFFFF0))
    assert response.status_code == 400 and "(0009,1010)" in response.json()["error"]


def test_a_frame_failing_after_others_gives_valid_json_naming_the_missing_frames(developer):
    from tests.dicom_core.test_render import jpeg_file_with_a_broken_frame

    body = read(developer, jpeg_file_with_a_broken_frame(broken=2), frames="4,1,3,2", return_format="png").json()
    assert len(body["Images"]) == 2 and body["Rendering"]["voi_source"] == "file-window"
    assert body["MissingFrames"] == [3, 2] and "Frame 3 could not be decoded" in body["ImageError"]
    assert all(decoded(image).format == "PNG" for image in body["Images"])
