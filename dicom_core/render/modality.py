"""Modality LUT: stored values to modality values (e.g. Hounsfield units), PS3.3 C.11.1."""

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut


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


def rescale_source(ds: Dataset, index: int) -> Dataset | None:
    """Where Rescale Slope/Intercept live: the top level, else the enhanced functional groups."""
    if "RescaleSlope" in ds or "RescaleIntercept" in ds:
        return ds
    return frame_group_item(ds, index, "PixelValueTransformationSequence")


def apply_modality(array: np.ndarray, ds: Dataset, index: int) -> np.ndarray:
    """Modality values as float64 (integer data) or the data unchanged (float pixel data)."""
    if array.dtype.kind == "f":
        return array
    if "ModalityLUTSequence" in ds:
        return apply_modality_lut(array, ds).astype(np.float64, copy=False)
    values = array.astype(np.float64)
    source = rescale_source(ds, index)
    if source is not None:
        slope = float(source.get("RescaleSlope") or 1.0)
        intercept = float(source.get("RescaleIntercept") or 0.0)
        if slope != 1.0:
            values *= slope
        if intercept:
            values += intercept
    return values
