"""Values checked against their VR and VM (PS3.5 6.2, 6.4)."""

import pytest

from dicom_core.vr_validation import check_multiplicity, parse_value

VALID = [
    ("DA", "1", "20240229", "20240229"),
    ("TM", "1", "235960.123456", "235960.123456"),
    ("TM", "1", "07", "07"),
    ("DT", "1", "20240131235959.5+0100", "20240131235959.5+0100"),
    ("DT", "1", "2024", "2024"),
    ("AS", "1", "042Y", "042Y"),
    ("CS", "1", "ORIGINAL_1 X", "ORIGINAL_1 X"),
    ("CS", "2-n", "ORIGINAL\\PRIMARY", ["ORIGINAL", "PRIMARY"]),
    ("UI", "1", "1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.7"),
    ("UI", "1", "2.25.0.10", "2.25.0.10"),
    ("PN", "1", "Müller^Jürgen", "Müller^Jürgen"),
    ("PN", "1", "Yamada^Tarou=山田^太郎=やまだ^たろう", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    ("LO", "1", "x" * 64, "x" * 64),
    ("SH", "1", "日本語", "日本語"),
    ("LT", "1", "line one\r\nline two \\ with a backslash", "line one\r\nline two \\ with a backslash"),
    ("DS", "1", " -1.5e3 ", " -1.5e3 "),
    ("DS", "3", "1\\2.5\\.5", ["1", "2.5", ".5"]),
    ("IS", "1", "-2147483648", "-2147483648"),
    ("US", "1", "65535", 65535),
    ("SS", "1", "-32768", -32768),
    ("UL", "1", "4294967295", 4294967295),
    ("FL", "1", "1.5", 1.5),
    ("FD", "1-n", "1\\-2.5e10", [1.0, -2.5e10]),
    ("AE", "1", "STORESCP", "STORESCP"),
    ("AT", "1", "(0018,1063)", 0x00181063),
    ("UR", "1", "https://example.org/a?b=c", "https://example.org/a?b=c"),
]

INVALID = [
    ("DA", "1", "20231301", "real date"),
    ("DA", "1", "20230230", "real date"),
    ("DA", "1", "2023-01-01", "YYYYMMDD"),
    ("TM", "1", "246000", "real time"),
    ("TM", "1", "12:30:00", "HH[MM"),
    ("DT", "1", "20241399", "real date-time"),
    ("DT", "1", "20240101+1500", "UTC offset"),
    ("AS", "1", "42Y", "age string"),
    ("CS", "1", "lower", "upper-case"),
    ("CS", "1", "X" * 17, "16 characters"),
    ("UI", "1", "1.02.3", "UID"),
    ("UI", "1", "1.2.", "UID"),
    ("UI", "1", "1." + "2" * 63, "UID"),
    ("PN", "1", "a=b=c=d", "3 component groups"),
    ("PN", "1", "a^b^c^d^e^f", "5 components"),
    ("PN", "1", "x" * 65, "64 characters"),
    ("LO", "1", "x" * 65, "64 characters"),
    ("LO", "1", "tab\there", "control character"),
    ("LO", "1", "line\nbreak", "control character"),
    ("SH", "1", "x" * 17, "16 characters"),
    ("ST", "1", "x" * 1025, "1024 characters"),
    ("DS", "1", "1.00000000000000001", "decimal string"),
    ("DS", "1", "NaN", "decimal string"),
    ("DS", "1", "1,5", "decimal string"),
    ("IS", "1", "2147483648", "range"),
    ("IS", "1", "1.0", "integer string"),
    ("US", "1", "65536", "range"),
    ("US", "1", "-1", "range"),
    ("SS", "1", "40000", "range"),
    ("FL", "1", "1e39", "range"),
    ("FD", "1", "1e999", "range"),
    ("FD", "1", "inf", "number"),
    ("AE", "1", "    ", "only spaces"),
    ("AE", "1", "ÄE", "non-ASCII"),
    ("UI", "1", "1.2\\1.3", "takes 1 value"),
    ("CS", "2-n", "ORIGINAL", "takes 2-n"),
    ("AT", "1", "(0018,10G3)", "tag"),
    ("UR", "1", "has space", "URI"),
]


@pytest.mark.parametrize(("vr", "vm", "text", "expected"), VALID)
def test_valid_values_are_returned_for_pydicom(vr, vm, text, expected):
    assert parse_value(vr, vm, text) == expected


@pytest.mark.parametrize(("vr", "vm", "text", "reason"), INVALID)
def test_invalid_values_are_refused_with_a_reason(vr, vm, text, reason):
    with pytest.raises(ValueError, match=reason.replace("[", r"\[")):
        parse_value(vr, vm, text)


def test_an_empty_value_is_an_empty_element():
    assert parse_value("DA", "1", "") is None


@pytest.mark.parametrize(("vm", "count", "allowed"), [
    ("1", 1, True), ("1", 2, False), ("1-3", 3, True), ("1-3", 4, False),
    ("2-2n", 4, True), ("2-2n", 3, False), ("1-n", 40, True), ("3-3n", 6, True), ("6", 5, False),
])
def test_value_multiplicity(vm, count, allowed):
    if allowed:
        check_multiplicity(vm, count)
    else:
        with pytest.raises(ValueError):
            check_multiplicity(vm, count)
