"""A dataset as the DICOM JSON model of PS3.18 Annex F (`metadata=dicom-json`).

Keys are the 8 uppercase hex digits of the tag, each attribute `{"vr": ..., "Value": [...]}`:
person names as `{"Alphabetic", "Ideographic"?, "Phonetic"?}`, IS/DS and the binary numbers
as JSON numbers, AT as hex strings, sequences as lists of nested objects. Binary values (OB,
OD, OF, OL, OV, OW, UN) are carried inline as base64 `InlineBinary` only up to
`inline_binary_max` bytes; a larger one (Pixel Data among them) is sent as `{"vr": ...}` with
no value, which Annex F allows: a `BulkDataURI` would point at a URI this service does not
serve.

The file meta information (group 0002) is left out: Annex F models the data set, and the
meta group only says how this one file was encoded (the transfer syntax of the upload is not
a property of the instance).

Odd files never make this raise: each attribute is converted on its own, and one pydicom
cannot convert (an unparseable raw element, an invalid DS or IS string, a non-finite float
that JSON cannot carry) falls back to its raw bytes as UN, to no value (a DS or IS that is
no number), or to its values as strings (a non-finite FL or FD).
"""

import base64
import math
from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from dicom_core.errors import InvalidOptionError

BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})

Attribute = dict[str, Any]


def dicom_json(
    ds: Dataset, fields: list[str] | None = None, *, inline_binary_max: int = 1024
) -> dict[str, Attribute]:
    """Return `ds` as the DICOM JSON model; `fields` (keywords) keeps only those top-level
    attributes. A keyword absent from the file is absent from the result: in this model a
    key means the attribute is there."""
    return _dataset_json(ds, _selected_tags(ds, fields), inline_binary_max)


def _selected_tags(ds: Dataset, fields: list[str] | None) -> list[BaseTag]:
    if fields is None:
        return list(ds.keys())
    wanted = {_tag_of_keyword(keyword) for keyword in fields}
    return [tag for tag in ds.keys() if tag in wanted]


def _tag_of_keyword(keyword: str) -> int:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise InvalidOptionError(f"'{keyword}' is not a DICOM keyword.", field="fields")
    return tag


def _dataset_json(ds: Dataset, tags: list[BaseTag], inline_binary_max: int) -> dict[str, Attribute]:
    return {f"{tag:08X}": _attribute_json(ds, tag, inline_binary_max) for tag in tags}


def _attribute_json(ds: Dataset, tag: BaseTag, inline_binary_max: int) -> Attribute:
    try:
        elem = ds[tag]  # converts a raw element: a bad VR or value raises only here
    except Exception:
        return _raw_json(ds.get_item(tag), inline_binary_max)
    vr = _json_vr(elem)
    if vr == "SQ":
        items = [_dataset_json(item, list(item.keys()), inline_binary_max) for item in elem.value]
        return {"vr": "SQ", "Value": items}
    if vr in BINARY_VRS:
        return _binary_json(vr, elem.value, inline_binary_max)
    try:
        attribute = elem.to_json_dict(None, inline_binary_max)
    except Exception:  # e.g. an invalid DS string raises in pydicom's number conversion
        return _unconvertible_json(vr, elem)
    attribute["vr"] = vr
    if _has_non_finite_number(attribute):
        return _unconvertible_json(vr, elem)
    return attribute


def _json_vr(elem: DataElement) -> str:
    """One VR for an element pydicom left ambiguous ("US or SS or OW"): OW for bytes."""
    choices = str(elem.VR).split(" or ")
    if len(choices) == 1:
        return choices[0]
    if isinstance(elem.value, bytes | bytearray):
        return "OW" if "OW" in choices else choices[-1]
    return choices[0]


def _binary_json(vr: str, value: bytes | bytearray | None, inline_binary_max: int) -> Attribute:
    if not value or len(value) > inline_binary_max:
        return {"vr": vr}
    return {"vr": vr, "InlineBinary": base64.b64encode(value).decode("ascii")}


def _raw_json(raw: RawDataElement | DataElement, inline_binary_max: int) -> Attribute:
    """An element pydicom cannot convert: its undecoded bytes, as UN."""
    value = raw.value if isinstance(raw.value, bytes | bytearray) else None
    return _binary_json("UN", value, inline_binary_max)


def _unconvertible_json(vr: str, elem: DataElement) -> Attribute:
    """A DS or IS that is no number has no place in the model: a JSON string there is refused
    by its readers (pydicom's from_json among them), and so are its bytes as UN (they are
    converted back to DS). It is sent without a value; the flat metadata keeps its text."""
    return {"vr": vr} if vr in ("DS", "IS") else _strings_json(vr, elem)


def _strings_json(vr: str, elem: DataElement) -> Attribute:
    values = elem.value if elem.VM > 1 else [elem.value]
    strings = [str(value) for value in values if value is not None and value != ""]
    return {"vr": vr, "Value": strings} if strings else {"vr": vr}


def _has_non_finite_number(attribute: Attribute) -> bool:
    """NaN and infinities have no JSON number."""
    values = attribute.get("Value", [])
    return any(isinstance(value, float) and not math.isfinite(value) for value in values)
