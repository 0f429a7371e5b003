import json

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicom_core.errors import InvalidOptionError
from dicom_core.limits import Limits
from dicom_core.metadata import PREVIEW_BYTES, flat_metadata, parse_fields, validate_fields
from dicom_core.reading import read_dataset
from tests.dicom_core.dicom_builders import corpus_bytes, explicit_le_file, tag


def corpus_dataset(name: str) -> Dataset:
    return read_dataset(corpus_bytes(name), Limits())


def test_values_are_strings_as_in_the_guide():
    dataset = Dataset()
    dataset.RWavePointer = [20, 53, 77]
    dataset.FrameIncrementPointer = 0x00181063
    dataset.PatientName = "Rubo DEMO"
    dataset.Rows = 512
    dataset.FrameTime = "33"
    dataset.ImageType = ["ORIGINAL", "PRIMARY"]
    assert flat_metadata(dataset) == {
        "ImageType": "['ORIGINAL', 'PRIMARY']",
        "FrameTime": "33",
        "PatientName": "Rubo DEMO",
        "FrameIncrementPointer": "(0018,1063)",
        "Rows": "512",
        "RWavePointer": "[20, 53, 77]",
    }


def test_encapsulated_pixel_data_is_a_short_preview_like_the_guide():
    flat = flat_metadata(corpus_dataset("examples_ybr_color.dcm"))
    assert flat["PixelData"].startswith("b'\\xfe\\xff\\x00\\xe0")
    assert flat["PixelData"].endswith("....")
    assert len(flat["PixelData"]) < 4 * PREVIEW_BYTES + 10


@pytest.mark.parametrize("name", ["eCT_Supplemental.dcm", "examples_palette.dcm", "CT_small.dcm", "liver_1frame.dcm"])
def test_no_value_is_megabytes_of_text(name):
    text = json.dumps(flat_metadata(corpus_dataset(name)))
    assert len(text) < 60_000


def test_sequences_are_lists_of_flat_objects():
    flat = flat_metadata(corpus_dataset("rtplan.dcm"))
    beams = flat["BeamSequence"]
    assert isinstance(beams, list) and beams
    assert beams[0]["BeamName"]
    control_points = beams[0]["ControlPointSequence"]
    assert isinstance(control_points[0], dict)


def test_private_tags_are_keyed_by_tag_and_file_meta_left_out():
    flat = flat_metadata(corpus_dataset("CT_small.dcm"))
    assert flat["(0043,0010)"] == "GEMS_PARM_01"  # a private creator
    assert "(0043,1040)" in flat
    assert "TransferSyntaxUID" not in flat
    assert list(flat)[0] == "SpecificCharacterSet"


def test_keys_follow_tag_order():
    flat = flat_metadata(corpus_dataset("CT_small.dcm"))
    assert list(flat).index("SOPClassUID") < list(flat).index("PatientName") < list(flat).index("PixelData")


def test_repeated_group_keywords_do_not_overwrite_each_other():
    dataset = Dataset()
    dataset.add_new(0x60000010, "US", 10)
    dataset.add_new(0x60020010, "US", 20)
    assert flat_metadata(dataset) == {"OverlayRows": "10", "(6002,0010)": "20"}


def test_fields_only_with_absent_ones_null_and_file_meta_reachable():
    flat = flat_metadata(corpus_dataset("CT_small.dcm"), ["PatientName", "RWavePointer", "TransferSyntaxUID"])
    assert flat == {"PatientName": "CompressedSamples^CT1", "RWavePointer": None, "TransferSyntaxUID": "1.2.840.10008.1.2.1"}


def test_an_invalid_value_is_its_raw_string():
    dataset = read_dataset(explicit_le_file(tag(0x0018, 0x0050) + b"DS\x06\x00abcxyz"), Limits())
    assert flat_metadata(dataset)["SliceThickness"] == "abcxyz"


def test_empty_values_are_empty_strings():
    dataset = Dataset()
    dataset.PatientBirthDate = None
    dataset.ReferencedImageSequence = Sequence()
    assert flat_metadata(dataset) == {"PatientBirthDate": "", "ReferencedImageSequence": []}


def test_parse_fields():
    assert parse_fields(" PatientName, StudyDate ,,Modality ") == ["PatientName", "StudyDate", "Modality"]
    assert parse_fields("") is None
    assert parse_fields(" , ") is None
    assert parse_fields(None) is None


def test_validate_fields_names_the_unknown_keyword():
    assert validate_fields(["PatientName", "Rows", "PatientName"]) == ["PatientName", "Rows"]
    with pytest.raises(InvalidOptionError) as caught:
        validate_fields(["PatientName", "NotAKeyword"])
    assert caught.value.field == "fields"
    assert "NotAKeyword" in caught.value.message
