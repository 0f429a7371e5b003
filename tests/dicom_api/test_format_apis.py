import time

import pydicom
import pytest


def test_allowed_fields_filters_like_the_guide(client):
    response = client.get("/api/dicom-format/allowed-fields/?fields__contains=Patient")
    assert response.status_code == 200
    body = response.json()
    assert body["dicomVersion"]
    assert {"PatientName", "PatientID", "PatientBirthDate", "PatientSex"} <= set(body["allowedFields"])
    assert all("Patient" in keyword for keyword in body["allowedFields"])
    # tag order: PatientName (0010,0010) before PatientID (0010,0020)
    assert body["allowedFields"].index("PatientName") < body["allowedFields"].index("PatientID")


def test_all_keywords_in_tag_order_retired_included(client):
    keywords = client.get("/api/dicom-format/allowed-fields/").json()["allowedFields"]
    assert len(keywords) > 4000
    tags = [pydicom.datadict.tag_for_keyword(keyword) for keyword in keywords]
    assert tags == sorted(tags)
    assert "LossyImageCompressionRetired" in keywords


def test_filters_combine_with_and_and_have_case_insensitive_variants(client):
    both = client.get("/api/dicom-format/allowed-fields/?fields__startswith=Patient&fields__endswith=Date").json()["allowedFields"]
    assert "PatientBirthDate" in both and all(k.startswith("Patient") and k.endswith("Date") for k in both)
    assert client.get("/api/dicom-format/allowed-fields/?fields__startswith=patient").json()["allowedFields"] == []
    insensitive = client.get("/api/dicom-format/allowed-fields/?fields__istartswith=patient&fields__iendswith=DATE").json()["allowedFields"]
    assert insensitive == both
    regex = client.get("/api/dicom-format/allowed-fields/?fields__regex=^Patient(Name|ID)$").json()["allowedFields"]
    assert regex == ["PatientName", "PatientID"]
    iregex = client.get("/api/dicom-format/allowed-fields/", {"fields__iregex": "^patient(name|id)$"}).json()["allowedFields"]
    assert iregex == regex
    icontains = client.get("/api/dicom-format/allowed-fields/", {"fields__icontains": "WINDOWCENTER"}).json()["allowedFields"]
    assert "WindowCenter" in icontains


@pytest.mark.parametrize("pattern", ["(", "[z-a]", "(a)\\1", "(?=a)", "x" * 201, "(" * 500 + ")" * 500])
def test_bad_regexes_are_400(client, pattern):
    response = client.get("/api/dicom-format/allowed-fields/", {"fields__regex": pattern})
    assert response.status_code == 400
    assert response.json()["field"] == "fields__regex"


def test_catastrophic_regex_answers_fast(client):
    started = time.monotonic()
    response = client.get("/api/dicom-format/allowed-fields/", {"fields__regex": r"(\w+)+!"})
    assert response.status_code == 200 and response.json()["allowedFields"] == []
    assert time.monotonic() - started < 5  # Python's re takes > 10 s here


def test_required_field_types_never_empty(client):
    body = client.get("/api/dicom-format/required-field-type/").json()
    types = body["requiredFieldTypes"]
    assert types["PatientName"] == "str"
    assert types["Rows"] == "int"
    assert types["WindowCenter"] in ("float", "list[float]")
    assert types["ReferencedImageSequence"] == "list[dict]"
    assert types["PixelData"] == "bytes"
    assert all(types.values())
    assert set(types.values()) <= {"str", "int", "float", "bytes", "list[str]", "list[int]", "list[float]", "list[dict]"}


def test_required_field_types_detail(client):
    detail = client.get("/api/dicom-format/required-field-type/?detail=true").json()["requiredFieldTypes"]
    assert detail["PatientName"] == {"type": "str", "vr": "PN", "vm": "1", "tag": "(0010,0010)", "name": "Patient's Name", "retired": False}
    assert client.get("/api/dicom-format/required-field-type/?detail=maybe").status_code == 400
