"""The DICOM JSON model (PS3.18 Annex F) of real corpus files, round-tripped through pydicom."""

import base64
import io
import json
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset

from dicom_core.dicom_json import dicom_json
from dicom_core.errors import InvalidOptionError

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
STUDY_ZIP = CORPUS / "study_77654033.zip"
INLINE_MAX = 1024


def corpus_datasets() -> list[tuple[str, Dataset]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the odd corpus files on purpose
        files = [(p.name, dcmread(p, force=True)) for p in sorted(CORPUS.glob("*.dcm"))]
        with zipfile.ZipFile(STUDY_ZIP) as archive:
            members = [(n, dcmread(io.BytesIO(archive.read(n)))) for n in archive.namelist()]
    return files + members


CORPUS_DATASETS = corpus_datasets()


def explicit_element(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH", group, element) + vr + struct.pack("<H", len(value)) + value


def dataset_from_elements(*elements: bytes) -> Dataset:
    return read_dataset(io.BytesIO(b"".join(elements)), is_implicit_VR=False, is_little_endian=True)


def assert_same_elements(original: Dataset, reread: Dataset) -> None:
    for elem in original:
        assert elem.tag in reread, f"{elem.tag} lost"
        back = reread[elem.tag]
        if elem.VR == "SQ":
            assert len(back.value) == len(elem.value), f"{elem.tag} items"
            for item, back_item in zip(elem.value, back.value):
                assert_same_elements(item, back_item)
        elif isinstance(elem.value, bytes):
            if len(elem.value) <= INLINE_MAX:
                assert back.value == elem.value, f"{elem.tag} bytes"
            else:
                assert back.is_empty, f"{elem.tag} bulk value should not be carried"
        else:
            assert back.value == elem.value, f"{elem.tag}: {elem.value!r} != {back.value!r}"


@pytest.mark.filterwarnings("ignore:VR lookup failed")  # no_meta.dcm's odd element
@pytest.mark.parametrize("name, ds", CORPUS_DATASETS, ids=[name for name, _ in CORPUS_DATASETS])
def test_round_trips_through_pydicom_from_json(name: str, ds: Dataset) -> None:
    model = dicom_json(ds, inline_binary_max=INLINE_MAX)

    text = json.dumps(model, allow_nan=False)  # strict JSON: what the API sends
    reread = Dataset.from_json(json.loads(text))

    assert_same_elements(ds, reread)
    assert len(text) < 64 * 1024, "bulk data must not be carried inline"


def test_attribute_shapes_follow_annex_f() -> None:
    ds = dcmread(CORPUS / "CT_small.dcm")

    model = dicom_json(ds)

    assert all(len(key) == 8 and key == key.upper() for key in model)
    assert "00020010" not in model  # file meta is not part of the data set
    assert model["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": str(ds.PatientName)}]}
    assert model["00280010"] == {"vr": "US", "Value": [128]}
    assert model["00200013"]["vr"] == "IS" and isinstance(model["00200013"]["Value"][0], int)
    assert model["00280030"]["vr"] == "DS"
    assert all(isinstance(v, float | int) for v in model["00280030"]["Value"])
    assert model["7FE00010"] == {"vr": "OW"}  # 32 KiB of pixels: no value


def test_small_binary_is_inline_and_large_is_left_out() -> None:
    ds = dcmread(CORPUS / "MR_small.dcm")

    small = dicom_json(ds, inline_binary_max=len(ds.PixelData))
    large = dicom_json(ds, inline_binary_max=len(ds.PixelData) - 1)

    assert base64.b64decode(small["7FE00010"]["InlineBinary"]) == ds.PixelData
    assert large["7FE00010"] == {"vr": "OW"}


def test_sequences_nest_and_at_values_are_hex() -> None:
    ds = dcmread(CORPUS / "rtplan.dcm")

    model = dicom_json(ds)

    beams = model["300A00B0"]
    assert beams["vr"] == "SQ" and len(beams["Value"]) == len(ds.BeamSequence)
    assert beams["Value"][0]["300A00C2"]["Value"] == [ds.BeamSequence[0].BeamName]
    ybr = dicom_json(dcmread(CORPUS / "examples_ybr_color.dcm"), ["FrameIncrementPointer"])
    assert ybr == {"00280009": {"vr": "AT", "Value": ["00181063"]}}


def test_fields_keep_only_those_present() -> None:
    ds = dcmread(CORPUS / "CT_small.dcm")

    model = dicom_json(ds, ["PatientName", "Modality", "RWavePointer"])

    assert set(model) == {"00100010", "00080060"}


def test_unknown_field_names_it() -> None:
    with pytest.raises(InvalidOptionError) as error:
        dicom_json(dcmread(CORPUS / "CT_small.dcm"), ["PatientName", "NotAKeyword"])

    assert error.value.field == "fields" and "NotAKeyword" in error.value.message


def test_invalid_numbers_are_sent_without_a_value_instead_of_raising() -> None:
    ds = dataset_from_elements(
        explicit_element(0x0010, 0x0010, b"PN", b"Doe^John"),
        explicit_element(0x0018, 0x0050, b"DS", b"abc "),  # pydicom's to_json_dict raises
        explicit_element(0x0018, 0x0088, b"DS", b"1e999 "),  # infinity: no JSON number
        explicit_element(0x0020, 0x0013, b"IS", b"x1"),
        explicit_element(0x0028, 0x0030, b"DS", b"0.5\\0.5 "),
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = dicom_json(ds)

    json.dumps(model, allow_nan=False)
    assert model["00180050"] == {"vr": "DS"}
    assert model["00180088"] == {"vr": "DS"}
    assert model["00200013"] == {"vr": "IS"}
    assert model["00280030"] == {"vr": "DS", "Value": [0.5, 0.5]}
    assert Dataset.from_json(model).PatientName == "Doe^John"  # readers of the model accept it


def test_element_with_unparseable_value_is_carried_as_raw_bytes() -> None:
    # a US value must be a multiple of 2 bytes, a VR must exist: pydicom raises on access
    ds = dataset_from_elements(
        explicit_element(0x0008, 0x0060, b"CS", b"CT"),
        explicit_element(0x0028, 0x0010, b"US", b"\x01"),
        explicit_element(0x0028, 0x0011, b"ZZ", b"ab"),
    )

    model = dicom_json(ds)

    assert model["00080060"] == {"vr": "CS", "Value": ["CT"]}
    assert model["00280010"] == {"vr": "UN", "InlineBinary": "AQ=="}
    assert model["00280011"] == {"vr": "UN", "InlineBinary": "YWI="}
