"""The PS3.15 Basic Application Level Confidentiality Profile on real corpus files."""

import copy
import io
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom import dcmread, dcmwrite
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from dicom_core.deidentify import DeidentifyOptions, deidentify

BASIC = DeidentifyOptions(allow_burned_in=True)  # corpus files are judged on their attributes

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"
STUDY_ZIP = CORPUS / "study_77654033.zip"

# written out here, not taken from the module's table: what a reader expects to be gone
IDENTIFYING_KEYWORDS = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientBirthTime", "OtherPatientIDs",
    "PatientAddress", "InstitutionName", "InstitutionAddress", "ReferringPhysicianName",
    "PerformingPhysicianName", "OperatorsName", "StationName", "DeviceSerialNumber",
    "AccessionNumber", "StudyID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
    "FrameOfReferenceUID", "ReferencedSOPInstanceUID", "InstanceCreatorUID",
)
DATE_VRS = ("DA", "DT")


def read_quietly(source: Path | io.BytesIO) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the odd corpus files on purpose
        return dcmread(source, force=True)


def study_datasets() -> list[Dataset]:
    with zipfile.ZipFile(STUDY_ZIP) as archive:
        return [read_quietly(io.BytesIO(archive.read(name))) for name in archive.namelist()]


def all_elements(ds: Dataset) -> Iterator[DataElement]:
    for elem in ds:
        yield elem
        if elem.VR == "SQ":
            for item in elem.value:
                yield from all_elements(item)


def string_values(elem: DataElement) -> list[str]:
    values = elem.value if elem.VM > 1 else [elem.value]
    return [str(value) for value in values if value not in (None, "", b"")]


def is_identifying(elem: DataElement) -> bool:
    return elem.keyword in IDENTIFYING_KEYWORDS or elem.VR in DATE_VRS


def identifying_values(ds: Dataset) -> set[str]:
    """Values of the identifying attributes and every date, long enough not to match by chance,
    less those some kept attribute has too (vlut_04's InstitutionName is its Manufacturer)."""
    identifying, kept = set(), set()
    for elem in all_elements(ds):
        if elem.VR != "SQ":
            (identifying if is_identifying(elem) else kept).update(string_values(elem))
    return {value for value in identifying - kept if len(value) >= 4}


CORPUS_NAMES = [p.name for p in sorted(CORPUS.glob("*.dcm")) if p.name != "no_meta.dcm"]


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_no_identifying_value_is_left_anywhere(name: str) -> None:
    original = read_quietly(CORPUS / name)
    anonymized = deidentify(original, BASIC, {})

    left = identifying_values(original) & {
        v for elem in all_elements(anonymized) if elem.VR != "SQ" for v in string_values(elem)
    }

    assert not left
    assert not any(elem.tag.is_private for elem in all_elements(anonymized))
    assert anonymized.PatientIdentityRemoved == "YES"


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_result_is_still_a_valid_file(name: str) -> None:
    anonymized = deidentify(read_quietly(CORPUS / name), BASIC, {})

    buffer = io.BytesIO()
    dcmwrite(buffer, anonymized)
    reread = read_quietly(io.BytesIO(buffer.getvalue()))

    assert reread.SOPInstanceUID == anonymized.SOPInstanceUID
    assert reread.PatientIdentityRemoved == "YES"
    assert str(reread.get("PatientName", "")) in ("", "ANONYMIZED")
    assert "PixelData" not in anonymized or reread.PixelData == anonymized.PixelData


def test_ct_small_patient_module_and_method() -> None:
    original = read_quietly(CORPUS / "CT_small.dcm")
    uid_map: dict[str, str] = {}

    ds = deidentify(original, BASIC, uid_map)

    assert ds.PatientName == ""  # Z
    assert ds.PatientID == "ANONYMIZED"  # Z/D: a dummy keeps a Type 1 use valid
    assert ds.get("PatientBirthDate", "") == ""
    assert "InstitutionName" not in ds or ds.InstitutionName == "ANONYMIZED"
    assert ds.SOPInstanceUID == uid_map[original.SOPInstanceUID] != original.SOPInstanceUID
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.SOPClassUID == original.SOPClassUID  # a class UID identifies no one
    assert ds.Rows == original.Rows and ds.PixelData == original.PixelData
    assert ds.DeidentificationMethod == "Basic Application Confidentiality Profile"
    code = ds.DeidentificationMethodCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("113100", "DCM")


def test_uids_stay_consistent_across_the_files_of_one_request() -> None:
    originals = study_datasets()
    uid_map: dict[str, str] = {}

    anonymized = [deidentify(ds, BASIC, uid_map) for ds in originals]

    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        before = [ds[keyword].value for ds in originals]
        after = [ds[keyword].value for ds in anonymized]
        # same old UID <-> same new UID: the grouping into studies and series is kept
        assert [before.index(uid) for uid in before] == [after.index(uid) for uid in after]
        assert not set(before) & set(after)
    assert len({ds.StudyInstanceUID for ds in anonymized}) == 2


def test_another_request_gets_other_uids() -> None:
    original = read_quietly(CORPUS / "MR_small.dcm")

    first = deidentify(original, BASIC, {})
    second = deidentify(original, BASIC, {})

    assert first.StudyInstanceUID != second.StudyInstanceUID


def test_sequences_are_processed_inside() -> None:
    original = read_quietly(CORPUS / "rtplan.dcm")
    referenced = {
        str(elem.value) for elem in all_elements(original) if elem.keyword.endswith("InstanceUID")
    }
    uid_map: dict[str, str] = {}

    ds = deidentify(original, BASIC, uid_map)

    nested_uids = {
        str(elem.value) for elem in all_elements(ds) if elem.keyword.endswith("InstanceUID")
    }
    assert referenced and not nested_uids & referenced
    assert nested_uids <= set(uid_map.values())


def test_overlay_data_and_curves_are_removed() -> None:
    ds = deidentify(read_quietly(CORPUS / "examples_overlay.dcm"), BASIC, {})

    assert not any(elem.tag.group & 0xFF00 in (0x5000, 0x6000) and elem.tag.element in (
        0x3000, 0x4000) for elem in ds)
    assert not any(elem.tag.group == 0x6000 for elem in ds)  # its module would be invalid without the data


@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "examples_overlay.dcm"])
def test_the_callers_dataset_is_left_as_it_was(name: str) -> None:
    original = read_quietly(CORPUS / name)
    before = copy.deepcopy(original)

    deidentify(original, DeidentifyOptions(options=frozenset({"clean-descriptors"}), allow_burned_in=True), {})

    assert original == before and original.file_meta == before.file_meta
