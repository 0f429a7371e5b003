"""Limits on hostile input, in one frozen object passed into the core.

The web layer builds it from settings; a CLI or a worker can build its own.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int = 256 * 1024 * 1024  # one uploaded file or zip
    max_zip_members: int = 1000  # entries in the central directory
    max_inflated_bytes: int = 1024 * 1024 * 1024  # sum over all members actually inflated
    max_member_bytes: int | None = None  # one member inflated (held whole while read); None: max_inflated_bytes alone
    max_zip_ratio: int = 200  # inflated / compressed bytes for one member
    max_decoded_bytes: int = 1024 * 1024 * 1024  # declared rows*cols*frames*samples*bytes per request
    max_sequence_depth: int = 32  # nesting of sequences inside sequences
    max_sequence_items: int = 100_000  # items (sequence items and pixel fragments) in one file
    max_data_elements: int = 100_000  # data elements in one file, those inside sequence items included
    max_image_pixels: int = 50_000_000  # one input image for /generate/
    frame_timeout_seconds: float = 8.0  # one frame's decode+render before it is given up (a stalled decoder)
    render_timeout_seconds: float = 60.0  # all the frames of one file, however many
