"""The read operation's options, typed, each checked once where it is made.

The web layer (dicom_api/serializers.py) and the CLI parse text into these; the objects check
their own invariants and raise InvalidOptionError with `field` set to their own attribute
name (`window`, `image_format`...), which the caller maps to whatever it calls that option.
`parse_frames` is the one text syntax the core owns: DICOMweb's 1-based frame list.
"""

import re
from dataclasses import dataclass, field
from typing import Literal

from dicom_core.errors import InvalidOptionError
from dicom_core.render.options import RenderOptions

MAX_FRAMES_ASKED = 10_000  # entries in one frame list, ranges counted by their length

MetadataMode = Literal["flat", "dicom-json"]
METADATA_MODES: tuple[MetadataMode, ...] = ("flat", "dicom-json")

# nine digits at most: no frame count comes near, and int() never sees a huge string
_FRAME_ITEM = re.compile(r"([0-9]{1,9})(?:-([0-9]{1,9}))?")
_FRAMES_FORMAT = "1-based frame numbers and ranges separated by commas, e.g. 1,3,5-9"


@dataclass(frozen=True)
class ReadOptions:
    fields: tuple[str, ...] | None = None  # validated keywords; None = every element
    images: bool = True  # False: metadata only, the pixel data is not even read
    metadata: MetadataMode = "flat"  # or "dicom-json": the DICOM JSON model of PS3.18 Annex F
    # The PS3.15 Basic Profile on the metadata returned; the images are rendered from the
    # original pixels (they are not de-identified).
    anonymize: bool = False
    render: RenderOptions = field(default_factory=RenderOptions)
    # Render native decoders in the worker pool: a decoder that aborts natively or stalls
    # costs this file its images, not the process. False renders here (CLI, tests).
    isolated: bool = True

    def __post_init__(self):
        if self.metadata not in METADATA_MODES:
            raise InvalidOptionError(f"metadata must be one of {', '.join(METADATA_MODES)}.", field="metadata")


def parse_frames(text: str) -> tuple[int, ...]:
    """"1,3,5-9" (1-based) -> (0, 2, 4, 5, 6, 7, 8) (0-based), in the order asked."""
    frames: list[int] = []
    for item in text.split(","):
        first, last = _frame_range(item.strip())
        if len(frames) + (last - first + 1) > MAX_FRAMES_ASKED:
            raise InvalidOptionError(f"More than {MAX_FRAMES_ASKED} frames asked for.", field="frames")
        frames.extend(range(first - 1, last))
    return tuple(frames)


def _frame_range(item: str) -> tuple[int, int]:
    """One item of a frame list as its first and last 1-based frame."""
    match = _FRAME_ITEM.fullmatch(item)
    if match is None:
        raise InvalidOptionError(f"{_quoted(item)} is not valid; use {_FRAMES_FORMAT}.", field="frames")
    first = int(match[1])
    last = int(match[2]) if match[2] else first
    if first < 1:
        raise InvalidOptionError("Frame numbers start at 1.", field="frames")
    if last < first:
        raise InvalidOptionError(f"The range {_quoted(item)} is reversed.", field="frames")
    return first, last


def _quoted(text: str) -> str:
    """The value sent, cut short: an error message must stay one sentence."""
    return repr(text if len(text) <= 40 else text[:40] + "...")
