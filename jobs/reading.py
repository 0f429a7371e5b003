"""The synchronous read's core as the jobs use it, file by file: the one place that knows how
the jobs call dicom_core, so a change of the core's entry point is adapted here alone."""

import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from io import SEEK_END
from typing import BinaryIO

from dicom_api.answer import file_chunks
from dicom_core.archive import SkippedMember
from dicom_core.errors import MalformedInputError
from dicom_core.limits import Limits
from dicom_core.options import ReadOptions
from dicom_core.read import FileReading, elements_to_convert, iter_dicom_members, member_reader, read_one
from dicom_core.reading import is_zip
from dicom_core.render import PixelBudget, RenderOptions, declared_pixel_bytes, frame_count
from dicom_core.render.frame_reader import NativeFrames, layout_holds, native_frames, native_frames_from_head, render_native_frames


# A single upload longer than this is planned from its header when that ends within these first
# bytes (planned_from_head): its parts are sent without the whole file being read first.
HEAD_BYTES = 1 << 20


def read_options_to_json(options: ReadOptions) -> dict:
    return asdict(options)


def read_options_from_json(data: dict) -> ReadOptions:
    """The inverse of read_options_to_json (JSON has lists where the options have tuples)."""
    tupled = lambda values: {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}  # noqa: E731
    render = RenderOptions(**tupled(data["render"]))
    return ReadOptions(**{**tupled({k: v for k, v in data.items() if k != "render"}), "render": render})


class JobUidMap(dict):
    """The anonymizer's old UID -> new UID map, the same in every task of one job: each new UID
    is derived from the old one and the job's salt (2.25.<128-bit number>, as generate_uid makes),
    so members and frames read by different workers still make one study."""

    def __init__(self, salt: str):
        super().__init__()
        self.salt = salt.encode()

    def __contains__(self, uid) -> bool:
        return True  # every UID has its new UID already: __missing__ derives it

    def __missing__(self, uid: str) -> str:
        digest = hmac.digest(self.salt, uid.encode(), hashlib.sha256)
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"


def read_job_part(
    open_file: Callable[[], BinaryIO], name: str, options: ReadOptions, limits: Limits, uid_salt: str,
    frames: tuple[int, ...] | None, layout: NativeFrames | None, first: bool,
) -> bytes:
    """One part of a file as JSON: its object as the synchronous read's own answer code writes it
    (with `name`, as a zip member's), `frames` (0-based) narrowing the frames when a long file is
    read in parts. A later part of a long native file reads the file's header and its own frames
    alone (frame_reader.py; its images alone, since a file's metadata is its first part's); the
    first part reads the whole file and checks that the layout the planner found holds (it may
    have read the header alone). Raises what the core raises."""
    if layout is not None and not first:
        with open_file() as file:
            images = render_native_frames(file, layout, replace(options.render, frames=frames), limits)
            return b"".join(file_chunks(FileReading({}, images), {"name": name}))
    with open_file() as file:
        data = file.read()
    if frames is not None:
        options = replace(options, render=replace(options.render, frames=frames))
    answer = b"".join(file_chunks(read_one(data, options, limits, JobUidMap(uid_salt)), {"name": name}))
    if layout is not None and not layout_holds(data, layout):
        raise MalformedInputError("An element that rendering reads is stored after the pixel data: the file cannot be read in parts.")
    return answer


@dataclass(frozen=True)
class PlannedFile:
    name: str
    data: bytes | None  # a zip member's bytes, to be stored on its own; None: the upload itself is the file
    frames: tuple[int, ...]  # the frames to render (0-based), empty when none are
    pixel_bytes: int = 0  # declared decoded bytes of all its frames (0 when images are not asked)
    frame_bytes: int = 0  # declared decoded bytes of one frame
    layout: NativeFrames | None = None  # where its frames lie, when it is split and they lie at fixed places

    def parts(self, options: ReadOptions, frames_per_part: int) -> list[tuple[int, ...] | None]:
        """The frames of each part: None (one part, as asked) unless a long file is split;
        an animated GIF is one image, so never split."""
        if options.render.animate or len(self.frames) <= frames_per_part:
            return [None]
        return [self.frames[start : start + frames_per_part] for start in range(0, len(self.frames), frames_per_part)]


def plan_files(upload: BinaryIO, name: str, options: ReadOptions, limits: Limits, frames_per_part: int) -> Iterator[PlannedFile | SkippedMember]:
    """The upload's DICOM files (a zip's members, or the upload itself) and the frames each will
    render, or why a member is skipped, as the synchronous read decides. `upload` is a seekable
    file: a zip is read from it one member at a time, never whole. Raises the core's errors for
    the upload as a whole (not DICOM nor zip, a zip limit)."""
    if not is_zip(upload.read(4)):
        upload.seek(0)
        head = upload.read(HEAD_BYTES)
        from_head = planned_from_head(name, head, upload.seek(0, SEEK_END), options, limits, frames_per_part)
        if from_head is not None:
            yield from_head
            return
        upload.seek(len(head))
        data = head + upload.read()
        yield planned(name, data, member_reader(options, limits)(data), options, frames_per_part, stored=False)
        return
    for member in iter_dicom_members(upload, limits, member_reader(options, limits)):
        if isinstance(member, SkippedMember):
            yield member
        else:
            yield planned(member.name, member.data, member.dataset, options, frames_per_part, stored=True)


def planned(
    name: str, data: bytes, dataset, options: ReadOptions, frames_per_part: int, *, stored: bool, layout: NativeFrames | None = None
) -> PlannedFile:
    """`stored`: the file is to be stored on its own (a zip's member), else the upload is the file.
    `layout`: where its frames lie, when known already (else found here for a file split in parts)."""
    kept = data if stored else None
    if not options.images:
        return PlannedFile(name, kept, ())
    asked = options.render.frames
    frames = tuple(asked) if asked is not None else tuple(range(frame_count(dataset)))
    pixel_bytes = declared_pixel_bytes(dataset)
    file = PlannedFile(name, kept, frames, pixel_bytes, pixel_bytes // max(frame_count(dataset), 1))
    if len(file.parts(options, frames_per_part)) > 1:
        return replace(file, layout=layout or native_frames(data, dataset))
    return file


def planned_from_head(name: str, head: bytes, size: int, options: ReadOptions, limits: Limits, frames_per_part: int) -> PlannedFile | None:
    """A long native upload planned from its header alone (native_frames_from_head), so that its
    parts are sent without the planner reading the whole file first; None when it is not one (a
    short file, one part, compressed frames, a header longer than HEAD_BYTES): the whole file is
    read then. The whole file is judged (limits, errors) by its first part, which reads it all."""
    if len(head) == size or not options.images:
        return None
    found = native_frames_from_head(head, size, limits, elements_to_convert(options))
    if found is None:
        return None
    header, layout = found
    file = planned(name, head, header, options, frames_per_part, stored=False, layout=layout)
    return file if len(file.parts(options, frames_per_part)) > 1 else None


def job_pixel_budget(max_job_bytes: int, max_frame_bytes: int) -> PixelBudget:
    """A job's decoded-pixel budget, charged file by file as the job is planned, before the file's
    task is sent: a job never decodes more than its budget. A job is meant for whole studies, so
    its files together get their own, larger budget (max_job_bytes, MAX_JOB_DECODED_BYTES) in
    place of the one a synchronous request has for all its files; and since a worker decodes one
    frame at a time, no frame may declare more than that synchronous budget (max_frame_bytes,
    MAX_DECODED_BYTES), which bounds a worker's memory."""
    return PixelBudget(max_job_bytes, "max_job_decoded_bytes", frame_limit=max_frame_bytes)
