"""Rendering DICOM pixel data to PNG, JPEG or GIF, one small pure step per module.

decode -> modality (modality.py) -> VOI (voi.py) -> MONOCHROME1 inversion -> color (color.py)
-> resize (resize.py) -> encode (encode.py); pipeline.py puts them together, stream.py is the
entry point (every check once, then the images one at a time from an executor), and isolated.py
is the executor that runs them in a pool of worker processes with a per-frame time limit.
"""

from dicom_core.render.decode import UndecodableFrameError
from dicom_core.render.frames import PixelBudget, check_pixel_budget, declared_pixel_bytes, frame_count
from dicom_core.render.options import RenderOptions
from dicom_core.render.stream import IN_THREAD, ImageStream, RenderResult, executor_for, render

__all__ = [
    "IN_THREAD",
    "ImageStream",
    "PixelBudget",
    "RenderOptions",
    "RenderResult",
    "UndecodableFrameError",
    "check_pixel_budget",
    "declared_pixel_bytes",
    "executor_for",
    "frame_count",
    "render",
]
