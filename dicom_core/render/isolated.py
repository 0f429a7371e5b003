"""Rendering in worker processes, so that a decoder that crashes natively or stalls costs
one file its images (an error within a bounded time), never the calling worker.

The pool is started once per process (spawned, not forked: decoders' threads and locks do not
survive a fork) and reused. One request's file is put once in shared memory; each task renders
one image (a frame, or an animated GIF) and names the shared block, and a worker parses the
file once per request (with reading.read_dataset, the same checked parse as the request's) and
keeps it for that request's next tasks. A few tasks are in flight at a time and their images
are given back in order as they come, so memory holds a few frames, not the file's answer.
A pool broken by a crash, or holding a stalled frame, is killed and replaced.
"""

import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.shared_memory import SharedMemory

from pydicom.dataset import Dataset

from dicom_core.internal_errors import InternalError, report_of
from dicom_core.limits import Limits
from dicom_core.render.decode import UndecodableFrameError
from dicom_core.render.options import RenderOptions
from dicom_core.render.pipeline import RenderedImage, render_group

WORKER_PROCESSES = 2
TASKS_IN_FLIGHT = 2 * WORKER_PROCESSES  # both workers busy, and the next task queued for each

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


class WorkerPool:
    """The executor for native decoders (see stream.py)."""

    def images(self, ds, data, options, limits, groups) -> Iterator[RenderedImage]:
        block = SharedMemory(create=True, size=max(len(data), 1))
        try:
            block.buf[: len(data)] = data
            yield from images_in_pool(block.name, len(data), options, limits, groups)
        finally:
            block.close()
            block.unlink()


WORKER_POOL = WorkerPool()


def images_in_pool(
    block: str, size: int, options: RenderOptions, limits: Limits, groups: tuple[tuple[int, ...], ...]
) -> Iterator[RenderedImage]:
    """Each group's image in order. A crash or an image slower than limits.frame_timeout_seconds
    a frame (or a file slower than limits.render_timeout_seconds) raises UndecodableFrameError."""
    deadline = time.monotonic() + limits.render_timeout_seconds
    next_group, retried = 0, False
    pool, pending = get_pool(), deque()
    try:
        while next_group < len(groups) or pending:
            while next_group < len(groups) and len(pending) < TASKS_IN_FLIGHT:
                group = groups[next_group]
                pending.append((group, submit(pool, block, size, options, limits, group)))
                next_group += 1
            group, future = pending[0]
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
                retried, pool = True, get_pool()
                next_group -= len(pending)
                pending.clear()
                continue
            pending.popleft()
            yield image
    finally:
        for _, future in pending:
            future.cancel()


def submit(pool: ProcessPoolExecutor, block: str, size: int, options, limits, group) -> Future:
    try:
        return pool.submit(render_in_worker, block, size, options, limits, group)
    except BrokenProcessPool:  # broken before this request: a fresh pool, once
        discard_pool(pool)
        return get_pool().submit(render_in_worker, block, size, options, limits, group)


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


# In a worker process: the file of the request it last served, by shared block name.
_parsed: tuple[str, Dataset] | None = None


def render_in_worker(block: str, size: int, options: RenderOptions, limits: Limits, group: tuple[int, ...]) -> RenderedImage:
    """One image. Raises UndecodableFrameError (the file's fault) or InternalError (a report of
    our bug without its message: the message could quote patient data)."""
    try:
        return render_group(dataset_in_block(block, size, limits), group, options)
    except UndecodableFrameError:
        raise
    except Exception as exc:
        raise InternalError(report_of(exc)) from None


def dataset_in_block(block: str, size: int, limits: Limits) -> Dataset:
    global _parsed
    if _parsed is None or _parsed[0] != block:
        from dicom_core.reading import read_dataset

        _parsed = None  # the previous request's file is not kept while this one is read
        # Opening registers the block again with the resource tracker, which spawned workers
        # share with the process that made it (a set of names): its unlink unregisters both.
        shared = SharedMemory(name=block)
        try:
            data = bytes(shared.buf[:size])
        finally:
            shared.close()
        _parsed = (block, read_dataset(data, limits))
    return _parsed[1]


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
