"""De-identification of a whole dataset by PS3.15 Table E.1-1 (see profile.py for the table).

The caller's dataset is never changed: `deidentify` returns a de-identified copy (pixel data
bytes are shared, not copied: they are immutable and the profile leaves them alone).

How each action is carried out, at the top level and in every sequence item at any depth:
- X removes the attribute; Z leaves it with an empty value (a sequence with no items);
- D puts a dummy value of its VR ("ANONYMIZED", 19000101, 0...); in a sequence every value of
  every item is replaced so, but code strings (enumerated terms such as an SR item's Value
  Type, without which the item is invalid);
- U replaces each UID by a new one, the same new one for the same old one throughout the
  caller's `uid_map` (one request), so the files of a zip still make one study and series and
  their references (Referenced SOP Instance UID...) point at the new UIDs;
- K keeps the attribute (a sequence is processed item by item);
- C (an option's "clean") keeps a text value with every identifying value of the original
  dataset (the values of what the profile removes or replaces: names, IDs, dates, UIDs...)
  blanked out of it; a sequence is processed item by item.
Attributes the table does not list are kept, except what is left of an overlay whose Overlay Data
the table removed (its module would be invalid). Private attributes (the table's "private" row)
and group lengths (stale once values change) are removed everywhere; an element pydicom
cannot read is removed, since what cannot be read cannot be checked. With `retain-private`, a
private attribute that Table E.3.10-1 lists for its block's Private Creator is kept as it is
(the table vouches for its value, UIDs and text included; a sequence's items still go through
the profile), and so is that Private Creator element.
"""

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.tag import BaseTag
from pydicom.uid import generate_uid

from dicom_core.deidentify.profile import ProfileTable, profile_table, safe_private_attributes
from dicom_core.errors import InvalidOptionError

# the option's name in the API -> its code in CID 7050 (pydicom's copy of PS3.16)
OPTION_CODES = {
    "retain-dates": codes.DCM.RetainLongitudinalTemporalInformationFullDatesOption,
    "retain-patient-characteristics": codes.DCM.RetainPatientCharacteristicsOption,
    "retain-device-identity": codes.DCM.RetainDeviceIdentityOption,
    "retain-institution-identity": codes.DCM.RetainInstitutionIdentityOption,
    "retain-uids": codes.DCM.RetainUidsOption,
    "retain-private": codes.DCM.RetainSafePrivateOption,
    "clean-descriptors": codes.DCM.CleanDescriptorsOption,
}
BASIC_PROFILE_CODE = codes.DCM.BasicApplicationConfidentialityProfile

_TEXT_DUMMY = "ANONYMIZED"
_DUMMIES_BY_VR: dict[str, object] = {
    **dict.fromkeys(("AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"), _TEXT_DUMMY),
    "UR": "http://anonymized.invalid",
    "AS": "000Y",
    "DA": "19000101",
    "DT": "19000101000000",
    "TM": "000000",
    **dict.fromkeys(("DS", "IS"), "0"),
    **dict.fromkeys(("AT", "FD", "FL", "SL", "SS", "SV", "UL", "US", "UV"), 0),
    **dict.fromkeys(("OB", "OD", "OF", "OL", "OV", "OW", "UN"), bytes(8)),  # fits every width
}
TEXT_VRS = frozenset(("AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"))
# Shorter values would blank out ordinary words and numbers by chance.
MIN_IDENTIFYING_CHARS = 3
_BLANK = "***"


@dataclass(frozen=True)
class DeidentifyOptions:
    options: frozenset[str] = frozenset()  # names from OPTION_CODES
    patient_id: str | None = None  # set instead of the profile's empty/dummy value
    patient_name: str | None = None
    allow_burned_in: bool = False  # BurnedInAnnotation YES is refused unless this is set


@dataclass
class _Run:
    table: ProfileTable
    options: frozenset[str]
    uid_map: dict[str, str]
    clean: Callable[[str], str] = field(default=lambda text: text)


def parse_profile_options(text: str | None) -> frozenset[str]:
    """"retain-dates,clean-descriptors" -> the option names; an unknown one is a 400."""
    names = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    for name in sorted(names):
        if name not in OPTION_CODES:
            raise InvalidOptionError(f"Unknown de-identification option {name!r}; known: {', '.join(OPTION_CODES)}.", field="options")
    return names


def has_burned_in_annotation(ds: Dataset) -> bool:
    return str(ds.get("BurnedInAnnotation", "")).strip().upper() == "YES"


def check_burned_in_annotation(ds: Dataset, options: DeidentifyOptions) -> None:
    if has_burned_in_annotation(ds) and not options.allow_burned_in:
        raise InvalidOptionError(
            "The image has burned-in annotation (BurnedInAnnotation YES), which the profile leaves in the pixels; "
            "send allow_burned_in=true to de-identify its attributes anyway.",
            field="allow_burned_in",
        )


def deidentify(ds: Dataset, options: DeidentifyOptions, uid_map: dict[str, str]) -> Dataset:
    """A de-identified copy of `ds`; `uid_map` (old UID -> new UID) is shared by all the
    datasets of one request and grows with each. Raises InvalidOptionError for burned-in
    annotation that was not allowed."""
    check_burned_in_annotation(ds, options)
    run = _Run(profile_table(), options.options, uid_map)
    if "clean-descriptors" in options.options or "retain-patient-characteristics" in options.options:
        run.clean = text_cleaner(identifying_values(ds, run))
    result = copy.deepcopy(ds)
    _apply_profile(result, run)
    file_meta = getattr(result, "file_meta", None)
    if file_meta is not None:
        _apply_profile(file_meta, run)
    if options.patient_id is not None:
        result.PatientID = options.patient_id
    if options.patient_name is not None:
        result.PatientName = options.patient_name
    methods = [BASIC_PROFILE_CODE] + [OPTION_CODES[name] for name in sorted(options.options)]
    result.PatientIdentityRemoved = "YES"
    result.DeidentificationMethod = [code.meaning for code in methods]
    result.DeidentificationMethodCodeSequence = [_code_item(code) for code in methods]
    return result


def _apply_profile(ds: Dataset, run: _Run) -> None:
    safe_private = _safe_private_tags(ds, run)
    for elem in _readable_elements(ds, safe_private):
        _ACTION_FUNCTIONS[_action(elem.tag, run, safe_private)](ds, elem, run)
    _remove_overlays_without_data(ds)


def _action(tag: BaseTag, run: _Run, safe_private: set[BaseTag]) -> str:
    if tag.is_private:
        return "K" if tag in safe_private else "X"
    return run.table.action(tag, run.options)


def _safe_private_tags(ds: Dataset, run: _Run) -> set[BaseTag]:
    """With retain-private: the private elements of `ds` (this level only) that Table E.3.10-1
    lists for their block's Private Creator, and those Private Creator elements."""
    if "retain-private" not in run.options:
        return set()
    table = safe_private_attributes()
    safe: set[BaseTag] = set()
    for tag in ds.keys():
        if not tag.is_private or tag.element < 0x1000:  # creators (gggg,0010-00FF) go with their elements
            continue
        creator_tag = BaseTag(tag.group << 16 | tag.element >> 8)
        try:
            creator = ds[creator_tag].value if creator_tag in ds else None
        except Exception:  # a bad VR or length raises only when read, as anything: an unreadable creator vouches for nothing
            continue
        # Private Creator is an LO: leading and trailing spaces are padding, case is significant
        if isinstance(creator, str) and (creator.strip(), tag.group, tag.element & 0xFF) in table:
            safe.update((tag, creator_tag))
    return safe


def _remove_overlays_without_data(ds: Dataset) -> None:
    """The table removes Overlay Data (60xx,3000); the rest of its Overlay Plane module (a Type 1
    attribute gone) would make the module invalid, so the overlay's group goes with it."""
    groups = {tag.group for tag in ds.keys() if 0x6000 <= tag.group <= 0x601E and tag.group % 2 == 0}
    for group in groups:
        if (group << 16 | 0x3000) not in ds:
            for tag in [tag for tag in ds.keys() if tag.group == group]:
                del ds[tag]


def _readable_elements(ds: Dataset, safe_private: set[BaseTag]) -> list[DataElement]:
    """The elements to act on; private ones but the safe ones, group lengths and unreadable ones
    are removed."""
    elements = []
    for tag in list(ds.keys()):
        if (tag.is_private and tag not in safe_private) or (tag.element == 0 and tag.group != 0x0002):
            del ds[tag]
            continue
        try:
            elements.append(ds[tag])
        except Exception:  # a bad VR or length raises only when the element is read, as anything
            del ds[tag]
    return elements


def _keep(ds: Dataset, elem: DataElement, run: _Run) -> None:
    if elem.VR == "SQ":
        for item in elem.value:
            _apply_profile(item, run)


def _remove(ds: Dataset, elem: DataElement, run: _Run) -> None:
    del ds[elem.tag]


def _empty(ds: Dataset, elem: DataElement, run: _Run) -> None:
    elem.value = elem.empty_value


def _replace_uids(ds: Dataset, elem: DataElement, run: _Run) -> None:
    if elem.VM > 1:
        elem.value = [_new_uid(str(uid), run.uid_map) for uid in elem.value]
    elif not elem.is_empty:
        elem.value = _new_uid(str(elem.value), run.uid_map)


def _dummy(ds: Dataset, elem: DataElement, run: _Run) -> None:
    vr = str(elem.VR).split(" or ")[0]  # an ambiguous VR ("US or SS") takes its first choice
    if vr == "SQ":
        for item in elem.value:
            for inner in _readable_elements(item, set()):
                if inner.VR != "CS":  # enumerated terms (an SR item's Value Type) say what the item is, not who
                    _dummy(item, inner, run)
    elif vr == "UI":
        _replace_uids(ds, elem, run)
    elif vr in _DUMMIES_BY_VR:
        elem.value = _DUMMIES_BY_VR[vr]
    else:
        del ds[elem.tag]  # no VR known to dummy: removing it is what the profile allows


def _clean(ds: Dataset, elem: DataElement, run: _Run) -> None:
    if elem.VR == "SQ":
        _keep(ds, elem, run)
    elif elem.VR in TEXT_VRS and not elem.is_empty:
        values = [str(value) for value in (elem.value if elem.VM > 1 else [elem.value])]
        cleaned = [run.clean(value) for value in values]
        elem.value = cleaned if elem.VM > 1 else cleaned[0]
    else:  # no text to clean (a C on a number or a date): nothing can show it safe
        _dummy(ds, elem, run)


_ACTION_FUNCTIONS: dict[str, Callable[[Dataset, DataElement, _Run], None]] = {
    "K": _keep,
    "X": _remove,
    "Z": _empty,
    "U": _replace_uids,
    "D": _dummy,
    "C": _clean,
}


def identifying_values(ds: Dataset, run: _Run) -> set[str]:
    """The text of every attribute the profile (with these options) removes or replaces, at any
    depth: what a cleaned descriptor must not repeat. Person names also by component."""
    found: set[str] = set()
    safe_private = _safe_private_tags(ds, run)
    for tag in list(ds.keys()):
        try:
            elem = ds[tag]
        except Exception:  # unreadable: removed by the profile, nothing to learn from it
            continue
        action = _action(elem.tag, run, safe_private)
        if elem.VR == "SQ":
            for item in elem.value:
                found |= identifying_values(item, run)
            continue
        if action in ("K", "C") or elem.is_empty or isinstance(elem.value, bytes):
            continue
        for value in elem.value if elem.VM > 1 else [elem.value]:
            text = str(value)
            found.add(text)
            if elem.VR == "PN":
                found.update(re.split(r"[\^=]", text))
    return {value.strip() for value in found if len(value.strip()) >= MIN_IDENTIFYING_CHARS}


def text_cleaner(values: set[str]) -> Callable[[str], str]:
    if not values:
        return lambda text: text
    # longest first, so that a full name is blanked before its parts
    pattern = re.compile("|".join(re.escape(value) for value in sorted(values, key=len, reverse=True)), re.IGNORECASE)
    return lambda text: pattern.sub(_BLANK, text)


def _new_uid(uid: str, uid_map: dict[str, str]) -> str:
    if uid not in uid_map:
        uid_map[uid] = generate_uid(prefix=None)  # 2.25.<random UUID>: no link to the old UID
    return uid_map[uid]


def _code_item(code) -> Dataset:
    item = Dataset()
    item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme_designator
    item.CodeMeaning = code.meaning
    return item
