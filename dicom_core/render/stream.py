"""The one render entry point: every check once, then the images one at a time, from an executor.

    images = render(ds, options, limits, executor_for(ds, isolated=True))  # raises now
    for image in images: ...  # rendered as iterated: memory holds a frame or two, not the file's answer

An executor makes the images of a FramePlan: IN_THREAD here (numpy-only data: nothing native can
crash), or the worker pool (isolated.py) for native decoders. Stored JPEG frames sent as they are
need no executor.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from pydicom.dataset import Dataset

from dicom_core.internal_errors import InternalError, internal_error_message, log_internal_error, report_of
from dicom_core.limits import Limits
from dicom_core.render.decode import UndecodableFrameError, transfer_syntax
from dicom_core.render.options import RenderOptions
from dicom_core.render.passthrough import stored_jpeg_frames
from dicom_core.render.pipeline import FramePlan, RenderedImage, plan_frames, render_group


class Executor(Protocol):
    def images(
        self, ds: Dataset, options: RenderOptions, limits: Limits, groups: tuple[tuple[int, ...], ...]
    ) -> Iterator[RenderedImage]:
        """One image a group, in order; raises UndecodableFrameError for a frame no decoder reads."""


class InThread:
    def images(self, ds, options, limits, groups):
        for group in groups:
            yield render_group(ds, group, options)


IN_THREAD = InThread()


def is_read_by_numpy_alone(ds: Dataset) -> bool:
    """Native (uncompressed or deflated) pixel data, or a UID that is no transfer syntax (no
    decoder runs: decode_frame says so); encapsulated pixel data goes to the pool."""
    uid = transfer_syntax(ds)
    return not uid.is_transfer_syntax or not uid.is_encapsulated


def executor_for(ds: Dataset, *, isolated: bool) -> Executor:
    """The pool when a native decoder is needed and isolation is asked; else this thread."""
    if not isolated or is_read_by_numpy_alone(ds):
        return IN_THREAD
    from dicom_core.render.isolated import WORKER_POOL  # the pool's module starts processes: not for the CLI

    return WORKER_POOL


@dataclass
class RenderResult:
    """An ImageStream read whole (tests, the CLI's small files)."""

    images: list[bytes]
    rendering: dict | None
    error: str | None
    missing_frames: list[int] = field(default_factory=list)


class ImageStream:
    """One file's images, rendered as they are iterated, in the order asked.

    After (or during) iteration: `rendering` describes the first image; when a frame fails,
    iteration stops, `error` says why and `missing_frames` lists the 1-based frames without an
    image (the images already given stay valid). With no pixel data, `error` is set from the
    start and nothing is iterated.
    """

    def __init__(self, image_format: str, plan: FramePlan, images: Iterator[RenderedImage]):
        self.image_format = image_format
        self.rendering: dict | None = None
        self.error: str | None = plan.no_image_reason
        self.missing_frames: list[int] = []
        self._groups = plan.groups
        self._images = images

    def __iter__(self) -> Iterator[bytes]:
        done = 0
        try:
            for rendered in self._images:
                if self.rendering is None:
                    self.rendering = rendered.rendering
                done += 1
                yield rendered.image
        except UndecodableFrameError as exc:  # the file's fault: a decoder could not read it
            self._fail(str(exc), done)
        except InternalError as exc:  # a bug of ours, met in a worker process
            self._fail(internal_error_message(log_internal_error(exc.report)), done)
        except Exception as exc:  # a bug of ours, met here: logged, never the file's fault
            self._fail(internal_error_message(log_internal_error(report_of(exc))), done)

    def _fail(self, reason: str, done: int) -> None:
        self.error = reason
        self.missing_frames = [index + 1 for group in self._groups[done:] for index in group]

    def collect(self) -> RenderResult:
        images = list(self)
        return RenderResult(images, self.rendering, self.error, self.missing_frames)


def render(ds: Dataset, options: RenderOptions, limits: Limits, executor: Executor) -> ImageStream:
    """The images of `ds` (a parsed DICOM file, read_dataset's checks made), made lazily by `executor`.

    Raises now, before anything is rendered, for the caller's fault or a limit:
    InvalidOptionError (a frame the file does not have), LimitExceededError (declared pixel bytes).
    """
    plan = plan_frames(ds, options, limits)
    if plan.no_image_reason is not None:
        return ImageStream(options.image_format, plan, iter(()))
    stored = stored_jpeg_frames(ds, options, [index for group in plan.groups for index in group])
    images = iter(stored) if stored is not None else executor.images(ds, options, limits, plan.groups)
    return ImageStream(options.image_format, plan, images)
