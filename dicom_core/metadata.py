"""A dataset as the flat JSON object of the usage guide: keyword -> value as a string.

- a value is pydicom's str of it: "[20, 53, 77]" for several values, "(0018,1063)" for a
  tag (AT), the name for PN; an empty value is "";
- a sequence is a list of such objects, one per item;
- an element without a keyword (private, unknown, or a repeated group whose keyword is
  already taken) is keyed by its tag "(GGGG,EEEE)";
- binary values (OB, OW, UN, ..., Pixel Data in any VR) longer than PREVIEW_BYTES are a
  truncated preview, as in the guide's "b'\\xfe\\xff\\x00\\xe0...."; never megabytes;
- the file meta information (group 0002) is left out, as in the guide's example, unless
  `fields` asks for one of its keywords;
- a value pydicom cannot turn into a string gives its raw text, never an exception.
"""

from functools import lru_cache

from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset

from dicom_core.dictionary import format_tag, is_keyword
from dicom_core.errors import InvalidOptionError
from dicom_core.reading import character_set_of, plain_text

PREVIEW_BYTES = 64
_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW", "US or SS or OW"})
_PIXEL_DATA_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})
FILE_META_GROUP = 0x0002


def parse_fields(text: str | None) -> list[str] | None:
    """'PatientName, StudyDate,,' -> ['PatientName', 'StudyDate']; None when nothing is named."""
    fields = [field.strip() for field in (text or "").split(",")]
    fields = [field for field in fields if field]
    return fields or None


def validate_fields(fields: list[str]) -> list[str]:
    """The fields without repeats, in the order given; InvalidOptionError naming an unknown keyword."""
    for field in fields:
        if not is_keyword(field):
            raise InvalidOptionError(f"Unknown DICOM keyword in fields: {field!r}.", field="fields")
    return list(dict.fromkeys(fields))


def flat_metadata(dataset: Dataset, fields: list[str] | None = None) -> dict:
    """The dataset's elements (or only `fields`, each None when absent) in the guide's flat form."""
    if fields is None:
        return flatten(dataset)
    return {keyword: flat_field(dataset, keyword) for keyword in fields}


def flat_field(dataset: Dataset, keyword: str) -> str | list | None:
    for source in (dataset, getattr(dataset, "file_meta", None) or Dataset()):
        if keyword in source:
            return flat_value(source[keyword])
    return None


def flatten(dataset: Dataset) -> dict:
    flat: dict = {}
    character_set = character_set_of(dataset)
    # elements() skips the per-element lookups of iterating the dataset; reading.read_dataset
    # has converted every element already but the plain text ones, whose string plain_text
    # gives (any other raw one left is converted as iterating would).
    for element in dataset.elements():
        if element.tag >> 16 == FILE_META_GROUP:
            continue
        keyword = cached_keyword(element.tag)  # repeating groups (60xx overlays) have keywords too
        key = keyword if keyword and keyword not in flat else format_tag(element.tag)
        if isinstance(element, RawDataElement):
            text = plain_text(element, character_set)
            if text is not None:
                flat[key] = text
                continue
            element = dataset[element.tag]
        flat[key] = flat_value(element)
    return flat


@lru_cache(maxsize=8192)
def cached_keyword(tag: int) -> str:
    """The dictionary's keyword of a tag ("" for none): a bounded cache of the dictionary only."""
    return keyword_for_tag(tag)


def flat_value(element: DataElement) -> str | list:
    if element.VR == "SQ":
        return [flatten(item) for item in element.value]
    value = element.value
    if value is None:
        return ""
    if element.VR in _BINARY_VRS or element.tag in _PIXEL_DATA_TAGS or isinstance(value, bytes):
        return binary_preview(value)
    try:
        return str(value)
    except Exception:  # a value pydicom cannot render: show what the file holds
        return raw_text(value)


def binary_preview(value) -> str:
    """str of the bytes, cut after PREVIEW_BYTES with '....' saying there is more."""
    if not isinstance(value, (bytes, bytearray)):
        return str(value)  # e.g. an OW read as a list of ints: already short or a MultiValue
    if len(value) <= PREVIEW_BYTES:
        return str(bytes(value))
    return str(bytes(value[:PREVIEW_BYTES]))[:-1] + "...."


def raw_text(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return repr(value)
