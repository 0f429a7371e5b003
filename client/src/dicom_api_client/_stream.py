"""The read answer parsed as it arrives: ijson's push parser turns each received chunk into JSON
events, and a consumer turns the events into ReadResults. Each frame's base64 string is decoded and
handed to a sink (memory or a folder) as soon as it is complete, so a 13 MB answer is never held
whole, as text or as a parsed document. The same parser serves the sync and the async client (the
caller pushes the chunks) and job result pages (`results` instead of `files`)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import ijson  # type: ignore[import-untyped]  # ijson ships no type information

from dicom_api_client.errors import DicomApiError
from dicom_api_client.models import EXTENSIONS, Frame, ReadResult, Rendering, Skipped, ZipResult

Event = tuple[str, Any]
# A consumer receives events with send() and returns its value through StopIteration.
Consumer = Generator[None, Event, Any]

FILE_LISTS = ("files", "results")  # a zip's answer; a job's result page
# The first key of an answer that lists files (a job's page starts with its paging keys); a
# single file's object starts with a DICOM keyword or tag, never with one of these.
LIST_ANSWER_KEYS = frozenset({*FILE_LISTS, "skipped", "count", "next", "previous"})
_UNSAFE_CHARACTERS = re.compile(r"[^\w.\-]+")
MAX_PART_LENGTH = 120


def safe_relative_name(name: str) -> str:
    """A zip member's attacker-chosen path as a relative path that stays where it is put: both
    slashes separate, drive letters and `..`/`.` parts are dropped, odd characters become `_`.
    `../../x.dcm` -> `x.dcm`, `/abs/y` -> `abs/y`, `C:\\x` -> `C_/x`."""
    parts = []
    for part in re.split(r"[\\/]+", name):
        part = _UNSAFE_CHARACTERS.sub("_", part).strip(". ")
        if part:
            parts.append(part[:MAX_PART_LENGTH])
    return "/".join(parts) or "file"


def path_inside(root: Path, relative: str) -> Path:
    """root/relative, refusing anything that would resolve outside root (belt and braces)."""
    path = root / relative
    if not path.resolve().is_relative_to(root.resolve()):
        raise DicomApiError(f"Refusing to write {relative!r} outside {root}.")
    return path


class SafeNames:
    """Allocates a distinct safe name for each file of an answer (`a/x` and `a\\x` both make
    `a/x`: the second becomes `a/x-2`)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def allocate(self, name: str | None, fallback: str) -> str:
        base = safe_relative_name(name) if name else fallback
        candidate, number = base, 1
        while candidate.lower() in self._used:
            number += 1
            candidate = f"{base}-{number}"
        self._used.add(candidate.lower())
        return candidate


class MemorySink:
    """Frames kept as bytes in their Frame."""

    def frame(self, safe_name: str | None, number: int, image_format: str, data: bytes) -> Frame:
        return Frame(number=number, format=image_format, content=data)


class FolderSink:
    """Frames written as they arrive: one file's to `root/frame-0001.png`; a zip member's to
    `root/<member path made safe>/frame-0001.png`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def frame(self, safe_name: str | None, number: int, image_format: str, data: bytes) -> Frame:
        folder = path_inside(self.root, safe_name) if safe_name else self.root
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"frame-{number:04d}.{EXTENSIONS.get(image_format.upper(), image_format.lower())}"
        path.write_bytes(data)
        return Frame(number=number, format=image_format, path=path)


class AnswerParser:
    """Feed it the answer's bytes chunk by chunk, then close() for the result.

    `on_frame(frame)` is called as each frame lands (progress bars)."""

    def __init__(
        self,
        sink: MemorySink | FolderSink,
        *,
        requested_format: str = "PNG",
        on_frame: Callable[[Frame], None] | None = None,
    ) -> None:
        self._sink = sink
        self._requested_format = requested_format.upper().replace("JPG", "JPEG")
        self._on_frame = on_frame
        self._names = SafeNames()
        self._events = ijson.sendable_list()
        self._parser = ijson.basic_parse_coro(self._events, use_float=True)
        self._consumer = self._answer()
        next(self._consumer)
        self._result: ReadResult | ZipResult | dict[str, Any] | None = None

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.send(chunk)
        except ijson.JSONError as exc:
            raise DicomApiError(f"The server's answer is not valid JSON: {exc}") from None
        self._dispatch()

    def close(self) -> ReadResult | ZipResult | dict[str, Any]:
        try:
            self._parser.close()
        except ijson.JSONError as exc:  # e.g. the connection ended mid-answer
            raise DicomApiError(f"The server's answer ended early or is not valid JSON: {exc}") from None
        self._dispatch()
        if self._result is None:
            raise DicomApiError("The server's answer ended early.")
        return self._result

    def _dispatch(self) -> None:
        for event in self._events:
            try:
                self._consumer.send(event)
            except StopIteration as stop:
                self._result = stop.value
        del self._events[:]

    # The consumers: generators that receive (event, value) pairs.

    def _answer(self) -> Consumer:
        event, value = yield
        if event != "start_map":
            raise DicomApiError("The server's answer is not a JSON object.")
        event, value = yield
        if event == "map_key" and value in LIST_ANSWER_KEYS:
            return (yield from self._file_list_answer(value))
        return (yield from self._file_object(event, value))

    def _file_list_answer(self, first_key: str) -> Consumer:
        """{"files"|"results": [...], "skipped": [...], ...paging keys}."""
        files: list[ReadResult] = []
        skipped: list[Skipped] = []
        others: dict[str, Any] = {}
        event, key = "map_key", first_key
        while event != "end_map":
            if key in FILE_LISTS:
                event, value = yield  # start_array
                event, value = yield
                while event != "end_array":
                    files.append((yield from self._file_object(event, value)))
                    event, value = yield
            else:
                value = yield from self._value(*(yield))
                if key == "skipped":
                    skipped = [Skipped(str(item.get("name", "")), str(item.get("reason", ""))) for item in value]
                else:
                    others[key] = value
            event, key = yield
        if others:  # a job's result page: its paging keys come along
            return {"results": files, "skipped": skipped, **others}
        return ZipResult(files=files, skipped=skipped)

    def _file_object(self, event: str, value: Any) -> Consumer:
        """One file's object, from its first key (or its start_map, inside a list) to its end_map."""
        if event == "start_map":
            event, value = yield
        result = ReadResult(metadata={}, frames=[])
        images_seen = False
        while event != "end_map":
            key = value
            if key == "Images":
                images_seen = True
                yield from self._images(result)
            else:
                item = yield from self._value(*(yield))
                if key == "name" and isinstance(item, str):
                    result.name = item
                elif key == "ImageFormat":
                    result.image_format = item
                elif key == "Rendering" and isinstance(item, dict):
                    result.rendering = Rendering.from_json(item)
                elif key == "ImageError":
                    result.image_error = item
                elif key == "MissingFrames" and isinstance(item, list):
                    result.missing_frames = [int(number) for number in item]
                elif images_seen:
                    result.extra[key] = item
                else:
                    result.metadata[key] = item
            event, value = yield
        self._name(result)
        return result

    def _images(self, result: ReadResult) -> Consumer:
        event, value = yield
        if event != "start_array":
            raise DicomApiError("`Images` in the server's answer is not a list.")
        image_format = result.image_format or self._requested_format
        safe_name = self._name(result)
        while True:
            event, value = yield
            if event == "end_array":
                return
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise DicomApiError("A frame in the server's answer is not base64.") from None
            frame = self._sink.frame(safe_name, len(result.frames) + 1, image_format, data)
            result.frames.append(frame)
            if self._on_frame is not None:
                self._on_frame(frame)

    def _name(self, result: ReadResult) -> str | None:
        """The safe name of a zip member (allocated once); None for a single file."""
        if result.safe_name is None and result.name is not None:
            result.safe_name = self._names.allocate(result.name, "file")
        return result.safe_name

    @staticmethod
    def _value(event: str, value: Any) -> Consumer:
        """One JSON value, from its first event; containers are built with ijson's builder."""
        if event not in ("start_map", "start_array"):
            return value
        builder = ijson.ObjectBuilder()
        builder.event(event, value)
        depth = 1
        while depth:
            event, value = yield
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
        return builder.value
