import time

import pydicom
import pytest

from dicom_core.dictionary import (
    DICOM_VERSION,
    all_keyword_details,
    all_keyword_types,
    all_keywords,
    filter_keywords,
    keyword_detail,
    keyword_python_type,
)
from dicom_core.errors import InvalidOptionError

TYPES = {"str", "int", "float", "bytes", "list[str]", "list[int]", "list[float]", "list[dict]"}


def test_every_keyword_in_tag_order_retired_included():
    keywords = all_keywords()
    assert len(keywords) > 5000
    assert len(set(keywords)) == len(keywords)
    assert keywords[0] == "CommandGroupLength"
    assert keywords[-1] == "SequenceDelimitationItem"
    assert "LossyImageCompressionRetired" in keywords  # retired, as the guide's example shows
    tags = [int(keyword_detail(k)["tag"][1:5] + keyword_detail(k)["tag"][6:10], 16) for k in keywords]
    assert tags == sorted(tags)


def test_types_are_never_empty_and_come_from_vr_and_vm():
    types = all_keyword_types()
    assert set(types.values()) <= TYPES
    assert types["PatientName"] == "str"
    assert types["Rows"] == "int"
    assert types["SliceThickness"] == "float"
    assert types["ImageType"] == "list[str]"
    assert types["RWavePointer"] == "list[int]"
    assert types["ImagePositionPatient"] == "list[float]"
    assert types["ReferencedImageSequence"] == "list[dict]"
    assert types["PixelData"] == "bytes"  # OB or OW: the first alternative
    assert types["SmallestImagePixelValue"] == "int"  # US or SS
    assert types["FrameIncrementPointer"] == "list[str]"  # AT shown as "(gggg,eeee)"
    assert types["Item"] == "bytes"


def test_detail_of_a_keyword():
    assert keyword_detail("FrameIncrementPointer") == {
        "type": "list[str]",
        "vr": "AT",
        "vm": "1-n",
        "tag": "(0028,0009)",
        "name": "Frame Increment Pointer",
        "retired": False,
    }
    assert keyword_detail("LossyImageCompressionRetired")["retired"] is True
    assert set(all_keyword_details()) == set(all_keywords())
    assert keyword_python_type("PatientID") == "str"


def test_dicom_version_matches_the_installed_dictionary():
    assert DICOM_VERSION == "2023d"
    # DICOM_VERSION names the edition pydicom 3.0's dictionary comes from: check it on an upgrade.
    assert pydicom.__version__.startswith("3.0."), f"pydicom {pydicom.__version__}: update DICOM_VERSION"


def test_guide_example_filter_contains_patient():
    patient = filter_keywords(all_keywords(), contains="Patient")
    for keyword in ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientInsurancePlanCodeSequence"]:
        assert keyword in patient
    assert all("Patient" in keyword for keyword in patient)


def test_filters_combine_with_and_and_i_variants_ignore_case():
    keywords = all_keywords()
    assert filter_keywords(keywords, startswith="Patient", endswith="Name") == ["PatientName"] + [
        k for k in filter_keywords(keywords, startswith="Patient", endswith="Name") if k != "PatientName"
    ]
    assert "PatientName" in filter_keywords(keywords, startswith="Patient", endswith="Name", regex="^P.*e$")
    assert filter_keywords(keywords, contains="patient") == []
    assert "PatientName" in filter_keywords(keywords, icontains="patientname")
    assert filter_keywords(keywords, istartswith="PATIENTNAM", iendswith="NAME") == ["PatientName"]
    assert filter_keywords(keywords, iregex="^patientname$") == ["PatientName"]
    assert filter_keywords(keywords, regex="^patientname$") == []


def test_catastrophic_pattern_answers_in_milliseconds():
    started = time.perf_counter()
    assert filter_keywords(all_keywords(), regex=r"(\w+)+!") == []
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "pattern",
    ["(", "[z-a]", "(" * 500 + ")" * 500, r"(a)\1", "(?=Patient)", "(?<!x)y", "a" * 201],
)
def test_refused_patterns_are_invalid_options_naming_the_field(pattern):
    with pytest.raises(InvalidOptionError) as caught:
        filter_keywords(all_keywords(), regex=pattern)
    assert caught.value.field == "fields__regex"
    with pytest.raises(InvalidOptionError) as caught:
        filter_keywords(all_keywords(), iregex=pattern)
    assert caught.value.field == "fields__iregex"


def test_a_200_character_pattern_is_allowed():
    assert filter_keywords(all_keywords(), regex="(" * 100 + ")" * 100) == all_keywords()


def test_repeated_requests_are_cached():
    keywords = all_keywords()
    filter_keywords(keywords, regex="Sequence$")
    started = time.perf_counter()
    for _ in range(100):
        filter_keywords(keywords, regex="Sequence$")
    assert time.perf_counter() - started < 0.2
