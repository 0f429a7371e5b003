"""/api/dicom/anonymize/ and /api/dicom/transcode/ through HTTP, as a client calls them."""

import io
import json
import zipfile

import pytest
from django.test import override_settings
from pydicom import dcmread

from developers.models import DeveloperProfile
from dicom_core.deidentify.profile import safe_private_attributes
from tests.conftest import CORPUS, api_key_header

pytestmark = pytest.mark.django_db
ANONYMIZE = "/api/dicom/anonymize/"
TRANSCODE = "/api/dicom/transcode/"
STUDY_ZIP = CORPUS / "study_77654033.zip"


def post(developer, path, file_bytes, name="upload.dcm", **fields):
    upload = io.BytesIO(file_bytes)
    upload.name = name
    return developer.client.post(path, {"file": upload, **fields}, **api_key_header(developer.key))


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_anonymize_one_file(developer):
    response = post(developer, ANONYMIZE, corpus("CT_small.dcm"), options="retain-dates", patient_id="SUBJ-7", patient_name="Subject^Seven")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/dicom"
    assert response["Content-Disposition"] == 'attachment; filename="anonymized.dcm"'
    ds = dcmread(io.BytesIO(response.content))
    original = dcmread(CORPUS / "CT_small.dcm")
    assert ds.PatientID == "SUBJ-7" and ds.PatientName == "Subject^Seven"
    assert ds.StudyDate == original.StudyDate  # retained by the option
    assert ds.SOPInstanceUID != original.SOPInstanceUID
    assert [item.CodeValue for item in ds.DeidentificationMethodCodeSequence] == ["113100", "113106"]
    assert ds.PixelData == original.PixelData
    assert response["X-RateLimit-Limit"] == "1000"


def test_anonymize_a_zip_streams_a_zip_with_the_same_names_and_skipped_json(developer):
    with zipfile.ZipFile(STUDY_ZIP) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["README.txt"] = b"not DICOM"

    response = post(developer, ANONYMIZE, zip_of(members), name="study.zip")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as out:
        names = out.namelist()
        skipped = json.loads(out.read("skipped.json"))
    assert sorted(names) == sorted([name for name in members if name != "README.txt"] + ["skipped.json"])
    assert [entry["name"] for entry in skipped] == ["README.txt"]


def listed_as_safe(ds, tag) -> bool:
    """Whether Table E.3.10-1 lists this private data element for its block's Private Creator."""
    creator = ds.get(tag.group << 16 | tag.element >> 8)
    return creator is not None and (str(creator.value).strip(), tag.group, tag.element & 0xFF) in safe_private_attributes()


def test_anonymize_retain_private_keeps_only_the_safe_private_attributes(developer):
    original = dcmread(CORPUS / "CT_small.dcm")
    safe = {elem.tag for elem in original if elem.tag.is_private and elem.tag.element >= 0x1000 and listed_as_safe(original, elem.tag)}
    creators = {tag.group << 16 | tag.element >> 8 for tag in safe}

    retained = post(developer, ANONYMIZE, corpus("CT_small.dcm"), options="retain-private")
    basic = post(developer, ANONYMIZE, corpus("CT_small.dcm"))

    assert retained.status_code == basic.status_code == 200, retained.content
    ds = dcmread(io.BytesIO(retained.content))
    assert len(safe) >= 5 and len([elem for elem in original if elem.tag.is_private]) > 100  # GE's tables beside the safe ones
    assert {elem.tag for elem in ds if elem.tag.is_private} == safe | creators
    assert all(ds[tag].value == original[tag].value for tag in safe | creators)
    assert [item.CodeValue for item in ds.DeidentificationMethodCodeSequence] == ["113100", "113111"]
    assert not any(elem.tag.is_private for elem in dcmread(io.BytesIO(basic.content)))


def test_the_schema_says_what_retain_private_keeps(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    body = schema["paths"][ANONYMIZE]["post"]["requestBody"]["content"]["multipart/form-data"]
    component = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[-1]]

    description = component["properties"]["options"]["description"]
    assert "`retain-private`" in description and "Table E.3.10-1" in description and "removed" in description


def test_burned_in_annotation_is_refused_unless_allowed(developer):
    ds = dcmread(CORPUS / "SC_rgb.dcm")
    ds.BurnedInAnnotation = "YES"
    buffer = io.BytesIO()
    ds.save_as(buffer)

    refused = post(developer, ANONYMIZE, buffer.getvalue())
    allowed = post(developer, ANONYMIZE, buffer.getvalue(), allow_burned_in="true")

    assert refused.status_code == 400 and "allow_burned_in" in refused.json()["error"]
    assert refused.json()["field"] == "allow_burned_in"
    assert allowed.status_code == 200 and allowed["Warning"].startswith("299")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"options": "retain-everything"}, "options"),
        ({"patient_name": "x" * 65}, "patient_name"),
        ({"patient_id": "tab\there"}, "patient_id"),
    ],
)
def test_anonymize_bad_options_are_400(developer, fields, field):
    response = post(developer, ANONYMIZE, corpus("CT_small.dcm"), **fields)

    body = response.json()
    assert response.status_code == 400
    assert body.get("field") == field or body["error"].startswith(f"{field}: ")


def test_transcode_one_file_lossless(developer):
    response = post(developer, TRANSCODE, corpus("CT_small.dcm"), transfer_syntax="jpeg2000-lossless")

    assert response.status_code == 200, response.content
    ds = dcmread(io.BytesIO(response.content))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.90"
    assert (ds.pixel_array == dcmread(CORPUS / "CT_small.dcm").pixel_array).all()


def test_transcode_lossy_sets_the_lossy_attributes(developer):
    response = post(developer, TRANSCODE, corpus("SC_rgb.dcm"), transfer_syntax="jpeg-baseline", quality="80")

    assert response.status_code == 200, response.content
    ds = dcmread(io.BytesIO(response.content))
    assert ds.LossyImageCompression == "01"
    assert ds.LossyImageCompressionMethod == "ISO_10918_1"
    assert float(ds.LossyImageCompressionRatio) > 1


@pytest.mark.parametrize(
    ("name", "fields", "field", "words"),
    [
        ("CT_small.dcm", {"transfer_syntax": "jpeg-baseline"}, "transfer_syntax", "8 bits"),
        ("CT_small.dcm", {"transfer_syntax": "jpeg-xl"}, "transfer_syntax", "transfer_syntax"),
        ("CT_small.dcm", {}, "transfer_syntax", "transfer_syntax"),
        ("CT_small.dcm", {"transfer_syntax": "rle", "quality": "50"}, "quality", "lossy"),
        ("CT_small.dcm", {"transfer_syntax": "jpeg2000", "quality": "0"}, "quality", "quality"),
        ("rtplan.dcm", {"transfer_syntax": "rle"}, "transfer_syntax", "Pixel Data"),
        ("MR_truncated.dcm", {"transfer_syntax": "rle"}, None, "truncated"),
    ],
)
def test_transcode_400s_say_why(developer, name, fields, field, words):
    response = post(developer, TRANSCODE, corpus(name), **fields)

    assert response.status_code == 400
    assert words in response.json()["error"]
    if field:
        assert response.json().get("field", field) == field


def test_transcode_a_zip_skips_what_cannot_be_held(developer):
    upload = zip_of({"a/ct.dcm": corpus("CT_small.dcm"), "b/rgb.dcm": corpus("SC_rgb.dcm")})

    response = post(developer, TRANSCODE, upload, name="two.zip", transfer_syntax="jpeg-baseline")

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as out:
        assert sorted(out.namelist()) == ["b/rgb.dcm", "skipped.json"]
        skipped = json.loads(out.read("skipped.json"))
    assert skipped[0]["name"] == "a/ct.dcm" and "8 bits" in skipped[0]["reason"]


def test_not_dicom_is_400_and_no_file_is_400(developer):
    assert post(developer, TRANSCODE, b"hello", transfer_syntax="rle").status_code == 400
    response = developer.client.post(ANONYMIZE, {}, **api_key_header(developer.key))
    assert response.status_code == 400 and "file" in response.json()["error"]


@pytest.mark.parametrize(("path", "quota_field"), [(ANONYMIZE, "anonymize_quota"), (TRANSCODE, "transcode_quota")])
def test_each_endpoint_has_its_own_quota_shown_in_the_activity_summary(developer, path, quota_field):
    DeveloperProfile.objects.filter(user__email=developer.email).update(**{quota_field: 1})
    fields = {"transfer_syntax": "rle"} if path == TRANSCODE else {}

    first = post(developer, path, corpus("MR_small.dcm"), **fields)
    second = post(developer, path, corpus("MR_small.dcm"), **fields)
    read = developer.client.post("/api/dicom/read/file/", {"file": io.BytesIO(corpus("MR_small.dcm")), "images": "false"}, **api_key_header(developer.key))

    assert first.status_code == 200 and read.status_code == 200
    assert second.status_code == 429
    assert second.json() == {"error": f"Monthly API request for '{path}' limit exceeded.", "quota": 1, "requests_used": 2}
    summary = developer.client.get("/api/developer/profiles/activity-summary/", **developer.bearer).json()
    assert summary["by_endpoint"][path] == {"count": 1, "quota": 1, "remaining": 0}
    assert summary["monthly_total"] == 2


def test_another_key_is_refused_and_not_counted(developer, client):
    response = client.post(TRANSCODE, {"file": io.BytesIO(corpus("MR_small.dcm")), "transfer_syntax": "rle"}, HTTP_AUTHORIZATION="ApiKey nope.nope")
    assert response.status_code == 401


@pytest.mark.parametrize("path", [ANONYMIZE, TRANSCODE])
def test_the_read_endpoints_limits_apply(developer, path):
    fields = {"transfer_syntax": "rle"} if path == TRANSCODE else {}
    with override_settings(MAX_UPLOAD_BYTES=10_000):
        too_big = post(developer, path, corpus("CT_small.dcm"), **fields)
    # each member (32 KiB of pixels) fits the budget, the zip as a whole does not: refused before a byte is sent
    with override_settings(DICOM_LIMITS={"max_decoded_bytes": 80_000}):
        over_budget = post(developer, path, zip_of({"1.dcm": corpus("CT_small.dcm"), "2.dcm": corpus("CT_small.dcm"), "3.dcm": corpus("CT_small.dcm")}), name="ct.zip", **fields)

    assert too_big.status_code == 413 and "error" in too_big.json()
    assert over_budget.status_code == 413 and over_budget.json()["limit"] == "max_decoded_bytes"
    assert over_budget.json()["error"].startswith("'3.dcm': the pixel data would decode to 32768 bytes, 98304 with the files before it")


def test_a_transcode_that_outlasts_its_time_is_given_up_and_the_next_call_works(developer):
    # the decoding runs in the worker pool: a stalled decoder is killed with it, the caller answers
    with override_settings(DICOM_LIMITS={"frame_timeout_seconds": 0.001}):
        stalled = post(developer, TRANSCODE, corpus("JPEG2000.dcm"), transfer_syntax="rle")
    after = post(developer, TRANSCODE, corpus("JPEG2000.dcm"), transfer_syntax="rle")

    assert stalled.status_code == 413 and stalled.json()["limit"] == "render_timeout_seconds"
    assert after.status_code == 200
