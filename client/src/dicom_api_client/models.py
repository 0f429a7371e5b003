"""Typed results: what the API answers, as objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

__all__ = [
    "Frame",
    "Rendering",
    "ReadResult",
    "Skipped",
    "ZipResult",
    "DailyCount",
    "EndpointUsage",
    "Usage",
    "ApiKey",
    "NewApiKey",
    "Profile",
    "JobProgress",
    "JobStatus",
]

EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}


@dataclass(frozen=True)
class Frame:
    """One rendered frame: its 1-based number, its format (`PNG`, `JPEG`, `GIF`), and its bytes,
    held in memory or written to `path` as it arrived."""

    number: int
    format: str
    path: Path | None = None
    content: bytes | None = field(default=None, repr=False)

    @property
    def data(self) -> bytes:
        if self.content is not None:
            return self.content
        assert self.path is not None
        return self.path.read_bytes()

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.format.upper(), self.format.lower())


@dataclass(frozen=True)
class Rendering:
    """How the frames were rendered: the VOI window used and where it came from."""

    window: tuple[float, float] | None
    voi_source: str
    inverted: bool
    color: str

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Rendering:
        window = value.get("window")
        return cls(
            window=(float(window[0]), float(window[1])) if window else None,
            voi_source=str(value.get("voi_source", "")),
            inverted=bool(value.get("inverted", False)),
            color=str(value.get("color", "")),
        )


@dataclass
class ReadResult:
    """One DICOM file read: its metadata (keyword -> value as the API gives it), its frames, how
    they were rendered, and `image_error` when there is nothing to show, or when frames failed
    after earlier ones were sent (`missing_frames` then lists their 1-based numbers).
    `name` is the zip member's path (None for a single upload); `safe_name` is that path made
    safe to use as a relative file name."""

    metadata: dict[str, Any]
    frames: list[Frame]
    image_format: str | None = None
    rendering: Rendering | None = None
    image_error: str | None = None
    missing_frames: list[int] = field(default_factory=list)
    name: str | None = None
    safe_name: str | None = None
    # Keys the service added after the images that this client does not know (kept, not lost).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> list[ReadResult]:
        """[self]: so code handles a single file and a zip alike."""
        return [self]

    @property
    def skipped(self) -> list[Skipped]:
        return []

    def to_json(self) -> dict[str, Any]:
        """The object the API answered, without the images (what `dicom-api read` writes)."""
        body: dict[str, Any] = {} if self.name is None else {"name": self.name}
        body.update(self.metadata)
        if self.image_format is not None:
            body["ImageFormat"] = self.image_format
        if self.rendering is not None:
            body["Rendering"] = {
                "window": list(self.rendering.window) if self.rendering.window else None,
                "voi_source": self.rendering.voi_source,
                "inverted": self.rendering.inverted,
                "color": self.rendering.color,
            }
        if self.image_error is not None:
            body["ImageError"] = self.image_error
        if self.missing_frames:
            body["MissingFrames"] = self.missing_frames
        body.update(self.extra)
        return body


@dataclass(frozen=True)
class Skipped:
    """A zip member that was not read, and why."""

    name: str
    reason: str


@dataclass
class ZipResult:
    """A zip read: one ReadResult a DICOM member, and the members skipped."""

    files: list[ReadResult]
    skipped: list[Skipped]


@dataclass(frozen=True)
class DailyCount:
    day: date
    count: int


@dataclass(frozen=True)
class EndpointUsage:
    count: int
    quota: int
    remaining: int


@dataclass(frozen=True)
class Usage:
    """This calendar month (UTC): calls per day (days with calls only) and per endpoint."""

    daily_activity: list[DailyCount]
    monthly_total: int
    by_endpoint: dict[str, EndpointUsage]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Usage:
        return cls(
            daily_activity=[DailyCount(date.fromisoformat(day["day"]), int(day["count"])) for day in body["daily_activity"]],
            monthly_total=int(body["monthly_total"]),
            by_endpoint={
                path: EndpointUsage(int(item["count"]), int(item["quota"]), int(item["remaining"]))
                for path, item in body.get("by_endpoint", {}).items()
            },
        )


@dataclass(frozen=True)
class ApiKey:
    """A key as listed: never its secret."""

    id: int
    name: str
    prefix: str
    created: str


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: `key` is the full secret, shown this once."""

    id: int
    name: str
    key: str


@dataclass(frozen=True)
class Profile:
    purpose: str
    organization: str
    data: dict[str, Any] = field(default_factory=dict, repr=False)  # every field the server sent

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Profile:
        return cls(purpose=body.get("purpose", ""), organization=body.get("organization", ""), data=dict(body))


@dataclass(frozen=True)
class JobProgress:
    files_total: int | None
    files_done: int
    frames_done: int


TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled", "expired"})


@dataclass(frozen=True)
class JobStatus:
    """A job's status resource as the server last sent it."""

    id: str
    status: str
    progress: JobProgress
    created: str | None
    started: str | None
    finished: str | None
    expires: str | None
    error: str | None
    status_url: str | None
    results_url: str | None
    archive_url: str | None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> JobStatus:
        progress = body.get("progress") or {}
        return cls(
            id=str(body["id"]),
            status=str(body["status"]),
            progress=JobProgress(progress.get("files_total"), int(progress.get("files_done") or 0), int(progress.get("frames_done") or 0)),
            created=body.get("created"),
            started=body.get("started"),
            finished=body.get("finished"),
            expires=body.get("expires"),
            error=body.get("error"),
            status_url=body.get("status_url"),
            results_url=body.get("results_url"),
            archive_url=body.get("archive_url"),
        )
