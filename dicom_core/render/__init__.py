"""Rendering DICOM pixel data to PNG, JPEG or GIF, one small pure step per module.

decode -> modality (modality.py) -> VOI (voi.py) -> MONOCHROME1 inversion -> color (color.py)
-> resize (resize.py) -> encode (encode.py); pipeline.py puts them together, and isolated.py
runs them in a pool of worker processes with a per-frame time limit.
"""

from dicom_core.render.decode import UndecodableFrameError
from dicom_core.render.frames import check_pixel_budget, declared_pixel_bytes, frame_count
from dicom_core.render.isolated import render_bytes_isolated, render_isolated
from dicom_core.render.options import RenderOptions, RenderResult
from dicom_core.render.pipeline import render_dataset

__all__ = [
    "RenderOptions",
    "RenderResult",
    "UndecodableFrameError",
    "check_pixel_budget",
    "declared_pixel_bytes",
    "frame_count",
    "render_bytes_isolated",
    "render_dataset",
    "render_isolated",
]
