"""The rendering pipeline on the real corpus: every file, every VOI source, color, frames, formats, limits."""

import copy
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames, get_frame
from pydicom.pixels import get_decoder
from pydicom.uid import JPEGBaseline8Bit

from dicom_core.errors import InvalidOptionError, LimitExceededError
from dicom_core.limits import Limits
from dicom_core.render import IN_THREAD, RenderOptions, RenderResult, check_pixel_budget, executor_for, frame_count, isolated, stream
from dicom_core.render.decode import decode_frame
from dicom_core.render.encode import DEFAULT_FRAME_DURATION_MS, encode_png, frame_durations_ms
from dicom_core.reading import read_dataset

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
LIMITS = Limits()
EXPECTED_ERRORS = {
    "MR_truncated.dcm": "Pixel data is truncated",
    "reportsi.dcm": "No pixel data in this file (SOP class Basic Text SR Storage",
    "rtplan.dcm": "No pixel data in this file (SOP class RT Plan Storage",
    "no_meta.dcm": "No pixel data in this file",
}
MR_SMALL_FAMILY = [
    "MR_small.dcm",
    "MR_small_RLE.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_implicit.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
]


def read(name: str) -> Dataset:
    return pydicom.dcmread(CORPUS / name, force=True)


def render(name_or_ds, **options) -> RenderResult:
    """In this thread, read whole."""
    ds = read(name_or_ds) if isinstance(name_or_ds, str) else name_or_ds
    return stream.render(ds, RenderOptions(**options), LIMITS, IN_THREAD).collect()


def render_bytes_isolated(data: bytes, options: RenderOptions, limits: Limits) -> RenderResult:
    """As a request renders: parsed with its checks, native decoders in the pool, read whole."""
    ds = read_dataset(data, limits)
    return stream.render(ds, options, limits, executor_for(ds, isolated=True)).collect()


def pixels(encoded: bytes) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(encoded)))


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.dcm")))
def test_every_corpus_file_renders_or_says_why(name):
    result = render(name)
    if name in EXPECTED_ERRORS:
        assert result.images == []
        assert result.error.startswith(EXPECTED_ERRORS[name])
        return
    assert result.error is None
    assert len(result.images) == frame_count(read(name))
    for encoded in result.images:
        image = Image.open(BytesIO(encoded))
        assert image.format == "PNG" and image.mode in ("L", "RGB")
    assert set(result.rendering) == {"window", "voi_source", "inverted", "color"}


def test_mr_small_renders_the_same_pixels_in_every_transfer_syntax():
    reference = pixels(render("MR_small.dcm").images[0])
    assert reference.std() > 10  # a real image, not a blank
    for name in MR_SMALL_FAMILY[1:]:
        np.testing.assert_array_equal(pixels(render(name).images[0]), reference, err_msg=name)


@pytest.mark.parametrize(
    ("name", "options", "voi_source", "window"),
    [
        ("MR_small.dcm", {"window": (100.0, 200.0)}, "request", [100.0, 200.0]),
        ("MR_small.dcm", {}, "file-window", [600.0, 1600.0]),
        ("vlut_04.dcm", {}, "voi-lut", None),
        ("eCT_Supplemental.dcm", {}, "file-window", [49.0, 102.0]),  # Shared FrameVOILUTSequence
        ("image_dfl.dcm", {}, "none", None),
        ("emri_small.dcm", {}, "min-max", None),
        ("parametric_map_double_float.dcm", {}, "min-max", None),
    ],
)
def test_each_voi_source_is_reached_by_a_real_file(name, options, voi_source, window):
    rendering = render(name, **options).rendering
    assert rendering["voi_source"] == voi_source
    assert rendering["window"] == window
    assert rendering["color"] == "grayscale"


def test_request_window_follows_the_linear_formula():
    ds = read("MR_small.dcm")
    stored = ds.pixel_array.astype(float)  # no rescale in this file
    shown = pixels(render(ds, window=(600.0, 1600.0)).images[0]).astype(float)
    expected = np.clip(((stored - 599.5) / 1599 + 0.5) * 255, 0, 255)
    assert np.abs(shown - expected).max() <= 0.5 + 1e-9


def test_min_max_uses_the_whole_output_range():
    for name in ("emri_small.dcm", "parametric_map_double_float.dcm"):
        shown = pixels(render(name).images[0])
        assert (shown.min(), shown.max()) == (0, 255), name


def test_monochrome1_is_shown_inverted():
    ds = read("RG3_J2KI.dcm")
    result = render(ds)
    assert result.rendering["inverted"] is True
    stored, _ = decode_frame(ds, 0)
    shown = pixels(result.images[0])
    center, width = result.rendering["window"]
    assert (shown[stored >= center + width / 2] == 0).all()  # high values are dark in MONOCHROME1
    assert (shown[stored <= center - width / 2] == 255).all()


def test_one_bit_segmentation_is_visible():
    ds = read("liver_1frame.dcm")
    shown = pixels(render(ds).images[0])
    assert set(np.unique(shown)) == {0, 255}
    np.testing.assert_array_equal(shown == 255, ds.pixel_array == 1)


def test_rgb_variants_render_the_same_picture():
    reference = pixels(render("SC_rgb.dcm").images[0]).astype(int)
    assert reference[5, 5].tolist() == [255, 0, 0]
    for name in ("SC_rgb_16bit.dcm", "SC_rgb_gdcm_KY.dcm", "SC_rgb_rle_2frame.dcm"):
        np.testing.assert_array_equal(pixels(render(name).images[0]), reference, err_msg=name)
    for name in ("SC_ybr_full_422_uncompressed.dcm", "SC_rgb_jpeg_dcmtk.dcm"):  # YBR, subsampled or lossy
        result = render(name)
        assert result.rendering["color"] == "RGB"
        assert np.abs(pixels(result.images[0]).astype(int) - reference).mean() < 1, name


def test_palette_color_becomes_rgb():
    result = render("examples_palette.dcm")
    shown = pixels(result.images[0])
    assert result.rendering["color"] == "RGB" and shown.shape == (350, 800, 3)
    assert (shown[..., 0] != shown[..., 2]).mean() > 0.1  # really colored


def test_segmented_palette_renders_like_the_plain_one():
    ds = read("examples_palette.dcm")
    plain = pixels(render(ds).images[0])
    segmented = copy.deepcopy(ds)
    for color in ("Red", "Green", "Blue"):
        entries = np.frombuffer(ds[f"{color}PaletteColorLookupTableData"].value, "<u2")
        discrete_segment = np.concatenate([[0, len(entries)], entries]).astype("<u2")  # PS3.3 C.7.9.2
        del segmented[f"{color}PaletteColorLookupTableData"]
        setattr(segmented, f"Segmented{color}PaletteColorLookupTableData", discrete_segment.tobytes())
    np.testing.assert_array_equal(pixels(render(segmented).images[0]), plain)


def test_frames_are_rendered_in_the_order_asked():
    both = render("emri_small.dcm", frames=(3, 1)).images
    fourth, second = (render("emri_small.dcm", frames=(index,)).images[0] for index in (3, 1))
    assert both == [fourth, second] and fourth != second
    assert len(render("emri_small.dcm").images) == 10


def test_a_missing_frame_is_named_one_based():
    with pytest.raises(InvalidOptionError) as raised:
        render("SC_rgb_rle_2frame.dcm", frames=(0, 2))
    assert raised.value.field == "frames" and "Frame 3" in raised.value.message


def test_max_size_keeps_aspect_and_never_upscales():
    assert Image.open(BytesIO(render("JPEG-LL.dcm", max_size=200).images[0])).size == (50, 200)
    assert Image.open(BytesIO(render("MR_small.dcm", max_size=500).images[0])).size == (64, 64)


def test_jpeg_and_gif_outputs_and_quality():
    low = render("CT_small.dcm", image_format="jpeg", quality=10).images[0]
    high = render("CT_small.dcm", image_format="jpeg", quality=95).images[0]
    assert Image.open(BytesIO(low)).format == "JPEG" and len(low) < len(high)
    gif = Image.open(BytesIO(render("SC_rgb.dcm", image_format="gif").images[0]))
    assert gif.format == "GIF" and gif.n_frames == 1


def test_animated_gif_has_every_frame_timed_by_frame_time():
    result = render("examples_ybr_color.dcm", image_format="gif", animate=True, max_size=64)
    assert len(result.images) == 1
    gif = Image.open(BytesIO(result.images[0]))
    # Frames 11 and 28 repeat the frame before them: Pillow shows the pair once, for twice as long.
    durations = [gif.seek(i) or gif.info["duration"] for i in range(gif.n_frames)]
    assert gif.n_frames == 28
    assert sum(durations) == 30 * 30  # FrameTime 33.333 ms, in GIF's hundredths of a second
    assert set(durations) == {30, 60}


def test_frame_durations_from_vector_cine_rate_or_default():
    ds = read("emri_small.dcm")
    assert frame_durations_ms(ds, [0, 1]) == [DEFAULT_FRAME_DURATION_MS] * 2
    ds.CineRate = 25
    assert frame_durations_ms(ds, [0, 1]) == [40, 40]
    ds.FrameTimeVector = [0, 50, 70]
    assert frame_durations_ms(ds, [0, 1, 2]) == [50, 70, 70]
    gif = Image.open(BytesIO(render(ds, image_format="gif", animate=True, frames=(0, 1, 2)).images[0]))
    assert [gif.seek(i) or gif.info["duration"] for i in range(3)] == [50, 70, 70]


@pytest.mark.parametrize("frame_time, expected", [("nan", 100), ("inf", 100), ("-5", 100), ("0", 100), ("1e9", 655350)])
def test_odd_frame_times_give_a_default_or_the_longest_gif_duration(frame_time, expected):
    ds = read("emri_small.dcm")
    ds.FrameTime = frame_time
    assert frame_durations_ms(ds, [0]) == [expected]
    assert len(render(ds, image_format="gif", animate=True, frames=(0, 1)).images) == 1


def huge_declared_dataset() -> Dataset:
    """65535 x 65535 x 1000 frames declared, 3 bytes of RLE pixel data present."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
    ds.Rows = ds.Columns = 65535
    ds.NumberOfFrames = 1000
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 16, 16, 15
    ds.PixelRepresentation, ds.PhotometricInterpretation = 0, "MONOCHROME2"
    ds.PixelData = encapsulate([b"\x00\x00\x00"])
    ds["PixelData"].VR = "OB"
    return ds


def test_budget_is_checked_from_declared_sizes_before_decoding():
    ds = huge_declared_dataset()
    with pytest.raises(LimitExceededError) as raised:
        check_pixel_budget(ds, LIMITS)
    assert raised.value.limit == "max_decoded_bytes"
    with pytest.raises(LimitExceededError):  # raised before the first frame is decoded
        stream.render(ds, RenderOptions(frames=(0,)), LIMITS, IN_THREAD)
    check_pixel_budget(read("CT_small.dcm"), LIMITS)  # a normal file passes


def rle_frame_that_panics_pylibjpeg_rle() -> Dataset:
    """MR_small_RLE with 3 header bytes changed (a seeded mutation): pylibjpeg-rle panics on it."""
    ds = read("MR_small_RLE.dcm")
    frame = bytearray(get_frame(ds.PixelData, 0, number_of_frames=1))
    for position, value in ((1, 174), (8, 186), (0, 209)):
        frame[position] = value
    ds.PixelData = encapsulate([bytes(frame)])
    return ds


def test_a_decoder_panic_is_a_base_exception_and_becomes_an_error():
    ds = rle_frame_that_panics_pylibjpeg_rle()
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    with pytest.raises(BaseException) as raised:
        decoder.as_array(ds, index=0, decoding_plugin="pylibjpeg")
    assert not isinstance(raised.value, Exception)  # pyo3's PanicException
    result = render(ds)  # pydicom's own RLE decoder then rejects the frame too
    assert result.images == [] and result.rendering is None
    assert result.error.startswith("Frame 1 could not be decoded (RLE Lossless)")
    assert "PanicException" in result.error


def corpus_bytes(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def test_isolated_rendering_spreads_frames_and_keeps_their_order():
    data = corpus_bytes("emri_small.dcm")
    options = RenderOptions(frames=(9, 0, 4, 2, 7))
    isolated = render_bytes_isolated(data, options, LIMITS)
    assert isolated.error is None
    assert isolated.images == render(read("emri_small.dcm"), frames=options.frames).images
    animated = render_bytes_isolated(data, RenderOptions(image_format="gif", animate=True), LIMITS)
    assert Image.open(BytesIO(animated.images[0])).n_frames == 10


def test_isolated_rendering_checks_options_and_budget_in_the_caller():
    with pytest.raises(InvalidOptionError):
        render_bytes_isolated(corpus_bytes("CT_small.dcm"), RenderOptions(frames=(1,)), LIMITS)
    with pytest.raises(LimitExceededError):
        render_bytes_isolated(corpus_bytes("CT_small.dcm"), RenderOptions(), Limits(max_decoded_bytes=1000))
    assert render_bytes_isolated(corpus_bytes("rtplan.dcm"), RenderOptions(), LIMITS).error.startswith(
        "No pixel data in this file"
    )


def test_a_frame_over_its_time_is_given_up_and_the_pool_recovers():
    data = corpus_bytes("RG3_J2KI.dcm")  # 1760 x 1760 JPEG 2000: far more than 1 ms to decode
    started = time.monotonic()
    slow = render_bytes_isolated(data, RenderOptions(), Limits(frame_timeout_seconds=0.001))
    assert slow.images == [] and "given up" in slow.error
    assert time.monotonic() - started < 2
    assert len(render_bytes_isolated(data, RenderOptions(), LIMITS).images) == 1


def test_a_file_over_its_total_time_is_given_up_however_many_frames():
    data = corpus_bytes("RG3_J2KI.dcm")
    slow = render_bytes_isolated(data, RenderOptions(), Limits(frame_timeout_seconds=1000, render_timeout_seconds=0.001))
    assert slow.images == [] and "given up" in slow.error
    assert len(render_bytes_isolated(data, RenderOptions(), LIMITS).images) == 1


def test_a_worker_killed_by_a_signal_does_not_break_later_requests():
    data = corpus_bytes("MR_small_RLE.dcm")  # encapsulated: decoded in the pool
    assert render_bytes_isolated(data, RenderOptions(), LIMITS).error is None
    assert isolated.get_pool()._processes
    for process in list(isolated.get_pool()._processes.values()):
        os.kill(process.pid, signal.SIGKILL)  # what a native crash in a decoder does to its process
    first = render_bytes_isolated(data, RenderOptions(), LIMITS)
    assert first.images or first.error == "The pixel data crashed the decoder."
    assert len(render_bytes_isolated(data, RenderOptions(), LIMITS).images) == 1


def test_native_pixel_data_renders_without_the_pool():
    isolated.discard_pool(isolated._pool)
    for name in ("CT_small.dcm", "image_dfl.dcm", "MR_small_bigendian.dcm"):
        result = render_bytes_isolated(corpus_bytes(name), RenderOptions(), LIMITS)
        assert result.error is None and result.images == render(name).images, name
    assert isolated._pool is None


def test_a_uid_that_is_no_transfer_syntax_gives_an_image_error():
    ds = read("CT_small.dcm")
    ds.file_meta.TransferSyntaxUID = "1.2.3.4"  # a seeded mutation found this through HTTP
    data = BytesIO()
    ds.save_as(data)
    result = render_bytes_isolated(data.getvalue(), RenderOptions(), LIMITS)
    assert result.images == [] and "transfer syntax" in result.error.lower()


def baseline_gray_jpeg_file(frames: int = 3, **elements) -> bytes:
    """An xa_96f-like file: 8-bit MONOCHROME2 JPEG Baseline frames, window 128/256, every frame different."""
    ramp = np.add.outer(np.arange(32), np.arange(48)).astype(np.uint8) * 2
    fragments = []
    for number in range(frames):
        buffer = BytesIO()
        Image.fromarray(np.roll(ramp, 5 * number, axis=1)).save(buffer, "JPEG", quality=80)
        fragments.append(buffer.getvalue())
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.12.1"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    ds.SOPClassUID, ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPClassUID, "1.2.3.4.5"
    ds.Rows, ds.Columns, ds.NumberOfFrames = 32, 48, frames
    ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 8, 8, 7
    ds.PixelRepresentation, ds.PhotometricInterpretation = 0, "MONOCHROME2"
    ds.WindowCenter, ds.WindowWidth = 128, 256
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    ds.PixelData = encapsulate(fragments)
    ds["PixelData"].VR = "OB"
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def stored_fragments(data: bytes) -> list[bytes]:
    ds = pydicom.dcmread(BytesIO(data))
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))


FILE_WINDOW = {"window": [128.0, 256.0], "voi_source": "file-window", "inverted": False, "color": "grayscale"}


@pytest.mark.parametrize(
    ("file_elements", "options", "rendering"),
    [
        ({}, {}, FILE_WINDOW),
        ({}, {"frames": (2, 0)}, FILE_WINDOW),
        ({}, {"window": (128.0, 256.0)}, {**FILE_WINDOW, "voi_source": "request"}),
        ({"WindowCenter": None, "WindowWidth": None}, {}, {**FILE_WINDOW, "window": None, "voi_source": "none"}),
        ({"RescaleSlope": 1, "RescaleIntercept": 0}, {}, FILE_WINDOW),
    ],
)
def test_identity_rendering_sends_the_stored_jpeg_frames(file_elements, options, rendering):
    data = baseline_gray_jpeg_file(**file_elements)
    stored = stored_fragments(data)
    expected = [stored[index] for index in options.get("frames", range(len(stored)))]
    jpeg = RenderOptions(image_format="jpeg", **options)
    for result in (render_bytes_isolated(data, jpeg, LIMITS), render(pydicom.dcmread(BytesIO(data)), **vars(jpeg))):
        assert result.error is None
        assert result.images == expected
        assert result.rendering == rendering
    rendered_png = render_bytes_isolated(data, RenderOptions(**options), LIMITS)  # the pixels really are unchanged
    assert rendered_png.rendering == rendering
    assert [pixels(image).tolist() for image in rendered_png.images] == [pixels(image).tolist() for image in expected]


@pytest.mark.parametrize(
    ("file_elements", "options"),
    [
        ({}, {"window": (100.0, 200.0)}),
        ({}, {"max_size": 16}),
        ({}, {"quality": 90}),  # asked explicitly: re-encoded at that quality
        ({"WindowWidth": 200}, {}),
        ({"RescaleIntercept": 10}, {}),
        ({"PhotometricInterpretation": "MONOCHROME1"}, {}),
    ],
)
def test_any_change_to_the_pixels_disables_passthrough(file_elements, options):
    data = baseline_gray_jpeg_file(**file_elements)
    result = render_bytes_isolated(data, RenderOptions(image_format="jpeg", **options), LIMITS)
    assert result.error is None and len(result.images) == 3
    for image, stored in zip(result.images, stored_fragments(data)):
        assert image != stored
        assert Image.open(BytesIO(image)).format == "JPEG"
    assert render_bytes_isolated(data, RenderOptions(image_format="png"), LIMITS).images[0].startswith(b"\x89PNG")


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 1), (3, 4, 3), (64, 48)])
@pytest.mark.parametrize("level", [0, 1, 9])
def test_png_encoder_round_trips_gray_and_rgb(shape, level):
    values = np.random.default_rng(sum(shape) + level).integers(0, 256, shape, dtype=np.uint8)
    encoded = encode_png(Image.fromarray(values), level)
    decoded = Image.open(BytesIO(encoded))
    assert decoded.format == "PNG" and decoded.mode == ("RGB" if len(shape) == 3 else "L")
    np.testing.assert_array_equal(np.asarray(decoded), values)


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "JPEG2000.dcm"])
def test_the_pool_and_this_thread_make_the_same_images(name):
    data = corpus_bytes(name)
    ds = read_dataset(data, LIMITS)
    in_pool = stream.render(ds, RenderOptions(), LIMITS, isolated.WORKER_POOL).collect()
    assert in_pool == stream.render(ds, RenderOptions(), LIMITS, IN_THREAD).collect()
    assert in_pool.error is None and in_pool.images


def jpeg_file_with_a_broken_frame(broken: int, frames: int = 4) -> bytes:
    ds = pydicom.dcmread(BytesIO(baseline_gray_jpeg_file(frames)))
    fragments = list(generate_frames(ds.PixelData, number_of_frames=frames))
    fragments[broken] = b"\xff\xd8 not a JPEG at all"
    ds.PixelData = encapsulate(fragments)
    out = BytesIO()
    ds.save_as(out)
    return out.getvalue()


@pytest.mark.parametrize("executor", ["pool", "thread"])
def test_a_frame_that_fails_after_others_keeps_them_and_names_the_missing_frames(executor):
    data = jpeg_file_with_a_broken_frame(broken=2)
    ds = read_dataset(data, LIMITS)
    chosen = isolated.WORKER_POOL if executor == "pool" else IN_THREAD
    result = stream.render(ds, RenderOptions(frames=(3, 0, 2, 1)), LIMITS, chosen).collect()
    assert len(result.images) == 2 and result.rendering is not None  # frames 4 and 1 were made
    assert result.missing_frames == [3, 2]  # 1-based, in the order asked
    assert "Frame 3 could not be decoded" in result.error


@pytest.mark.internal_error_expected
def test_a_bug_of_ours_is_logged_with_a_reference_and_no_values(monkeypatch, caplog):
    def buggy(ds, group, options):
        raise TypeError(f"'<' not supported for {ds.PatientName}")

    monkeypatch.setattr(stream, "render_group", buggy)
    result = render("CT_small.dcm")
    assert result.images == [] and result.missing_frames == [1]
    assert result.error.startswith("Internal error") and "reference" in result.error
    (record,) = [record for record in caplog.records if record.name == "dicom_core.internal_error"]
    assert record.levelname == "ERROR"
    reference = result.error.split("reference ")[1].split(")")[0]
    logged = record.getMessage()
    assert reference in logged and "TypeError" in logged and "buggy" in logged  # where, and what kind
    assert str(read("CT_small.dcm").PatientName) not in logged


def test_a_request_whose_pool_another_request_discards_renders_on_a_new_one():
    data = corpus_bytes("RG3_J2KI.dcm")  # a few hundred ms in the pool
    isolated.get_pool()
    with ThreadPoolExecutor(1) as requests:
        pending = requests.submit(render_bytes_isolated, data, RenderOptions(), LIMITS)
        time.sleep(0.05)
        isolated.discard_pool(isolated._pool)  # what another request's timeout does
        result = pending.result()
    assert result.error is None and len(result.images) == 1


def test_a_call_whose_pool_another_request_discards_runs_again_on_a_new_one():
    """What a transcode meets when another request's file crashes or stalls the pool meanwhile."""
    isolated.get_pool()
    with ThreadPoolExecutor(1) as requests:
        started = time.monotonic()
        pending = requests.submit(isolated.call_in_pool, time.sleep, 0.3, timeout=10)
        time.sleep(0.1)
        isolated.discard_pool(isolated._pool)  # what another request's crash or timeout does
        assert pending.result() is None  # not WorkerCrashed: this call did nothing wrong
    assert time.monotonic() - started >= 0.3 + 0.1


def test_a_call_that_takes_its_pool_down_is_a_crash():
    with pytest.raises(isolated.WorkerCrashed):
        isolated.call_in_pool(os._exit, 1, timeout=10)
    assert isolated.call_in_pool(abs, -2, timeout=10) == 2  # the next call has a fresh pool


def test_a_request_whose_pool_another_request_discards_between_two_images_goes_on_on_a_new_one():
    ds = read_dataset(baseline_gray_jpeg_file(frames=2 * isolated.TASKS_IN_FLIGHT), LIMITS)
    expected = stream.render(ds, RenderOptions(image_format="png"), LIMITS, IN_THREAD).collect().images
    images = stream.render(ds, RenderOptions(image_format="png"), LIMITS, isolated.WORKER_POOL)
    iterated = iter(images)
    first = next(iterated)  # the answer is being sent, the next frames in flight and the rest to send
    isolated.discard_pool(isolated._pool)  # what another request's timeout does meanwhile
    assert [first, *iterated] == expected and images.error is None
