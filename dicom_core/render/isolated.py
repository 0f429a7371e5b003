"""Rendering in worker processes, so that a decoder that crashes natively or stalls costs
one request its images (an error within a bounded time), never the calling worker.

The pool is started once per process (spawned, not forked: decoders' threads and locks do not
survive a fork) and reused; the frames of one request are spread over its processes, each
re-reading the dataset from the bytes. A pool broken by a crash, or holding a stalled frame,
is killed and replaced.
"""

import multiprocessing
import threading
import time
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from io import BytesIO

from pydicom import dcmread
from pydicom.dataset import Dataset

from dicom_core.limits import Limits
from dicom_core.render.decode import transfer_syntax
from dicom_core.render.frames import check_pixel_budget, has_pixel_data, selected_frames
from dicom_core.render.options import RenderOptions, RenderResult
from dicom_core.render.passthrough import stored_jpeg_frames
from dicom_core.render.pipeline import no_pixel_data_reason, render_dataset

WORKER_PROCESSES = 2

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


class WorkerTimedOut(Exception):
    """The call outlasted its time; the pool that ran it was killed."""


class WorkerCrashed(Exception):
    """The process running the call died (a native crash)."""


def call_in_pool(function, *args, timeout: float):
    """function(*args) (picklable, importable by name) in the worker pool; what it raises is raised
    here. Raises WorkerTimedOut or WorkerCrashed, the pool replaced."""
    for _ in range(2):  # a pool broken by another request before this one: once more on a fresh one
        pool = get_pool()
        try:
            future = pool.submit(function, *args)
        except BrokenProcessPool:
            discard_pool(pool)
            continue
        try:
            return future.result(timeout=timeout)
        except FutureTimeoutError:
            discard_pool(pool)
            raise WorkerTimedOut() from None
        except (BrokenProcessPool, CancelledError):
            discard_pool(pool)
            raise WorkerCrashed() from None
    raise WorkerCrashed()


def render_bytes_isolated(data: bytes, options: RenderOptions, limits: Limits) -> RenderResult:
    """render_isolated on the DICOM file `data`, parsed here."""
    return render_isolated(dcmread(BytesIO(data), force=True), data, options, limits)


def render_isolated(ds: Dataset, data: bytes, options: RenderOptions, limits: Limits) -> RenderResult:
    """render_dataset on `ds` (the file `data` already parsed, with its pixel data), run in the
    worker pool when a native decoder is needed; here when nothing native can crash (native pixel
    data: numpy only) or nothing is decoded (stored JPEG frames sent as they are).

    Raises what render_dataset raises for the caller's fault (InvalidOptionError,
    LimitExceededError), checked here before any work is sent. A crash or a frame slower than
    limits.frame_timeout_seconds (or a file slower than limits.render_timeout_seconds) gives a
    RenderResult with `error`.
    """
    if is_read_by_numpy_alone(ds):
        return render_dataset(ds, options, limits)  # which makes every check below itself
    indexes = selected_frames(ds, options.frames)
    if not has_pixel_data(ds):
        return RenderResult(images=[], rendering=None, error=no_pixel_data_reason(ds))
    check_pixel_budget(ds, limits)
    stored = stored_jpeg_frames(ds, options, indexes)
    if stored is not None:
        return stored
    chunks = [indexes] if options.animate else split_evenly(indexes, WORKER_PROCESSES)
    budget = min(limits.frame_timeout_seconds * max(len(chunk) for chunk in chunks), limits.render_timeout_seconds)
    return render_in_pool(data, options, limits, chunks, time.monotonic() + budget)


def is_read_by_numpy_alone(ds: Dataset) -> bool:
    """Native (uncompressed or deflated) pixel data; anything else, a UID that is no transfer
    syntax included, goes to the pool, whose decoders say why they cannot read it."""
    try:
        return not transfer_syntax(ds).is_encapsulated
    except ValueError:  # pydicom: "UID is not a transfer syntax"
        return False


def split_evenly(indexes: list[int], parts: int) -> list[list[int]]:
    """Contiguous chunks, so the images come back in the order asked."""
    size = -(-len(indexes) // parts) or 1
    return [indexes[start : start + size] for start in range(0, len(indexes), size)] or [[]]


def submit_chunks(
    data: bytes, options: RenderOptions, limits: Limits, chunks: list[list[int]]
) -> tuple[ProcessPoolExecutor, list[Future]] | None:
    """One try, and one more on a fresh pool if the pool had broken before this request."""
    for _ in range(2):
        pool = get_pool()
        try:
            return pool, [
                pool.submit(render_in_worker, data, replace(options, frames=tuple(chunk)), limits)
                for chunk in chunks
            ]
        except BrokenProcessPool:
            discard_pool(pool)
    return None


def render_in_pool(
    data: bytes, options: RenderOptions, limits: Limits, chunks: list[list[int]], deadline: float, *, retry: bool = True
) -> RenderResult:
    submitted = submit_chunks(data, options, limits, chunks)
    if submitted is None:
        return RenderResult(images=[], rendering=None, error="The rendering workers could not be started.")
    pool, futures = submitted
    try:
        return merge([future.result(timeout=max(deadline - time.monotonic(), 0)) for future in futures])
    except FutureTimeoutError:
        discard_pool(pool)
        return RenderResult(images=[], rendering=None, error="Rendering took too long and was given up.")
    except (BrokenProcessPool, CancelledError):
        if retry and _pool is not pool:  # another request's file took the pool down: once more
            return render_in_pool(data, options, limits, chunks, deadline, retry=False)
        discard_pool(pool)
        return RenderResult(images=[], rendering=None, error="The pixel data crashed the decoder.")


def merge(results: list[RenderResult]) -> RenderResult:
    failed = next((result for result in results if result.error), None)
    if failed is not None:
        return failed
    images = [image for result in results for image in result.images]
    return RenderResult(images=images, rendering=results[0].rendering, error=None)


def render_in_worker(data: bytes, options: RenderOptions, limits: Limits) -> RenderResult:
    return render_dataset(dcmread(BytesIO(data), force=True), options, limits)


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
    """Pay the imports (pydicom, numpy, Pillow, decoders) when a worker starts, not on a request."""
    import dicom_core.render.pipeline  # noqa: F401


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
