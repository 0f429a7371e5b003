"""Rendering in worker processes, so that a decoder that crashes natively or stalls costs
one file its images (an error within a bounded time), never the calling worker.

The pool is started once per process (spawned, not forked: decoders' threads and locks do not
survive a fork) and reused. Each task renders one image (a frame, or an animated GIF) and is
sent what that needs only: the dataset without its pixel data (parsed once, by the request,
with reading.read_dataset's checks) and the stored bytes of its frames. A worker parses
nothing and holds a frame; the request holds the file and a few frames in flight, whose images
are given back in order as they come. A pool broken by a crash, or holding a stalled frame,
is killed and replaced.
"""

import multiprocessing
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from concurrent.futures.process import BrokenProcessPool

from pydicom.dataset import Dataset
from pydicom.encaps import get_frame

from dicom_core.internal_errors import InternalError, report_of
from dicom_core.limits import Limits
from dicom_core.render.decode import UndecodableFrameError
from dicom_core.render.frames import PIXEL_DATA_KEYWORDS, frame_count
from dicom_core.render.options import RenderOptions
from dicom_core.render.pipeline import RenderedImage, render_group

WORKER_PROCESSES = 2
TASKS_IN_FLIGHT = 2 * WORKER_PROCESSES  # both workers busy, and the next task queued for each
# Not sent to a render process: the pixel data (sent a frame at a time) and what locates frames in it.
_NOT_IN_HEADER = frozenset(PIXEL_DATA_KEYWORDS + ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"))

_ITEM = b"\xfe\xff\x00\xe0"  # (FFFE,E000), little endian as every encapsulated syntax
_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


class WorkerPool:
    """The executor for native decoders (see stream.py); encapsulated pixel data only."""

    def images(self, ds, options, limits, groups) -> Iterator[RenderedImage]:
        header = header_of(ds)
        tasks = ((group, [stored_frame(ds, index) for index in group]) for group in groups)
        return images_in_pool(header, tasks, options, limits)


WORKER_POOL = WorkerPool()


def header_of(ds: Dataset) -> Dataset:
    """`ds` without its pixel data: a few KB to send with each frame."""
    header = Dataset({element.tag: element for element in ds if element.keyword not in _NOT_IN_HEADER})
    header.file_meta = ds.file_meta
    return header


def stored_frame(ds: Dataset, index: int) -> bytes:
    """Frame `index`'s stored bytes (its fragments joined); UndecodableFrameError when the
    encapsulation does not say where it is."""
    offsets = None
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        offsets = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    try:
        return get_frame(ds.PixelData, index, number_of_frames=frame_count(ds), extended_offsets=offsets)
    except (ValueError, struct.error) as exc:  # pydicom: the fragments or offsets do not give this frame
        raise UndecodableFrameError(f"Frame {index + 1} cannot be found in the encapsulated pixel data: {exc}") from None


def images_in_pool(
    header: Dataset, tasks: Iterator[tuple[tuple[int, ...], list[bytes]]], options: RenderOptions, limits: Limits
) -> Iterator[RenderedImage]:
    """Each task's image in order. A crash or an image slower than limits.frame_timeout_seconds
    a frame (or a file slower than limits.render_timeout_seconds) raises UndecodableFrameError."""
    deadline = time.monotonic() + limits.render_timeout_seconds
    retried = False
    pending = deque()  # (task, the pool it was sent to, its future), in order

    def send(task):
        group, frames = task
        return (task, *submit(render_in_worker, header, frames, group, options))

    try:
        while True:
            while len(pending) < TASKS_IN_FLIGHT and (task := next(tasks, None)) is not None:
                pending.append(send(task))
            if not pending:
                return
            (group, frames), pool, future = pending[0]
            timeout = min(limits.frame_timeout_seconds * len(group), deadline - time.monotonic())
            try:
                image = future.result(timeout=max(timeout, 0))
            except FutureTimeoutError:
                discard_pool(pool)
                raise UndecodableFrameError("Rendering took too long and was given up.") from None
            except (BrokenProcessPool, CancelledError):
                if retried or _pool is pool:  # this file took the pool down
                    discard_pool(pool)
                    raise UndecodableFrameError("The pixel data crashed the decoder.") from None
                # another request's file took the pool down: once more, from this image on
                retried = True
                pending = deque(send(task) for task, _, _ in pending)
                continue
            pending.popleft()
            yield image
    finally:
        for _, _, future in pending:
            future.cancel()


def submit(function, *args) -> tuple[ProcessPoolExecutor, Future]:
    """function(*args) (picklable, importable by name) sent to the worker pool, and the pool that
    took it (to discard if the call stalls or crashes it). A pool that takes no more work (broken
    by another request's crash, or discarded since) is replaced by a fresh one, once."""
    pool = get_pool()
    try:
        return pool, pool.submit(function, *args)
    except (BrokenProcessPool, RuntimeError):  # RuntimeError: shut down by discard_pool meanwhile
        discard_pool(pool)
    pool = get_pool()
    return pool, pool.submit(function, *args)


class WorkerTimedOut(Exception):
    """The call outlasted its time; the pool that ran it was killed."""


class WorkerCrashed(Exception):
    """The process running the call died (a native crash)."""


def call_in_pool(function, *args, timeout: float):
    """function(*args) (picklable, importable by name) in the worker pool; what it raises is raised
    here. Raises WorkerTimedOut or WorkerCrashed, the pool replaced. As images_in_pool does, a call
    whose pool another request's file took down while it ran (that request replaced it already)
    runs once more, on a fresh pool: only a call that takes the pool down itself is a crash."""
    retried = False
    while True:
        pool = None  # when submit raises (the fresh pool broken too): a crash, that pool discarded by the next call
        try:
            pool, future = submit(function, *args)
            return future.result(timeout=timeout)
        except FutureTimeoutError:
            discard_pool(pool)
            raise WorkerTimedOut() from None
        except (BrokenProcessPool, CancelledError):
            if retried or pool is None or _pool is pool:  # this call took the pool down
                discard_pool(pool)
                raise WorkerCrashed() from None
            retried = True  # another request's file took it down while this call ran: once more


def encapsulated(frames: list[bytes]) -> bytes:
    """The frames as encapsulated pixel data: an empty Basic Offset Table, one fragment a frame
    (padded to even length), the sequence delimiter. (pydicom's encapsulate refuses an empty frame.)"""
    items = [_ITEM + struct.pack("<L", 0)]
    for frame in frames:
        padded = frame + b"\0" * (len(frame) % 2)
        items += [_ITEM, struct.pack("<L", len(padded)), padded]
    return b"".join([*items, _SEQUENCE_DELIMITER])


def render_in_worker(header: Dataset, frames: list[bytes], group: tuple[int, ...], options: RenderOptions) -> RenderedImage:
    """One image from the group's stored frames. Raises UndecodableFrameError (the file's fault)
    or InternalError (a report of our bug without its message: it could quote patient data)."""
    try:
        header.PixelData = encapsulated(frames)
        header["PixelData"].VR = "OB"
        header.NumberOfFrames = len(frames)
        return render_group(header, group, options, frames_alone=True)
    except UndecodableFrameError:
        raise
    except Exception as exc:
        raise InternalError(report_of(exc)) from None


def get_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=WORKER_PROCESSES,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=import_renderer,
            )
        return _pool


def import_renderer() -> None:
    """Pay the imports (pydicom, numpy, Pillow, decoders) when a worker starts, not on a request,
    and keep pydicom's messages (they quote element values) out of its output."""
    import dicom_core.reading  # noqa: F401
    import dicom_core.render.pipeline  # noqa: F401
    from dicom_core.logging_safety import silence_pydicom_logging

    silence_pydicom_logging()


def discard_pool(pool: ProcessPoolExecutor | None) -> None:
    """Kill the pool's processes (a stalled decoder ignores everything else) and forget it."""
    global _pool
    if pool is None:
        return
    with _pool_lock:
        if _pool is pool:
            _pool = None
    # Python 3.11 has no public way to kill a pool's workers (3.14 adds terminate_workers).
    for process in list((pool._processes or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
