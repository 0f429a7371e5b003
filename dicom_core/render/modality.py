"""Modality LUT: stored values to modality values (e.g. Hounsfield units), PS3.3 C.11.1."""

from collections.abc import Sequence

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut

from dicom_core.render.values import lut_descriptor, number


def frame_group_item(ds: Dataset, index: int, sequence: str) -> Dataset | None:
    """The first item of a functional-group macro for this frame: per-frame, else shared."""
    for groups_keyword, group_index in (
        ("PerFrameFunctionalGroupsSequence", index),
        ("SharedFunctionalGroupsSequence", 0),
    ):
        groups = ds.get(groups_keyword)
        if groups and group_index < len(groups):
            items = groups[group_index].get(sequence)
            if items:
                return items[0]
    return None


def first_item(ds: Dataset, sequence: str) -> Dataset | None:
    items = ds.get(sequence)
    return items[0] if isinstance(items, Sequence) and len(items) and isinstance(items[0], Dataset) else None


def rescale_source(ds: Dataset, index: int) -> Dataset | None:
    """Where Rescale Slope/Intercept live: the top level, else the enhanced functional groups."""
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        return ds
    return frame_group_item(ds, index, "PixelValueTransformationSequence")


def apply_modality(array: np.ndarray, ds: Dataset, index: int) -> np.ndarray:
    """Modality values as float64 (integer data) or the data unchanged (float pixel data)."""
    if array.dtype.kind == "f":
        return array
    if lut_descriptor(first_item(ds, "ModalityLUTSequence")) is not None:
        return apply_modality_lut(array, ds).astype(np.float64, copy=False)
    values = array.astype(np.float64)
    source = rescale_source(ds, index)
    if source is not None:
        slope = number(source, "RescaleSlope") or 1.0
        intercept = number(source, "RescaleIntercept", 0.0)
        if slope != 1.0:
            values *= slope
        if intercept:
            values += intercept
    return values
