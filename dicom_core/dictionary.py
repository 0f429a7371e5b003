"""The DICOM keyword dictionary (pydicom's datadict): keywords, their Python types, filters.

Everything here is computed once and cached: the dictionary does not change while the
process runs, so a request for the keyword list costs a cache lookup.
"""

from collections.abc import Sequence
from functools import lru_cache

import re2
from pydicom.datadict import DicomDictionary

from dicom_core.errors import InvalidOptionError

# The edition of the DICOM standard (PS3.6) that pydicom 3.0's dictionary was generated from
# (pydicom 3.0.0 release notes: "DICOM dictionary updated to 2023d"). Check it again when
# pydicom moves past 3.0 (3.1 ships 2024d); tests/dicom_core/test_dictionary.py guards the pairing.
DICOM_VERSION = "2023d"

MAX_REGEX_LENGTH = 200
_REGEX_MAX_MEM = 8 * 1024 * 1024  # RE2's memory budget for one compiled pattern

# Python type of one value, by VR. A VR listed as alternatives ("US or SS", "OB or OW",
# "US or SS or OW") takes the type of the first alternative. AT is a tag, shown as the
# string "(gggg,eeee)" (as the read endpoint returns it). Item and the two delimiters
# (VR "NONE") carry raw encoded bytes, so "bytes".
_TEXT_VRS = frozenset("AE AS AT CS DA DT LO LT PN SH ST TM UC UI UR UT".split())
_INT_VRS = frozenset("IS SL SS SV UL US UV".split())
_FLOAT_VRS = frozenset("DS FD FL".split())
_BYTES_VRS = frozenset("OB OD OF OL OV OW UN NONE".split())
_SCALAR_TYPE_BY_VR = (
    {vr: "str" for vr in _TEXT_VRS}
    | {vr: "int" for vr in _INT_VRS}
    | {vr: "float" for vr in _FLOAT_VRS}
    | {vr: "bytes" for vr in _BYTES_VRS}
)


def format_tag(tag: int) -> str:
    """'(GGGG,EEEE)', upper-case hexadecimal as PS3.6 and pydicom 3 write tags."""
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def python_type(vr: str, vm: str) -> str:
    """The Python type a value of this VR and VM takes: a scalar for VM 1, a list otherwise."""
    if vr == "SQ":
        return "list[dict]"
    scalar = _SCALAR_TYPE_BY_VR[vr.split(" or ")[0]]
    if vm == "1" or scalar == "bytes":
        return scalar
    return f"list[{scalar}]"


@lru_cache(maxsize=1)
def _entries_by_keyword() -> dict[str, tuple[int, tuple[str, str, str, str, str]]]:
    """keyword -> (tag, (VR, VM, name, retired, keyword)) in tag order; unnamed entries left out."""
    return {
        entry[4]: (tag, entry)
        for tag, entry in sorted(DicomDictionary.items())
        if entry[4]
    }


@lru_cache(maxsize=1)
def _all_keywords() -> tuple[str, ...]:
    return tuple(_entries_by_keyword())


def all_keywords() -> list[str]:
    """Every keyword of the standard dictionary (retired ones included) in tag order."""
    return list(_all_keywords())


def is_keyword(keyword: str) -> bool:
    return keyword in _entries_by_keyword()


def keyword_python_type(keyword: str) -> str:
    _, (vr, vm, *_rest) = _entries_by_keyword()[keyword]
    return python_type(vr, vm)


def keyword_detail(keyword: str) -> dict:
    """{"type", "vr", "vm", "tag", "name", "retired"} of one keyword (KeyError if unknown)."""
    tag, (vr, vm, name, retired, _) = _entries_by_keyword()[keyword]
    return {
        "type": python_type(vr, vm),
        "vr": vr,
        "vm": vm,
        "tag": format_tag(tag),
        "name": name,
        "retired": retired == "Retired",
    }


@lru_cache(maxsize=1)
def all_keyword_types() -> dict[str, str]:
    return {keyword: keyword_python_type(keyword) for keyword in _all_keywords()}


@lru_cache(maxsize=1)
def all_keyword_details() -> dict[str, dict]:
    return {keyword: keyword_detail(keyword) for keyword in _all_keywords()}


def compile_regex(pattern: str, *, ignore_case: bool = False, field: str = "fields__regex") -> re2._Regexp:
    """An RE2 pattern (linear time, no backtracking); InvalidOptionError naming `field` if refused."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise InvalidOptionError(
            f"The regular expression is longer than {MAX_REGEX_LENGTH} characters.", field=field
        )
    return _compile_regex(pattern, ignore_case, field)


@lru_cache(maxsize=256)
def _compile_regex(pattern: str, ignore_case: bool, field: str) -> re2._Regexp:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False  # RE2 would print the refused pattern on stderr
    options.max_mem = _REGEX_MAX_MEM
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise InvalidOptionError(
            f"Invalid regular expression ({reason}); backreferences and lookarounds are not supported.",
            field=field,
        ) from None


def filter_keywords(
    keywords: Sequence[str],
    *,
    contains: str | None = None,
    startswith: str | None = None,
    endswith: str | None = None,
    regex: str | None = None,
    icontains: str | None = None,
    istartswith: str | None = None,
    iendswith: str | None = None,
    iregex: str | None = None,
) -> list[str]:
    """The keywords that pass every given filter (AND), in their given order.

    Plain filters are case-sensitive, the i- ones are not; regexes match anywhere in the
    keyword (search, as Django's __regex lookup). InvalidOptionError(field="fields__regex"
    or "fields__iregex") for a refused pattern.
    """
    return list(
        _filter_cached(
            tuple(keywords), contains, startswith, endswith, regex, icontains, istartswith, iendswith, iregex
        )
    )


@lru_cache(maxsize=256)
def _filter_cached(
    keywords: tuple[str, ...],
    contains: str | None,
    startswith: str | None,
    endswith: str | None,
    regex: str | None,
    icontains: str | None,
    istartswith: str | None,
    iendswith: str | None,
    iregex: str | None,
) -> tuple[str, ...]:
    tests = []
    if contains is not None:
        tests.append(lambda keyword: contains in keyword)
    if startswith is not None:
        tests.append(lambda keyword: keyword.startswith(startswith))
    if endswith is not None:
        tests.append(lambda keyword: keyword.endswith(endswith))
    if icontains is not None:
        tests.append(lambda keyword: icontains.casefold() in keyword.casefold())
    if istartswith is not None:
        tests.append(lambda keyword: keyword.casefold().startswith(istartswith.casefold()))
    if iendswith is not None:
        tests.append(lambda keyword: keyword.casefold().endswith(iendswith.casefold()))
    if regex is not None:
        tests.append(compile_regex(regex).search)
    if iregex is not None:
        tests.append(compile_regex(iregex, ignore_case=True, field="fields__iregex").search)
    return tuple(keyword for keyword in keywords if all(test(keyword) for test in tests))
