"""Safe loading of PNG/JPEG input: hostile images are refused by kind, before any big allocation."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from dicom_core.errors import LimitExceededError, MalformedInputError, UnsupportedMediaError
from dicom_core.images import decode_pixels, probe_image, read_jpeg_header
from dicom_core.limits import Limits

LIMITS = Limits()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def handmade_png(width: int, height: int, bit_depth: int, colour_type: int, idat: bytes, extra=b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
        + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def small_gray() -> np.ndarray:
    return np.arange(16 * 16, dtype=np.uint8).reshape(16, 16)


def jpeg_declaring(width: int, height: int) -> bytes:
    """SOI, a baseline frame header for 3 components, and nothing else."""
    components = b"".join(bytes([index, 0x11, 0]) for index in (1, 2, 3))
    frame = struct.pack(">BHHB", 8, height, width, 3) + components
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame + b"\xff\xd9"


def test_png_declaring_65535_by_8193_rgba16_is_refused_by_its_header():
    bomb = handmade_png(65535, 8193, 16, 6, zlib.compress(b"\0" * 1000))
    assert len(bomb) < 600
    with pytest.raises(LimitExceededError) as raised:
        probe_image(bomb, LIMITS)
    assert raised.value.limit == "max_image_pixels"


def test_pillow_decompression_bomb_error_becomes_a_limit_error():
    # With our own limit out of the way, Pillow's own guard (2 x MAX_IMAGE_PIXELS) answers.
    bomb = handmade_png(65535, 8193, 16, 6, zlib.compress(b"\0" * 1000))
    with pytest.raises(LimitExceededError):
        probe_image(bomb, Limits(max_image_pixels=10**12))


def test_jpeg_header_declaring_65500_by_21862_is_refused():
    with pytest.raises(LimitExceededError) as raised:
        probe_image(jpeg_declaring(65500, 21862), LIMITS)
    assert raised.value.limit == "max_image_pixels"


def test_9000_square_one_bit_png_is_refused_by_pixel_count():
    rows = zlib.compress((b"\0" + b"\0" * 1125) * 9000, 9)
    bomb = handmade_png(9000, 9000, 1, 0, rows)
    assert len(bomb) < 20_000
    with pytest.raises(LimitExceededError):
        probe_image(bomb, LIMITS)


def test_probe_counts_bytes_after_conversion():
    one_bit = encoded(Image.fromarray(small_gray() > 100), "PNG")
    palette = encoded(Image.fromarray(np.dstack([small_gray()] * 3)).quantize(8), "PNG")
    assert probe_image(one_bit, LIMITS).decoded_bytes == 16 * 16  # one byte per pixel once 0/255
    assert probe_image(palette, LIMITS).decoded_bytes == 16 * 16 * 3  # RGB once expanded


def test_ztxt_bomb_is_malformed_not_inflated():
    bomb_chunk = png_chunk(b"zTXt", b"k\0\0" + zlib.compress(b"a" * (64 * 1024 * 1024), 9))
    raw = zlib.compress(b"".join(b"\0" + bytes(16) for _ in range(16)))
    bomb = handmade_png(16, 16, 8, 0, raw, extra=bomb_chunk)
    with pytest.raises(MalformedInputError):
        decode_pixels(probe_image(bomb, LIMITS))


def test_truncated_jpeg_is_malformed_not_grey():
    jpeg = encoded(Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)), "JPEG")
    probe = probe_image(jpeg[: len(jpeg) // 2], LIMITS)
    with pytest.raises(MalformedInputError):
        decode_pixels(probe)


def test_png_with_a_bad_crc_is_malformed():
    png = bytearray(encoded(Image.fromarray(small_gray()), "PNG"))
    png[-20] ^= 0xFF  # inside IDAT, so its CRC no longer matches
    with pytest.raises(MalformedInputError):
        decode_pixels(probe_image(bytes(png), LIMITS))


@pytest.mark.parametrize(
    "data",
    [
        np.random.default_rng(2).bytes(4096),
        encoded(Image.fromarray(small_gray()), "GIF"),
        b"",
        b"BM" + bytes(100),
    ],
    ids=["random-bytes", "gif", "empty", "bmp"],
)
def test_content_that_is_neither_png_nor_jpeg_is_unsupported(data):
    with pytest.raises(UnsupportedMediaError):
        probe_image(data, LIMITS)


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n" + bytes(40), b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF"],
    ids=["png-signature-only", "png-zeros", "jpeg-soi-only", "jpeg-cut-in-app0"],
)
def test_a_signature_without_an_image_is_malformed(data):
    with pytest.raises(MalformedInputError):
        probe_image(data, LIMITS)


def test_one_bit_png_becomes_0_and_255():
    mask = small_gray() > 100
    pixels = decode_pixels(probe_image(encoded(Image.fromarray(mask), "PNG"), LIMITS))
    assert pixels.dtype == np.uint8
    assert np.array_equal(pixels, np.where(mask, 255, 0))


def test_sixteen_bit_gray_png_keeps_16_bits():
    values = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)
    pixels = decode_pixels(probe_image(encoded(Image.fromarray(values), "PNG"), LIMITS))
    assert pixels.dtype == np.uint16
    assert np.array_equal(pixels, values)


def test_alpha_is_dropped():
    rgba = np.random.default_rng(3).integers(0, 256, (16, 16, 4), dtype=np.uint8)
    gray_alpha = Image.fromarray(rgba[..., :2].copy(), "LA")
    assert np.array_equal(decode_pixels(probe_image(encoded(Image.fromarray(rgba), "PNG"), LIMITS)), rgba[..., :3])
    assert np.array_equal(decode_pixels(probe_image(encoded(gray_alpha, "PNG"), LIMITS)), rgba[..., 0])


def test_palette_png_with_transparency_becomes_its_rgb_colours():
    palette_image = Image.fromarray(np.random.default_rng(4).integers(0, 256, (16, 16, 3), dtype=np.uint8)).quantize(16)
    png = encoded(palette_image, "PNG", transparency=2)
    expected = np.asarray(palette_image.convert("RGB"))
    assert np.array_equal(decode_pixels(probe_image(png, LIMITS)), expected)


def test_jpeg_frame_headers_say_which_can_be_embedded():
    colour = Image.fromarray(np.random.default_rng(5).integers(0, 256, (16, 16, 3), dtype=np.uint8))
    baseline = read_jpeg_header(encoded(colour, "JPEG"))
    progressive = read_jpeg_header(encoded(colour, "JPEG", progressive=True))
    gray = read_jpeg_header(encoded(colour.convert("L"), "JPEG"))
    assert (baseline.embeddable, baseline.photometric_interpretation) == (True, "YBR_FULL_422")
    assert (gray.embeddable, gray.photometric_interpretation) == (True, "MONOCHROME2")
    assert progressive.sof_marker == 0xC2 and not progressive.embeddable
    assert (baseline.width, baseline.height, baseline.components) == (16, 16, 3)


def test_cmyk_jpeg_is_decoded_to_rgb_and_not_embeddable():
    cmyk = Image.fromarray(np.random.default_rng(6).integers(0, 256, (16, 16, 3), dtype=np.uint8)).convert("CMYK")
    jpeg = encoded(cmyk, "JPEG")
    probe = probe_image(jpeg, LIMITS)
    assert not probe.jpeg.embeddable
    assert decode_pixels(probe).shape == (16, 16, 3)
