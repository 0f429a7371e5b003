"""The read operation and the keyword dictionary from the command line, printing JSON.

    python -m dicom_core.cli read FILE [--out DIR] [--fields PatientName,Rows] [--format png] [--no-images]
        [--frames 1,3-5] [--window CENTER WIDTH] [--max-size 256] [--quality 80] [--metadata dicom-json] [--anonymize]
    python -m dicom_core.cli keywords [--regex 'Patient.*ID$']
"""

import argparse
import json
import sys
from pathlib import Path

from dicom_core.dictionary import DICOM_VERSION, all_keywords, filter_keywords
from dicom_core.errors import DicomError
from dicom_core.limits import Limits
from dicom_core.logging_safety import silence_pydicom_logging
from dicom_core.metadata import parse_fields, validate_fields
from dicom_core.options import METADATA_MODES, ReadOptions, parse_frames
from dicom_core.read import FileReading, ZipReading, read_file
from dicom_core.render import RenderOptions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dicom-core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    read = commands.add_parser("read", help="a DICOM file or a zip of them -> metadata and images")
    read.add_argument("file", type=Path)
    read.add_argument("--out", type=Path, default=Path("."), help="folder the images are written to (frame-0001.png...)")
    read.add_argument("--fields", help="comma-separated keywords to return")
    read.add_argument("--format", default="png", choices=("png", "jpeg", "gif"))
    read.add_argument("--no-images", action="store_true", help="metadata only; pixel data is not read")
    read.add_argument("--frames", help="1-based frames and ranges, e.g. 1,3,5-9")
    read.add_argument("--window", nargs=2, type=float, metavar=("CENTER", "WIDTH"), help="VOI window")
    read.add_argument("--max-size", type=int, help="longest edge in pixels")
    read.add_argument("--quality", type=int, help="JPEG quality, 1-100")
    read.add_argument("--animate", action="store_true", help="one animated GIF (with --format gif)")
    read.add_argument("--metadata", default="flat", choices=METADATA_MODES)
    read.add_argument("--anonymize", action="store_true", help="the PS3.15 Basic Profile on the metadata")
    keywords = commands.add_parser("keywords", help="the keyword dictionary")
    keywords.add_argument("--regex", help="RE2 pattern a keyword must contain a match of")
    return parser


def run(arguments: argparse.Namespace) -> dict:
    if arguments.command == "keywords":
        return {"allowedFields": filter_keywords(all_keywords(), regex=arguments.regex), "dicomVersion": DICOM_VERSION}
    fields = parse_fields(arguments.fields)
    options = ReadOptions(
        fields=tuple(validate_fields(fields)) if fields else None,
        images=not arguments.no_images,
        metadata=arguments.metadata,
        anonymize=arguments.anonymize,
        render=RenderOptions(
            image_format=arguments.format,
            frames=parse_frames(arguments.frames) if arguments.frames else None,
            window=tuple(arguments.window) if arguments.window else None,
            max_size=arguments.max_size,
            quality=arguments.quality,
            animate=arguments.animate,
        ),
        isolated=False,  # a decoder crash ends this command only
    )
    reading = read_file(arguments.file.read_bytes(), options, Limits())
    if isinstance(reading, ZipReading):
        return {
            "files": [{"name": name, **described(member, arguments.out / safe_name(name))} for name, member in reading.files],
            "skipped": [{"name": member.name, "reason": member.reason} for member in reading.skipped],
        }
    return described(reading, arguments.out)


def described(reading: FileReading, folder: Path) -> dict:
    """The metadata, and the images written to `folder` as they are rendered (their paths listed)."""
    if reading.images is None:
        return reading.metadata
    images = reading.images
    extension = images.image_format
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, image in enumerate(images, start=1):
        path = folder / f"image-{number:04d}.{extension}"
        path.write_bytes(image)
        paths.append(str(path))
    result = {**reading.metadata, "ImageFormat": extension.upper(), "Rendering": images.rendering, "Images": paths}
    if images.error is not None:
        result["ImageError"] = images.error
        result["MissingFrames"] = images.missing_frames
    return result


def safe_name(name: str) -> str:
    """A zip member's name as one folder name: no way out of --out."""
    return "".join(character if character.isalnum() or character in "._-" else "_" for character in name).lstrip(".") or "member"


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    silence_pydicom_logging()  # pydicom's messages quote element values
    try:
        result = run(arguments)
    except DicomError as exc:
        print(json.dumps({"error": exc.message, "option": exc.field}), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
