"""`dicom-api`: the client from the command line.

    dicom-api read FILES_OR_FOLDERS... --out DIR [--format png|jpeg|gif] [--fields A,B] [-j N]
    dicom-api generate IMAGES... --name NAME [--field Keyword=Value ...] [-o FILE]
    dicom-api usage [--json]
    dicom-api job submit FILE [--wait] | status ID | wait ID | download ID --out DIR

The key and the address come from DICOM_API_KEY and DICOM_API_URL (or --api-key, --url). A
failure prints one line to stderr and exits non-zero; never a traceback.
"""

from __future__ import annotations

import argparse
import calendar
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from dicom_api_client._stream import SafeNames, path_inside
from dicom_api_client.client import Client, Job
from dicom_api_client.errors import (
    APIConnectionError,
    APIStatusError,
    Conflict,
    DicomApiError,
    InvalidRequest,
    NotFound,
    ServerError,
    TooLarge,
)
from dicom_api_client.models import JobStatus, ReadResult, Usage, ZipResult

EXIT_FAILURE = 1
stderr = Console(stderr=True)
stdout = Console()


# Inputs and outputs.

@dataclass(frozen=True)
class Input:
    path: Path
    name: str  # relative output name, safe
    in_folder: bool  # found by walking a folder: a file the service cannot read is skipped, as in a zip


def collect_inputs(arguments: Sequence[str]) -> list[Input]:
    """Files as given; folders walked (hidden files left out). A file's name is its base name, a
    folder's files are named by their path from the folder's parent."""
    names = SafeNames()
    inputs: list[Input] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path.parent)
                if found.is_file() and not any(part.startswith(".") for part in relative.parts):
                    inputs.append(Input(found, names.allocate(relative.as_posix(), "file"), in_folder=True))
        elif path.is_file():
            inputs.append(Input(path, names.allocate(path.name, "file"), in_folder=False))
        else:
            raise DicomApiError(f"No such file or folder: {argument}")
    if not inputs:
        raise DicomApiError("No files to read in " + ", ".join(arguments))
    return inputs


def write_json(path: Path, body: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_results(out: Path, name: str, result: ReadResult | ZipResult) -> list[str]:
    """`out/<name>.json` for one file (its frames are in `out/<name>/`); for a zip, each member's
    `out/<name>/<member>.json` and the skipped members in `out/<name>/skipped.json`. Returns the
    JSON files written, relative to `out`."""
    if isinstance(result, ReadResult):
        write_json(path_inside(out, f"{name}.json"), result.to_json())
        return [f"{name}.json"]
    written = write_member_results(path_inside(out, name), result.files)
    if result.skipped:
        write_json(path_inside(out, f"{name}/skipped.json"), [{"name": item.name, "reason": item.reason} for item in result.skipped])
    return [f"{name}/{path}" for path in written]


def write_member_results(folder: Path, files: Sequence[ReadResult]) -> list[str]:
    written = []
    for member in files:
        relative = f"{member.safe_name or 'file'}.json"
        write_json(path_inside(folder, relative), member.to_json())
        written.append(relative)
    return written


class AmountColumn(ProgressColumn):
    """`12/37` for counted tasks, `18.0 MB` and the speed for the bytes task."""

    def __init__(self) -> None:
        super().__init__()
        self._download = DownloadColumn()
        self._speed = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if task.description in ("bytes", "upload"):
            speed = Text("") if task.finished else Text.assemble(" ", self._speed.render(task))
            return Text.assemble(self._download.render(task), speed)
        total = "?" if task.total is None else f"{task.total:.0f}"
        return Text(f"{task.completed:.0f}/{total}", style="progress.download")


def progress_bars() -> Progress:
    """Files, frames and bytes, on stderr when it is a terminal (stdout stays for --json)."""
    return Progress(
        SpinnerColumn(finished_text=" "),
        TextColumn("{task.description:<8}"),
        BarColumn(),
        AmountColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=not stderr.is_terminal,
    )


def finish(bars: Progress, *tasks: TaskID) -> None:
    """Open-ended tasks (frames, bytes) marked complete at their count."""
    for task in bars.tasks:
        if task.id in tasks:
            bars.update(task.id, total=task.completed)


# Commands.

def command_read(client: Client, args: argparse.Namespace) -> int:
    inputs = collect_inputs(args.paths)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    options = read_options(args)
    report: list[dict[str, Any]] = []
    lock = threading.Lock()
    fatal: list[DicomApiError] = []  # an error that would fail every file: reading stops
    with progress_bars() as bars:
        files = bars.add_task("files", total=len(inputs))
        frames = bars.add_task("frames", total=None)
        received = bars.add_task("bytes", total=None)

        def read_one(item: Input) -> dict[str, Any]:
            entry: dict[str, Any] = {"input": str(item.path), "name": item.name}
            if fatal:
                return entry
            try:
                result = client.read(
                    item.path,
                    frames_dir=path_inside(out, item.name),
                    on_frame=lambda frame: bars.advance(frames),
                    on_bytes=lambda size: bars.advance(received, size),
                    **options,
                )
            except DicomApiError as exc:
                if not this_file_at_fault(exc):
                    fatal.append(exc)
                elif item.in_folder and isinstance(exc, InvalidRequest):  # as a zip skips its unreadable members
                    entry["skipped_reason"] = exc.message
                    report_line(f"[yellow]skipped[/] {escape(str(item.path))}: {escape(exc.message)}")
                else:
                    entry["error"] = str(exc)
                    report_line(f"[red]{escape(str(item.path))}[/]: {escape(str(exc))}")
            else:
                entry["outputs"] = write_results(out, item.name, result)
                entry["frames"] = sum(len(member.frames) for member in result.files)
                entry["skipped"] = len(result.skipped)
                for member in result.files:
                    if member.missing_frames:
                        where = escape(f"{item.path}" + (f" ({member.name})" if member.name else ""))
                        report_line(f"[yellow]frames {member.missing_frames} missing[/] from {where}: {escape(member.image_error or '')}")
            bars.advance(files)
            return entry

        def report_line(line: str) -> None:
            with lock:
                bars.console.print(line, highlight=False, soft_wrap=True)

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            report = list(pool.map(read_one, inputs))
        finish(bars, frames, received)
    if fatal:
        raise fatal[0]
    failed = [entry for entry in report if "error" in entry]
    skipped = [entry for entry in report if "skipped_reason" in entry]
    if args.json:
        stdout.print_json(data=report)
    else:
        frame_count = sum(entry.get("frames", 0) for entry in report)
        read_count = len(report) - len(failed) - len(skipped)
        stderr.print(
            f"Read {read_count} of {len(report)} files ({frame_count} frames) into {out}"
            + (f"; skipped {len(skipped)} that are not readable DICOM" if skipped else ""),
            highlight=False, soft_wrap=True,
        )
    if failed and not args.json:
        stderr.print(f"[red]error:[/] {len(failed)} of {len(report)} files failed", highlight=False, soft_wrap=True)
    return EXIT_FAILURE if failed else 0


def this_file_at_fault(error: DicomApiError) -> bool:
    """An error of this one file (its content, its size, the server on it): the other files go on.
    The key, the quota, the options or the connection would fail them all."""
    if isinstance(error, InvalidRequest):
        return error.field in (None, "file") and not isinstance(error, (NotFound, Conflict))
    if isinstance(error, (TooLarge, ServerError)):
        return True
    return not isinstance(error, (APIStatusError, APIConnectionError))


def read_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"return_format": args.format}
    if args.fields:
        options["fields"] = args.fields
    if args.frames:
        options["frames"] = args.frames
    if args.max_size:
        options["max_size"] = args.max_size
    if args.no_images:
        options["images"] = False
    return options


def command_generate(client: Client, args: argparse.Namespace) -> int:
    fields = {}
    for item in args.field or []:
        keyword, separator, value = item.partition("=")
        if not separator or not keyword:
            raise DicomApiError(f"--field takes Keyword=Value, not {item!r}")
        fields[keyword] = value
    data = client.generate(args.images, args.name, transfer_syntax=args.transfer_syntax, **fields)
    out = Path(args.output or f"{args.name}.dcm")
    out.write_bytes(data)
    if args.json:
        stdout.print_json(data={"output": str(out), "bytes": len(data)})
    else:
        stderr.print(f"Wrote {out} ({len(data)} bytes)", highlight=False, soft_wrap=True)
    return 0


def command_usage(client: Client, args: argparse.Namespace) -> int:
    usage = client.usage()
    if args.json:
        stdout.print_json(data=usage_json(usage))
        return 0
    stdout.print(usage_chart(usage, datetime.now(timezone.utc)))
    return 0


def usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "daily_activity": [{"day": day.day.isoformat(), "count": day.count} for day in usage.daily_activity],
        "monthly_total": usage.monthly_total,
        "by_endpoint": {path: vars(item) for path, item in usage.by_endpoint.items()},
    }


BAR_WIDTH = 40


def usage_chart(usage: Usage, now: datetime) -> Table:
    """Every day of the month so far as a bar, then each endpoint's use of its quota."""
    counts = {day.day.day: day.count for day in usage.daily_activity}
    days = max([now.day, *counts]) if counts else now.day
    highest = max(counts.values(), default=0) or 1
    table = Table(title=f"{calendar.month_name[now.month]} {now.year}: {usage.monthly_total} calls", show_header=False, box=None)
    table.add_column(justify="right", style="dim")
    table.add_column()
    table.add_column(justify="right")
    for day in range(1, days + 1):
        count = counts.get(day, 0)
        table.add_row(f"{day:2d}", "[cyan]" + "█" * max(1 if count else 0, round(BAR_WIDTH * count / highest)) + "[/]", str(count))
    table.add_section()
    for path, item in usage.by_endpoint.items():
        used = round(BAR_WIDTH * item.count / item.quota) if item.quota else BAR_WIDTH
        colour = "red" if item.remaining <= 0 else "green"
        table.add_row(path, f"[{colour}]" + "█" * used + "[/][dim]" + "░" * (BAR_WIDTH - used) + "[/]", f"{item.count}/{item.quota}")
    return table


def command_job(client: Client, args: argparse.Namespace) -> int:
    if args.job_command == "submit":
        with progress_bars() as bars:
            sent = bars.add_task("upload", total=Path(args.file).stat().st_size)
            job = client.submit_job(args.file, on_upload=lambda size: bars.advance(sent, size), **read_options(args))
        if args.wait:
            wait_with_bars(job)
        print_job(job.status, args.json)
        return 0
    job = client.get_job(args.id)
    if args.job_command == "status":
        print_job(job.status, args.json)
    elif args.job_command == "wait":
        wait_with_bars(job)
        print_job(job.status, args.json)
    elif args.job_command == "download":
        download_job(job, args)
    return 0


def wait_with_bars(job: Job) -> None:
    with progress_bars() as bars:
        files = bars.add_task("files", total=job.status.progress.files_total or None)
        frames = bars.add_task("frames", total=None)

        def show(status: JobStatus) -> None:
            bars.update(files, total=status.progress.files_total or None, completed=status.progress.files_done)
            bars.update(frames, completed=status.progress.frames_done)

        job.wait(progress=show)
        finish(bars, frames)


def download_job(job: Job, args: argparse.Namespace) -> None:
    if args.archive:
        with progress_bars() as bars:
            received = bars.add_task("bytes", total=None)
            path = job.download_archive(args.archive, on_bytes=lambda size: bars.advance(received, size))
            finish(bars, received)
        stderr.print(f"Wrote {path}", highlight=False, soft_wrap=True)
        return
    if not args.out:
        raise DicomApiError("job download needs --out DIR (or --archive FILE)")
    out = Path(args.out)
    written: list[str] = []
    skipped: list[dict[str, str]] = []
    with progress_bars() as bars:
        files = bars.add_task("files", total=job.status.progress.files_total or None)
        frames = bars.add_task("frames", total=None)
        for page in job.pages(frames_dir=out, on_frame=lambda frame: bars.advance(frames)):
            written += write_member_results(out, page.results)
            skipped = [{"name": item.name, "reason": item.reason} for item in page.skipped]
            bars.advance(files, len(page.results))
        finish(bars, files, frames)
    if skipped:
        write_json(out / "skipped.json", skipped)
    stderr.print(f"Wrote {len(written)} results into {out}", highlight=False, soft_wrap=True)


def print_job(status: JobStatus, as_json: bool) -> None:
    if as_json:
        stdout.print_json(data=vars(status) | {"progress": vars(status.progress)})
        return
    progress = status.progress
    line = f"{status.id} {status.status}: {progress.files_done}/{progress.files_total if progress.files_total is not None else '?'} files, {progress.frames_done} frames"
    stdout.print(line + (f" ({status.error})" if status.error else ""), highlight=False, soft_wrap=True)


# The parser.

def add_read_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["png", "jpeg", "gif"], default="png", help="image format of the frames (default png)")
    parser.add_argument("--fields", help="comma-separated keywords to return, e.g. PatientName,Modality")
    parser.add_argument("--frames", help="frames to render, 1-based, e.g. 1,3,5-9")
    parser.add_argument("--max-size", type=int, help="longest edge of the images in pixels")
    parser.add_argument("--no-images", action="store_true", help="metadata only")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dicom-api", description="Read DICOM files into JSON and images, generate DICOM from images.")
    parser.add_argument("--api-key", help="API key (default: $DICOM_API_KEY)")
    parser.add_argument("--url", help="service address (default: $DICOM_API_URL, else http://localhost:8080)")
    commands = parser.add_subparsers(dest="command", required=True)

    read = commands.add_parser("read", help="read DICOM files, folders and zips into DIR/<name>.json and DIR/<name>/frame-0001.png")
    read.add_argument("paths", nargs="+", metavar="FILES_OR_FOLDERS")
    read.add_argument("--out", "-o", required=True, metavar="DIR")
    read.add_argument("-j", "--jobs", type=int, default=4, metavar="N", help="files read in parallel (default 4)")
    add_read_options(read)

    generate = commands.add_parser("generate", help="make a DICOM file from PNG/JPEG images")
    generate.add_argument("images", nargs="+", metavar="IMAGES")
    generate.add_argument("--name", required=True, help="file name, without .dcm")
    generate.add_argument("--field", "-f", action="append", metavar="Keyword=Value", help="a DICOM attribute (repeatable)")
    generate.add_argument("--transfer-syntax", choices=["explicit-vr-little-endian"], help="store a baseline JPEG uncompressed")
    generate.add_argument("--output", "-o", metavar="FILE", help="where to write (default NAME.dcm)")
    generate.add_argument("--json", action="store_true", help="machine-readable output on stdout")

    usage = commands.add_parser("usage", help="this month's calls as a bar chart")
    usage.add_argument("--json", action="store_true", help="the activity summary as JSON")

    job = commands.add_parser("job", help="read as a job: whole studies, long cines")
    job_commands = job.add_subparsers(dest="job_command", required=True)
    submit = job_commands.add_parser("submit", help="upload a file or zip as a job")
    submit.add_argument("file")
    submit.add_argument("--wait", action="store_true", help="wait for it, with progress bars")
    add_read_options(submit)
    for name, description in (("status", "print a job's status"), ("wait", "wait for a job, with progress bars")):
        command = job_commands.add_parser(name, help=description)
        command.add_argument("id")
        command.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    download = job_commands.add_parser("download", help="a finished job's results into DIR (or its zip)")
    download.add_argument("id")
    download.add_argument("--out", "-o", metavar="DIR")
    download.add_argument("--archive", metavar="FILE", help="save the job's zip archive instead")
    return parser


COMMANDS = {"read": command_read, "generate": command_generate, "usage": command_usage, "job": command_job}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with Client(args.api_key, base_url=args.url) as client:
            return COMMANDS[args.command](client, args)
    except DicomApiError as exc:
        stderr.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    except OSError as exc:  # the output folder or an input file
        stderr.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    except KeyboardInterrupt:
        stderr.print("[red]interrupted[/]")
        return 130
    return EXIT_FAILURE
