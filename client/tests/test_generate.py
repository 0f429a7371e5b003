"""Client.generate against the real server, read back through Client.read."""

import pytest
from conftest import png_bytes

from dicom_api_client import InvalidRequest


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
