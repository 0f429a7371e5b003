"""Every row of PS3.15 Table E.3.10-1 (read from the shipped safe_private_table.json, not listed
here), at the top level and inside a nested sequence: kept with its Private Creator under the
Retain Safe Private Option, removed without it; the private elements beside it that the table
does not vouch for are removed either way."""

import json

import pytest
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from dicom_core.deidentify import DeidentifyOptions, deidentify
from dicom_core.deidentify.profile import SAFE_PRIVATE_PATH, safe_private_attributes
from tests.dicom_core.deidentify.test_profile_table import CONTAINER, sample_value

SAFE_ROWS = json.loads(SAFE_PRIVATE_PATH.read_text())["attributes"]
RETAIN_PRIVATE = DeidentifyOptions(options=frozenset({"retain-private"}))
UNLISTED_CREATOR = "ACME 1.0"
# the table's VR column -> one VR to write a sample with ("" where the standard gives none)
SAMPLE_VR = {"": "UN", "OW/OB": "OB"}
SAFE_BLOCK, UNLISTED_BLOCK = 0x10, 0x11


def group_and_offset(row: dict) -> tuple[int, int]:
    return int(row["tag"][1:5], 16), int(row["tag"][8:10], 16)


def unlisted_offset(creator: str, group: int) -> int:
    """An element of the creator's block that the table does not list as safe."""
    return next(offset for offset in range(0x100) if (creator, group, offset) not in safe_private_attributes())


def private_block(ds: Dataset, group: int, block: int, creator: str, offset: int, vr: str, value) -> None:
    ds.add_new(group << 16 | block, "LO", creator)
    ds.add_new(group << 16 | block << 8 | offset, vr, value)


def holder(row: dict, creator: str) -> Dataset:
    """The row's element under `creator`, an unlisted element of the same block, and the same
    element under a creator the table does not list."""
    group, offset = group_and_offset(row)
    vr = SAMPLE_VR.get(row["vr"], row["vr"])
    value = sample_value(group << 16 | SAFE_BLOCK << 8 | offset, vr, offset)
    ds = Dataset()
    private_block(ds, group, SAFE_BLOCK, creator, offset, vr, value)
    ds.add_new(group << 16 | SAFE_BLOCK << 8 | unlisted_offset(row["creator"], group), "LO", "Doe^John")
    private_block(ds, group, UNLISTED_BLOCK, UNLISTED_CREATOR, offset, vr, value)
    return ds


def dataset_holding(row: dict, creator: str) -> Dataset:
    ds = holder(row, creator)
    ds.PatientName = "Doe^John"
    ds.add_new(Tag(CONTAINER), "SQ", [holder(row, creator)])
    return ds


def private_tags(ds: Dataset) -> set[int]:
    return {int(elem.tag) for elem in ds if elem.tag.is_private}


def check_only_the_safe_element_kept(result: Dataset, original: Dataset, row: dict) -> None:
    group, offset = group_and_offset(row)
    creator_tag, safe_tag = group << 16 | SAFE_BLOCK, group << 16 | SAFE_BLOCK << 8 | offset
    assert private_tags(result) == {creator_tag, safe_tag}
    assert result[creator_tag].value == original[creator_tag].value
    if result[safe_tag].VR == "SQ":  # kept; its items still go through the profile
        assert len(result[safe_tag].value) == len(original[safe_tag].value)
    else:
        assert result[safe_tag].value == original[safe_tag].value


@pytest.mark.parametrize("row", SAFE_ROWS, ids=lambda row: f"{row['creator']}{row['tag']}")
def test_each_safe_private_attribute_is_kept_only_with_the_option(row):
    original = dataset_holding(row, row["creator"])

    kept = deidentify(original, RETAIN_PRIVATE, {})
    removed = deidentify(original, DeidentifyOptions(), {})

    check_only_the_safe_element_kept(kept, original, row)
    check_only_the_safe_element_kept(kept[CONTAINER].value[0], original[CONTAINER].value[0], row)
    assert not private_tags(removed) and not private_tags(removed[CONTAINER].value[0])
    assert [item.CodeValue for item in kept.DeidentificationMethodCodeSequence] == ["113100", "113111"]


def test_the_table_is_the_standards_shape():
    assert len(SAFE_ROWS) == len(safe_private_attributes()) == 479
    assert all(group % 2 == 1 for _, group, _ in safe_private_attributes())


def test_the_creator_matches_with_its_padding_ignored():
    row = SAFE_ROWS[0]
    original = dataset_holding(row, f" {row['creator']}  ")

    check_only_the_safe_element_kept(deidentify(original, RETAIN_PRIVATE, {}), original, row)


def test_the_creator_matches_case_sensitively():
    row = next(row for row in SAFE_ROWS if row["creator"] != row["creator"].upper())
    original = dataset_holding(row, row["creator"].upper())

    assert not private_tags(deidentify(original, RETAIN_PRIVATE, {}))


def test_a_listed_element_without_its_creator_is_removed():
    group, offset = group_and_offset(SAFE_ROWS[0])
    ds = Dataset()
    ds.add_new(group << 16 | SAFE_BLOCK << 8 | offset, "DS", "1.5")

    assert not private_tags(deidentify(ds, RETAIN_PRIVATE, {}))
