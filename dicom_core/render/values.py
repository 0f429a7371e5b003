"""Numbers read from elements that a damaged file may fill with anything.

A value of an unexpected type (a string where a US was due, bytes, a person name), several
values where one was due, or no finite number at all counts as absent, as DCMTK treats it:
rendering then goes on with the default or the next source, and never raises on it.
"""

import math
from collections.abc import Sequence

from pydicom.dataset import Dataset


def first_number(value) -> float | None:
    """The first value as a finite float, or None."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        value = value[0] if len(value) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def number(ds: Dataset | None, keyword: str, default: float | None = None) -> float | None:
    found = first_number(ds.get(keyword)) if ds is not None else None
    return default if found is None else found


def lut_descriptor(item: Dataset | None) -> tuple[int, int, int] | None:
    """A LUT's (entries, first mapped value, bits per entry) when the LUT is usable: three whole
    numbers (the first mapped value may be negative) and LUT Data present; else None."""
    if item is None or not item.get("LUTData"):
        return None
    values = item.get("LUTDescriptor")
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)) or len(values) != 3:
        return None
    numbers = [first_number([value]) for value in values]
    if any(value is None or not value.is_integer() for value in numbers):
        return None
    entries, first, bits = (int(value) for value in numbers)
    return (entries, first, bits) if 0 <= entries < 2**16 and 1 <= bits <= 16 else None


def whole(ds: Dataset | None, keyword: str, default: int | None = None, *, low: int = 0, high: int = 2**32) -> int | None:
    """A whole number from low to high, else `default`."""
    found = number(ds, keyword)
    if found is None or not found.is_integer() or not low <= found <= high:
        return default
    return int(found)
