"""Orthanc (the Debian package) as the reference: started on 127.0.0.1 with a free HTTP port, no DICOM
server, no authentication, no plugins, a temporary configuration and storage; stopped afterwards."""

import json
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.client import Reply, check_status, request
from bench.ports import free_port, stop_process, wait_until

ORTHANC_PATHS = ("Orthanc", "/usr/sbin/Orthanc")
ACCEPT = {"png": "image/png", "jpeg": "image/jpeg"}
MAGIC = {"png": b"\x89PNG", "jpeg": b"\xff\xd8"}  # how each format's bytes begin
JPEG_QUALITY = 90  # the same as the service's default


@dataclass
class Orthanc:
    process: subprocess.Popen
    port: int
    version: str


def orthanc_binary() -> str | None:
    return next((found for path in ORTHANC_PATHS if (found := shutil.which(path))), None)


def orthanc_config(workdir: Path, port: int, plugins: tuple[str, ...] = ()) -> dict:
    return {
        "Name": "bench",
        "StorageDirectory": str(workdir / "storage"),
        "IndexDirectory": str(workdir / "storage"),
        "HttpPort": port,
        "DicomServerEnabled": False,
        "DicomPort": free_port(),  # unused while the DICOM server is off; never the shared 4242
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "Plugins": list(plugins),
        "HttpCompressionEnabled": False,
        "StorageCompression": False,
        "SaveJobs": False,
    }


@contextmanager
def running_orthanc(workdir: Path, binary: str, plugins: tuple[str, ...] = ()) -> Iterator[Orthanc]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "orthanc.json"
    config.write_text(json.dumps(orthanc_config(workdir, port, plugins), indent=2))
    with open(workdir / "orthanc.log", "wb") as log:
        process = subprocess.Popen([binary, str(config)], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(
                lambda: request(port, "GET", "/system", timeout=2).status == 200,
                timeout=30, what="Orthanc", alive=lambda: process.poll() is None,
            )
            version = request(port, "GET", "/system").json()["Version"]
            yield Orthanc(process, port, version)
        finally:
            stop_process(process)


def upload(port: int, data: bytes) -> str:
    reply = request(port, "POST", "/instances", data, {"Content-Type": "application/dicom"})
    return check_status(reply, 200, "Orthanc upload").json()["ID"]


def rendered_frame(port: int, instance: str, frame: int, image_format: str) -> Reply:
    query = f"?quality={JPEG_QUALITY}" if image_format == "jpeg" else ""
    path = f"/instances/{instance}/frames/{frame}/rendered{query}"
    return request(port, "GET", path, headers={"Accept": ACCEPT[image_format]})


def upload_and_render(port: int, data: bytes, frames: int, image_format: str, connections: int) -> tuple[str, list[Reply]]:
    """The same job as one call of our endpoint: store the file, then fetch every frame rendered.

    Frames are fetched over `connections` parallel connections, so Orthanc may use as many
    cores as our endpoint's render processes.
    """
    instance = upload(port, data)
    with ThreadPoolExecutor(connections) as executor:
        replies = list(executor.map(lambda frame: rendered_frame(port, instance, frame, image_format), range(frames)))
    return instance, replies


def delete(port: int, instance: str) -> None:
    request(port, "DELETE", f"/instances/{instance}")


def check_rendered(replies: list[Reply], frames: int, image_format: str) -> None:
    """Raise, naming the first failed frame, unless every frame came back as an image."""
    for frame, reply in enumerate(replies):
        if reply.status != 200:
            raise RuntimeError(f"Orthanc frame {frame}: HTTP {reply.status}")
        if not reply.body.startswith(MAGIC[image_format]):
            raise RuntimeError(f"Orthanc frame {frame} is not {image_format.upper()}")
    if len(replies) != frames:
        raise RuntimeError(f"Orthanc returned {len(replies)} frames, expected {frames}")
