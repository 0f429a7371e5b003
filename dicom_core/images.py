"""Safe loading of PNG and JPEG input for DICOM generation.

The declared size is read from the image header by this module (PNG IHDR, JPEG SOF) and
checked against the limits before Pillow allocates anything, so a 600-byte image declaring
65535 x 8193 RGBA16 is refused at once. Pillow then decodes with its own guards kept on:
truncated images fail (ImageFile.LOAD_TRUNCATED_IMAGES stays False) and text chunks are capped
(PngImagePlugin.MAX_TEXT_CHUNK).
"""

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dicom_core.errors import LimitExceededError, MalformedInputError, UnsupportedMediaError
from dicom_core.limits import Limits

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8\xff"
JPEG_BASELINE_SOF = 0xC0
# Start-of-frame markers of every JPEG process (C4 DHT, C8 JPG and CC DAC are not frames).
JPEG_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
JPEG_SOS = 0xDA

# Pillow mode -> (samples per pixel, bytes per sample) of the pixels handed to DICOM.
OUTPUT_LAYOUT = {
    "1": (1, 1), "L": (1, 1), "LA": (1, 1),
    "I;16": (1, 2), "I;16B": (1, 2), "I;16L": (1, 2), "I": (1, 2),
    "P": (3, 1), "PA": (3, 1), "RGB": (3, 1), "RGBA": (3, 1), "CMYK": (3, 1), "YCbCr": (3, 1),
}


@dataclass(frozen=True)
class JpegHeader:
    """What the frame header of a JPEG says, enough to decide whether to embed it."""

    sof_marker: int
    precision: int
    width: int
    height: int
    components: int
    adobe_transform: int | None  # APP14 "Adobe" colour transform; 0 means RGB components

    @property
    def embeddable(self) -> bool:
        """Baseline 8-bit gray, or YCbCr colour (Adobe transform 0 means RGB components,
        which the DICOM JPEG Baseline syntax does not take)."""
        is_baseline = self.sof_marker == JPEG_BASELINE_SOF and self.precision == 8
        is_ycbcr = self.components == 3 and self.adobe_transform != 0
        return is_baseline and (self.components == 1 or is_ycbcr)

    @property
    def photometric_interpretation(self) -> str:
        # YBR_FULL_422 whatever the chroma subsampling, as DCMTK img2dcm writes and dciodvfy
        # requires; decoders take the sampling from the JPEG frame header.
        return "MONOCHROME2" if self.components == 1 else "YBR_FULL_422"


@dataclass(frozen=True)
class ImageProbe:
    """An input image whose header has been read and checked, not yet decoded."""

    data: bytes
    format: str  # "PNG" or "JPEG"
    width: int
    height: int
    samples_per_pixel: int
    bytes_per_sample: int
    jpeg: JpegHeader | None

    @property
    def decoded_bytes(self) -> int:
        return self.width * self.height * self.samples_per_pixel * self.bytes_per_sample


def probe_image(data: bytes, limits: Limits) -> ImageProbe:
    """Recognise a PNG or JPEG by its content and check its declared size; decode nothing."""
    image_format = sniff_format(data)
    jpeg = read_jpeg_header(data) if image_format == "JPEG" else None
    width, height = (jpeg.width, jpeg.height) if jpeg else read_png_size(data)
    check_pixel_count(width, height, limits)
    with open_image(data, image_format) as image:
        if image.size != (width, height):
            raise MalformedInputError("The image header is inconsistent.", field="image")
        layout = OUTPUT_LAYOUT.get(image.mode)
        if layout is None:
            raise UnsupportedMediaError(
                f"Images of Pillow mode {image.mode} are not supported.", field="image"
            )
    return ImageProbe(data, image_format, width, height, *layout, jpeg)


def decode_pixels(probe: ImageProbe) -> np.ndarray:
    """Decode to rows x columns (x 3) of uint8 or uint16: alpha dropped, palette and
    1-bit expanded, 16-bit gray kept at 16 bits."""
    with open_image(probe.data, probe.format) as image:
        try:
            image.load()
        except (OSError, ValueError, SyntaxError, EOFError, zlib.error, struct.error) as error:
            raise MalformedInputError(f"The image cannot be decoded: {error}", field="image")
        return normalised_array(image)


def normalised_array(image: Image.Image) -> np.ndarray:
    samples, bytes_per_sample = OUTPUT_LAYOUT[image.mode]
    if bytes_per_sample == 2:
        # "I;16*" arrive as uint16 already; mode "I" is int32 holding 16-bit samples.
        return np.asarray(image).astype(np.uint16)
    target_mode = "L" if samples == 1 else "RGB"
    converted = image if image.mode == target_mode else image.convert(target_mode)
    return np.asarray(converted, dtype=np.uint8)


def sniff_format(data: bytes) -> str:
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SOI):
        return "JPEG"
    raise UnsupportedMediaError("The image must be a PNG or a JPEG.", field="image")


def open_image(data: bytes, image_format: str) -> Image.Image:
    """Open lazily with only the plugin that matches the content."""
    try:
        return Image.open(io.BytesIO(data), formats=[image_format])
    except Image.DecompressionBombError as error:
        raise LimitExceededError(str(error), limit="max_image_pixels", field="image")
    except (OSError, ValueError, SyntaxError, EOFError, zlib.error, struct.error) as error:
        raise MalformedInputError(f"The {image_format} image cannot be read: {error}", field="image")


def check_pixel_count(width: int, height: int, limits: Limits) -> None:
    if width == 0 or height == 0:
        raise MalformedInputError("The image declares no pixels.", field="image")
    if width * height > limits.max_image_pixels:
        raise LimitExceededError(
            f"The image has {width} x {height} pixels, more than the limit of "
            f"{limits.max_image_pixels}.",
            limit="max_image_pixels",
            field="image",
        )


def read_png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which PNG requires to come first."""
    ihdr = data[8:24]
    if len(ihdr) < 16 or ihdr[4:8] != b"IHDR":
        raise MalformedInputError("The PNG image has no IHDR header.", field="image")
    return struct.unpack(">II", ihdr[8:16])


def read_jpeg_header(data: bytes) -> JpegHeader:
    """Walk the marker segments up to the first start-of-frame (ITU T.81 B.2)."""
    position = 2
    adobe_transform = None
    while True:
        marker, position = next_jpeg_marker(data, position)
        if marker in JPEG_STANDALONE_MARKERS:
            continue
        if marker == JPEG_SOS or marker == 0xD9:
            raise MalformedInputError("The JPEG image has no frame header.", field="image")
        segment, position = jpeg_segment(data, position)
        if marker == 0xEE and segment.startswith(b"Adobe") and len(segment) >= 12:
            adobe_transform = segment[11]
        if marker in JPEG_SOF_MARKERS:
            return parse_jpeg_frame_header(marker, segment, adobe_transform)


def next_jpeg_marker(data: bytes, position: int) -> tuple[int, int]:
    if position >= len(data) or data[position] != 0xFF:
        raise MalformedInputError("The JPEG image is truncated or malformed.", field="image")
    while position < len(data) and data[position] == 0xFF:  # fill bytes
        position += 1
    if position >= len(data):
        raise MalformedInputError("The JPEG image is truncated.", field="image")
    return data[position], position + 1


def jpeg_segment(data: bytes, position: int) -> tuple[bytes, int]:
    """The payload of the segment whose 2-byte length starts at `position`, and what follows."""
    if position + 2 > len(data):
        raise MalformedInputError("The JPEG image is truncated.", field="image")
    (length,) = struct.unpack(">H", data[position : position + 2])
    end = position + length
    if length < 2 or end > len(data):
        raise MalformedInputError("The JPEG image is truncated or malformed.", field="image")
    return data[position + 2 : end], end


def parse_jpeg_frame_header(marker: int, segment: bytes, adobe_transform: int | None) -> JpegHeader:
    if len(segment) < 6:
        raise MalformedInputError("The JPEG frame header is truncated.", field="image")
    precision, height, width, components = struct.unpack(">BHHB", segment[:6])
    if components == 0 or len(segment) < 6 + 3 * components:
        raise MalformedInputError("The JPEG frame header is malformed.", field="image")
    return JpegHeader(
        sof_marker=marker,
        precision=precision,
        width=width,
        height=height,
        components=components,
        adobe_transform=adobe_transform,
    )
