"""Client.generate against the real server, read back through Client.read."""

from datetime import datetime, timezone

import pytest
from conftest import GENERATE_QUOTA, png_bytes

from dicom_api_client import InvalidRequest, QuotaExceeded


def test_generate_then_read_back(client, tmp_path):
    image = tmp_path / "photo.png"
    image.write_bytes(png_bytes(16, 12, gray=False))
    dicom = client.generate(image, "example_dicom", PatientName="John^Doe", Modality="OT", PatientBirthDate="19800131")
    assert dicom[128:132] == b"DICM"
    result = client.read(dicom, fields=["PatientName", "PatientBirthDate", "Rows", "Columns", "PhotometricInterpretation"])
    assert result.metadata == {
        "PatientName": "John^Doe", "PatientBirthDate": "19800131", "Rows": "12", "Columns": "16", "PhotometricInterpretation": "RGB",
    }
    assert len(result.frames) == 1


def test_several_images_make_one_multiframe_instance(client):
    dicom = client.generate([png_bytes(8, 8), png_bytes(8, 8)], "cine")
    result = client.read(dicom, fields="NumberOfFrames")
    assert result.metadata["NumberOfFrames"] == "2" and len(result.frames) == 2


def test_an_invalid_value_names_its_field(client):
    with pytest.raises(InvalidRequest) as refused:
        client.generate(png_bytes(4, 4), "bad", PatientBirthDate="19801340")
    assert refused.value.field == "PatientBirthDate" and "PatientBirthDate" in refused.value.message
    with pytest.raises(InvalidRequest) as bad_name:
        client.generate(png_bytes(4, 4), "../escape")
    assert bad_name.value.status_code == 400


def test_the_monthly_quota_is_raised_with_its_figures(new_developer):
    client, _ = new_developer
    image = png_bytes(2, 2)
    for _ in range(GENERATE_QUOTA):
        client.generate(image, "quota")
    with pytest.raises(QuotaExceeded) as exceeded:
        client.generate(image, "quota")
    assert exceeded.value.message == "Monthly API request for '/api/dicom/generate/' limit exceeded."
    # requests_used counts this one call: a retry would have counted more
    assert (exceeded.value.quota, exceeded.value.requests_used) == (GENERATE_QUOTA, GENERATE_QUOTA + 1)
    now = datetime.now(timezone.utc)
    next_month = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=timezone.utc)
    assert exceeded.value.reset == int(next_month.timestamp())
    assert client.usage().by_endpoint["/api/dicom/generate/"].remaining == 0
