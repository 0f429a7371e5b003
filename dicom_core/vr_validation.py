"""Check a text value against the rules of its DICOM Value Representation (PS3.5 6.2).

A form field arrives as one string; `parse_value` checks it for its VR and VM and returns
what pydicom should store. Any violation raises `ValueError` with a reason a developer can
act on (the caller names the field).
"""

import math
import re
import sys
from datetime import date

# VRs whose value is one text that may contain backslashes (PS3.5 6.2: VM is always 1).
SINGLE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UR"})
# VRs whose characters may come from any repertoire (UTF-8 with ISO_IR 192).
EXTENDED_REPERTOIRE_VRS = frozenset({"LO", "SH", "PN", "LT", "ST", "UT", "UC"})
# Text VRs in which CR, LF and FF are allowed (PS3.5 6.1.3).
FORMATTED_TEXT_VRS = frozenset({"LT", "ST", "UT"})

MAX_CHARS = {
    "AE": 16, "CS": 16, "SH": 16, "LO": 64, "ST": 1024, "LT": 10240,
    "UC": 2**32 - 2, "UT": 2**32 - 2, "UR": 2**32 - 2,
}
INTEGER_RANGES = {
    "US": (0, 2**16 - 1), "SS": (-(2**15), 2**15 - 1),
    "UL": (0, 2**32 - 1), "SL": (-(2**31), 2**31 - 1),
    "UV": (0, 2**64 - 1), "SV": (-(2**63), 2**63 - 1),
    "IS": (-(2**31), 2**31 - 1),
}
FLOAT_MAX = {"FL": 3.4028234663852886e38, "FD": sys.float_info.max}

AS_PATTERN = re.compile(r"\d{3}[DWMY]")
CS_PATTERN = re.compile(r"[A-Z0-9 _]*")
DS_PATTERN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
IS_PATTERN = re.compile(r"[+-]?\d+")
UI_PATTERN = re.compile(r"(0|[1-9]\d*)(\.(0|[1-9]\d*))*")
DA_PATTERN = re.compile(r"(\d{4})(\d{2})(\d{2})")
TM_PATTERN = re.compile(r"(\d{2})((\d{2})((\d{2})(\.\d{1,6})?)?)?")
DT_PATTERN = re.compile(
    r"(\d{4})((\d{2})((\d{2})((\d{2})((\d{2})((\d{2})(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?"
)
AT_PATTERN = re.compile(r"\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?")
URI_PATTERN = re.compile(r"[!-~]*")  # printable ASCII without spaces (RFC 3986 characters)


def parse_value(vr: str, vm: str, text: str) -> object:
    """Check `text` for `vr` and `vm` (as pydicom's dictionary spells them); return the
    value to store: a str/int/float, a list of them when several, or None when empty."""
    if text == "":
        return None
    parts = [text] if vr in SINGLE_TEXT_VRS else text.split("\\")
    check_multiplicity(vm, len(parts))
    values = [parse_single(vr, part) for part in parts]
    return values[0] if len(values) == 1 else values


def check_multiplicity(vm: str, count: int) -> None:
    """Raise unless `count` values are allowed by a VM such as "1", "1-3", "2-2n", "1-n"."""
    low_text, _, high_text = vm.partition("-")
    low = int(low_text)
    if not high_text:
        allowed = count == low
    elif high_text.endswith("n"):
        step = int(high_text[:-1] or 1)
        allowed = count >= low and count % step == 0
    else:
        allowed = low <= count <= int(high_text)
    if not allowed:
        raise ValueError(f"takes {vm} value(s) separated by '\\', got {count}")


def parse_single(vr: str, text: str) -> object:
    """Check one value (no backslash splitting) and convert it for pydicom."""
    check_characters(vr, text)
    if vr in MAX_CHARS and len(text) > MAX_CHARS[vr]:
        raise ValueError(f"is longer than the {MAX_CHARS[vr]} characters a {vr} value may have")
    if vr in INTEGER_RANGES and vr != "IS":
        return parse_integer(vr, text)
    if vr in FLOAT_MAX:
        return parse_float(vr, text)
    if vr == "AT":
        return parse_tag(text)
    check_string(vr, text)
    return text


def check_characters(vr: str, text: str) -> None:
    allowed_controls = "\r\n\f" if vr in FORMATTED_TEXT_VRS else ""
    if any((ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) and c not in allowed_controls for c in text):
        raise ValueError(f"contains a control character, which a {vr} value may not have")
    if vr not in EXTENDED_REPERTOIRE_VRS and not text.isascii():
        raise ValueError(f"contains non-ASCII characters, which a {vr} value may not have")


def check_string(vr: str, text: str) -> None:
    """The checks of the string VRs, each a short rule from PS3.5 table 6.2-1."""
    stripped = text.strip(" ")
    if vr == "AE" and not stripped:
        raise ValueError("an AE title may not be only spaces")
    elif vr == "AS" and not AS_PATTERN.fullmatch(text):
        raise ValueError("is not an age string nnnD, nnnW, nnnM or nnnY (e.g. 042Y)")
    elif vr == "CS" and not CS_PATTERN.fullmatch(text):
        raise ValueError("a CS value takes only upper-case letters, digits, space and '_'")
    elif vr == "DA":
        check_date(text)
    elif vr == "TM":
        check_time(text)
    elif vr == "DT":
        check_datetime(text)
    elif vr == "DS":
        check_decimal_string(text, stripped)
    elif vr == "IS":
        check_integer_string(text, stripped)
    elif vr == "UI":
        check_uid(text)
    elif vr == "PN":
        check_person_name(text)
    elif vr == "UR" and not URI_PATTERN.fullmatch(text):
        raise ValueError("a UR value is a URI: printable ASCII without spaces")


def check_date(text: str) -> date:
    match = DA_PATTERN.fullmatch(text)
    if not match:
        raise ValueError("is not a date YYYYMMDD")
    try:
        return date(*(int(group) for group in match.groups()))
    except ValueError:
        raise ValueError("is not a real date (YYYYMMDD)") from None


def check_time(text: str) -> None:
    match = TM_PATTERN.fullmatch(text)
    if not match:
        raise ValueError("is not a time HH[MM[SS[.FFFFFF]]]")
    check_clock(match.group(1), match.group(3), match.group(5))


def check_clock(hours: str, minutes: str | None, seconds: str | None) -> None:
    # PS3.5 allows second 60 for a leap second.
    if int(hours) > 23 or int(minutes or 0) > 59 or int(seconds or 0) > 60:
        raise ValueError("is not a real time of day")


def check_datetime(text: str) -> None:
    match = DT_PATTERN.fullmatch(text)
    if not match or len(text) > 26:
        raise ValueError("is not a date-time YYYY[MM[DD[HH[MM[SS[.FFFFFF]]]]]][&ZZXX]")
    year, month, day = match.group(1), match.group(3), match.group(5)
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError("is not a real date-time") from None
    if match.group(7):
        check_clock(match.group(7), match.group(9), match.group(11))
    offset = match.group(13)
    if offset and not (-1200 <= int(offset) <= 1400 and int(offset[-2:]) < 60):
        raise ValueError("has a UTC offset outside -1200..+1400")


def check_decimal_string(text: str, stripped: str) -> None:
    if len(text) > 16 or not DS_PATTERN.fullmatch(stripped) or not math.isfinite(float(stripped)):
        raise ValueError("is not a decimal string of at most 16 characters (e.g. 1.5, -2e3)")


def check_integer_string(text: str, stripped: str) -> None:
    if len(text) > 12 or not IS_PATTERN.fullmatch(stripped):
        raise ValueError("is not an integer string of at most 12 characters")
    check_range("IS", int(stripped))


def check_uid(text: str) -> None:
    if len(text) > 64 or not UI_PATTERN.fullmatch(text):
        raise ValueError(
            "is not a UID: digits in dot-separated components without leading zeros, at most 64"
        )


def check_person_name(text: str) -> None:
    groups = text.split("=")
    if len(groups) > 3:
        raise ValueError("a person name has at most 3 component groups separated by '='")
    for group in groups:
        if len(group) > 64:
            raise ValueError("a person name component group has at most 64 characters")
        if group.count("^") > 4:
            raise ValueError("a person name has at most 5 components separated by '^'")


def parse_integer(vr: str, text: str) -> int:
    stripped = text.strip(" ")
    if not IS_PATTERN.fullmatch(stripped):
        raise ValueError(f"is not an integer (VR {vr})")
    return check_range(vr, int(stripped))


def check_range(vr: str, value: int) -> int:
    low, high = INTEGER_RANGES[vr]
    if not low <= value <= high:
        raise ValueError(f"is outside the range {low}..{high} of a {vr} value")
    return value


def parse_float(vr: str, text: str) -> float:
    stripped = text.strip(" ")
    if not DS_PATTERN.fullmatch(stripped):
        raise ValueError(f"is not a number (VR {vr})")
    value = float(stripped)
    if not (math.isfinite(value) and abs(value) <= FLOAT_MAX[vr]):
        raise ValueError(f"is outside the range of a {vr} value")
    return value


def parse_tag(text: str) -> int:
    """An AT value written "(gggg,eeee)" or "ggggeeee"."""
    match = AT_PATTERN.fullmatch(text)
    if not match:
        raise ValueError("is not a tag written (gggg,eeee)")
    return int(match.group(1) + match.group(2), 16)
