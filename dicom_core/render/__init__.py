"""Rendering DICOM pixel data to PNG, JPEG or GIF, one small pure step per module.

decode -> modality (modality.py) -> VOI (voi.py) -> MONOCHROME1 inversion -> color (color.py)
-> resize (resize.py) -> encode (encode.py); pipeline.py puts them together.
"""

from dicom_core.render.frames import check_pixel_budget, declared_pixel_bytes, frame_count
from dicom_core.render.options import RenderOptions, RenderResult
from dicom_core.render.pipeline import iter_rendered_frames, render_dataset

__all__ = [
    "RenderOptions",
    "RenderResult",
    "check_pixel_budget",
    "declared_pixel_bytes",
    "frame_count",
    "iter_rendered_frames",
    "render_dataset",
]
