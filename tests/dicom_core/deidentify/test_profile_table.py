"""Every attribute of PS3.15 Table E.1-1 (read from the shipped table, not listed here), under
the Basic Profile and each option, at the top level and inside a nested sequence: it comes
out as the table's action says."""

import json

import pytest
from pydicom.datadict import dictionary_has_tag, dictionary_VR
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from dicom_core.deidentify import OPTION_CODES, DeidentifyOptions, deidentify, profile_table
from dicom_core.deidentify.profile import TABLE_PATH, resolve

TABLE = profile_table()
ROWS = json.loads(TABLE_PATH.read_text())["attributes"]
OPTION_SETS = [frozenset()] + [frozenset({name}) for name in OPTION_CODES]
CONTAINER = "DerivationCodeSequence"  # a sequence the table does not list: kept, its items processed
IDENTIFYING_NAME = "Doe^John"  # PatientName: emptied, so a cleaned text must not repeat it
SAMPLE_TEXT = {"CS": "DOE SAMPLE", "AE": "DOE", "PN": "Doe^Sample"}
SAMPLE_BY_VR = {
    "DA": "20010203", "TM": "040506", "DT": "20010203040506", "AS": "042Y", "DS": "1.5", "IS": "7",
    "UR": "http://doe.example", "AT": 0x00100020,
    **dict.fromkeys(("US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"), 7),
    **dict.fromkeys(("OB", "OW", "UN", "OF", "OL", "OD", "OV"), bytes(range(8))),
}


def example_tag(row: dict) -> int:
    """The attribute's tag; a repeating group (50XX, 60XX) takes its group's second instance."""
    text = row["tag"].strip("()").replace(",", "")
    return int(text.replace("XX", "02", 1).replace("X", "0"), 16) if "X" in text else int(text, 16)


def sample_value(tag: int, vr: str, serial: int):
    if vr == "SQ":
        item = Dataset()
        item.CodeValue = "DOE1"
        item.CodeMeaning = "Doe John"
        return [item]
    if vr == "UI":
        return f"1.2.826.0.1.3680043.10.1.{serial}"
    if vr in SAMPLE_BY_VR:
        return SAMPLE_BY_VR[vr]
    return SAMPLE_TEXT.get(vr, "Doe seen")  # text that holds the patient's name


def dataset_with(tag: int, vr: str, value) -> Dataset:
    ds = Dataset()
    ds.PatientName = IDENTIFYING_NAME
    ds.add_new(tag, vr, value)
    container_item = Dataset()
    container_item.add_new(tag, vr, value)
    ds.add_new(Tag(CONTAINER), "SQ", [container_item])
    return ds


def check(element_holder: Dataset, tag: int, original, action: str, uid_map: dict) -> None:
    if action == "X":
        assert tag not in element_holder
        return
    elem = element_holder[tag]
    if action == "Z":
        assert elem.is_empty
    elif action == "K":
        assert elem.value == original
    elif action == "U":
        assert elem.value == uid_map[original] != original
    elif action == "D":
        assert not elem.is_empty
        if elem.VR == "SQ":
            assert all(item.CodeValue != "DOE1" and item.CodeMeaning != "Doe John" for item in elem.value)
        else:
            assert elem.value != original
    elif action == "C":
        if elem.VR == "SQ":
            assert elem.value[0].CodeValue == "DOE1"  # the items are kept, and processed by the table
        else:
            assert "doe" not in str(elem.value).lower()


def test_the_table_is_the_standards_shape():
    assert len(ROWS) > 600
    assert {row["basic"] for row in ROWS} <= {"D", "Z", "X", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"}
    assert set(TABLE.options) == set(OPTION_CODES)
    assert TABLE.action(Tag(CONTAINER), frozenset(OPTION_CODES)) == "K"


@pytest.mark.parametrize("row", [row for row in ROWS if row["tag"] != "private"], ids=lambda row: row["tag"])
def test_attribute_comes_out_as_its_action_says(row):
    tag = example_tag(row)
    vr = dictionary_VR(tag).split(" or ")[0] if dictionary_has_tag(tag) else "LO"  # newer than pydicom's dictionary
    for serial, options in enumerate(OPTION_SETS):
        original = sample_value(tag, vr, serial)
        uid_map: dict[str, str] = {}
        action = resolve(TABLE.row(Tag(tag)), options)

        result = deidentify(dataset_with(tag, vr, original), DeidentifyOptions(options=options), uid_map)

        check(result, tag, original, action, uid_map)
        check(result[CONTAINER].value[0], tag, original, action, uid_map)


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda options: ",".join(options) or "basic")
def test_private_attributes_are_removed_at_every_depth(options):
    ds = Dataset()
    ds.add_new(0x00090010, "LO", "ACME 1.0")
    ds.add_new(0x00091001, "LO", "Doe^John")
    item = Dataset()
    item.add_new(0x00110010, "LO", "ACME 1.0")
    item.add_new(0x00111001, "LO", "Doe^John")
    ds.add_new(Tag(CONTAINER), "SQ", [item])

    result = deidentify(ds, DeidentifyOptions(options=options), {})

    assert not any(elem.tag.is_private for elem in result) and not any(elem.tag.is_private for elem in result[CONTAINER].value[0])


def test_options_that_retain_win_over_the_basic_profile():
    study_date = TABLE.row(Tag("StudyDate"))
    device_uid = TABLE.row(Tag("DeviceUID"))

    assert resolve(study_date, frozenset()) in ("X", "Z", "D")
    assert resolve(study_date, frozenset({"retain-dates"})) == "K"
    assert resolve(device_uid, frozenset()) == "U"
    assert resolve(device_uid, frozenset({"retain-uids"})) == resolve(device_uid, frozenset({"retain-device-identity"})) == "K"


@pytest.mark.parametrize("name", OPTION_CODES)
def test_each_option_is_named_by_its_cid_7050_code(name):
    result = deidentify(Dataset(), DeidentifyOptions(options=frozenset({name})), {})

    codes = [(item.CodeValue, item.CodingSchemeDesignator) for item in result.DeidentificationMethodCodeSequence]
    assert codes[0] == ("113100", "DCM")
    assert OPTION_CODES[name].value in {"113105", "113106", "113108", "113109", "113110", "113111", "113112"}
    assert codes[1] == (OPTION_CODES[name].value, "DCM")
    assert list(result.DeidentificationMethod)[1] == OPTION_CODES[name].meaning
    assert result.PatientIdentityRemoved == "YES"
