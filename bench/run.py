#!/usr/bin/env python
"""`make bench`: our read endpoint through HTTP, side by side with the floor (a bare in-process
pipeline) and Orthanc, in the same run. `--smoke`: one quick round on a small file.

Prints a table and the targets (met / not met), and writes the figures as JSON to
bench/results/<timestamp>.json. See bench/README.md for what each figure means.
"""

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: make the `bench` package importable

from pydicom import dcmread  # noqa: E402
from pydicom.encaps import encapsulate, generate_frames  # noqa: E402

from bench import orthanc  # noqa: E402
from bench.client import check_status, multipart, request  # noqa: E402
from bench.floor import floor_job, start_pool  # noqa: E402
from bench.measure import Contender, Timings, per_round, throughput, time_job  # noqa: E402
from bench.processes import PeakRssSampler, tree_cpu_seconds, tree_kb  # noqa: E402
from bench.report import print_report, targets  # noqa: E402
from bench.service import READ_PATH, Service, running_service  # noqa: E402

BENCH_DATA = REPO / ".." / "shared" / "bench-data"
CORPUS = REPO / ".." / "shared" / "corpus"
RESULTS = REPO / "bench" / "results"


@dataclass(frozen=True)
class Plan:
    rounds: int
    render: tuple[tuple[Path, str], ...]  # (file, return_format): ours, floor and Orthanc
    metadata_only: tuple[Path, ...]  # images=false: ours
    concurrent: tuple[Path, ...]  # N clients for a few seconds: ours and Orthanc
    concurrent_seconds: float  # per contender, in concurrent_slices turns
    concurrent_slices: int
    memory: Path  # the file whose request the worker's peak RSS is sampled on
    batch: tuple[Path, ...]  # zipped BATCH_SIZE times in turn: one request against the floor of each file


XA, CT, MR2, US1 = (BENCH_DATA / name for name in ("xa_96f.dcm", "ct_512.dcm", "MR2_UNCR.dcm", "US1_J2KR.dcm"))
CT_SMALL, MR_SMALL = CORPUS / "CT_small.dcm", CORPUS / "MR_small.dcm"
FULL = Plan(5, ((XA, "png"), (XA, "jpeg"), (CT, "png"), (MR2, "png"), (US1, "png")),
            (XA, CT, MR2, US1), (CT_SMALL, MR_SMALL), 6.0, 6, XA, (CT_SMALL, MR_SMALL))
SMOKE = Plan(1, ((CT_SMALL, "png"),), (CT_SMALL,), (CT_SMALL,), 1.0, 1, CT_SMALL, (CT_SMALL,))
# The usage guide's request: three fields and the image as PNG.
GUIDE_FIELDS = {"fields": "PatientName,StudyDate,Modality", "return_format": "png"}
ALL_METADATA = {"return_format": "png"}
BATCH_SIZE = 100


@dataclass
class Case:
    name: str
    file: Path
    image_format: str | None
    frames: int
    contenders: list[Contender]
    timings: dict[str, Timings]


def frame_count(path: Path) -> int:
    return int(dcmread(path, stop_before_pixels=True).get("NumberOfFrames") or 1)


# --- Contenders -----------------------------------------------------------------------------------

def ours(service: Service, path: Path, fields: dict[str, str], expected_images: int | None) -> Contender:
    body, content_type = multipart(fields, {"file": (path.name, path.read_bytes())})
    headers = {"Content-Type": content_type, "Authorization": f"ApiKey {service.api_key}"}

    def check(reply) -> None:
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}: {reply.body[:300]!r}")
        answer = reply.json()
        images = answer.get("Images")
        if expected_images is None and images is not None:
            raise RuntimeError("images=false still returned Images")
        if expected_images is not None and len(images or []) != expected_images:
            raise RuntimeError(f"{len(images or [])} images, expected {expected_images}: {answer.get('ImageError')}")

    return Contender("ours", lambda: request(service.port, "POST", READ_PATH, body, headers), check)


def floor(pool, path: Path, image_format: str, frames: int) -> Contender:
    data = path.read_bytes()

    def check(text: str) -> None:
        if len(json.loads(text)["Images"]) != frames:
            raise RuntimeError("the floor lost frames")

    return Contender("floor", lambda: floor_job(data, image_format, pool), check)


def orthanc_contender(server: orthanc.Orthanc, path: Path, image_format: str, frames: int, connections: int,
                      name: str) -> Contender:
    data = path.read_bytes()

    def check(result) -> None:
        instance, replies = result
        orthanc.delete(server.port, instance)  # the next round stores the file afresh
        orthanc.check_rendered(replies, frames, image_format)

    return Contender(
        name, lambda: orthanc.upload_and_render(server.port, data, frames, image_format, connections), check
    )


def render_cases(plan: Plan, service: Service, pool, server, connections: int) -> list[Case]:
    """Orthanc fetches frames one after another, as the reference figures in bench-data/README.md;
    a multi-frame file is also fetched over `connections` parallel connections ("orthanc_parallel")."""
    cases = []
    for path, image_format in plan.render:
        frames = frame_count(path)
        contenders = [ours(service, path, {"return_format": image_format}, frames), floor(pool, path, image_format, frames)]
        if server is not None:
            contenders.append(orthanc_contender(server, path, image_format, frames, 1, "orthanc"))
        if server is not None and frames > 1 and connections > 1:
            contenders.append(orthanc_contender(server, path, image_format, frames, connections, "orthanc_parallel"))
        cases.append(Case(f"{path.name} {image_format}", path, image_format, frames, contenders, {}))
    return cases


def batch_zip(paths: tuple[Path, ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(BATCH_SIZE):
            path = paths[number % len(paths)]
            archive.writestr(f"{number:03d}_{path.name}", path.read_bytes())
    return buffer.getvalue()


def ours_batch(service: Service, data: bytes, fields: dict[str, str]) -> Contender:
    body, content_type = multipart(fields, {"file": ("batch.zip", data)})
    headers = {"Content-Type": content_type, "Authorization": f"ApiKey {service.api_key}"}

    def check(reply) -> None:
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}: {reply.body[:300]!r}")
        answer = reply.json()
        if answer["skipped"] or sum(len(member["Images"]) for member in answer["files"]) != BATCH_SIZE:
            raise RuntimeError(f"{len(answer['files'])} files answered, skipped: {answer['skipped'][:2]}")

    return Contender("ours", lambda: request(service.port, "POST", READ_PATH, body, headers), check)


def floor_batch(pool, paths: tuple[Path, ...]) -> Contender:
    """The floor of each file of the zip, one after another (no zip, no HTTP)."""
    files = [paths[number % len(paths)].read_bytes() for number in range(BATCH_SIZE)]

    def check(texts: list[str]) -> None:
        if sum(len(json.loads(text)["Images"]) for text in texts) != BATCH_SIZE:
            raise RuntimeError("the floor lost frames")

    return Contender("floor", lambda: [floor_job(data, "png", pool) for data in files], check)


def batch_cases(plan: Plan, service: Service, pool) -> list[Case]:
    """A zip of BATCH_SIZE small files in one request, all metadata and the guide's fields,
    against the floor of the same files (which gives all metadata)."""
    data = batch_zip(plan.batch)
    name = f"zip {BATCH_SIZE}x {'/'.join(path.stem for path in plan.batch)}"
    return [
        Case(f"{name} {label}", plan.batch[0], "png", BATCH_SIZE, [ours_batch(service, data, fields), floor_batch(pool, plan.batch)], {})
        for label, fields in (("all", ALL_METADATA), ("fields", GUIDE_FIELDS))
    ]


def metadata_cases(plan: Plan, service: Service) -> list[Case]:
    return [
        Case(f"{path.name} images=false", path, None, 0, [ours(service, path, {"images": "false"}, None)], {})
        for path in plan.metadata_only
    ]


# --- Runs -----------------------------------------------------------------------------------------

def run_rounds(cases: list[Case], rounds: int) -> None:
    """One untimed warm-up, then `rounds` rounds; each round runs every contender of every case,
    so that a change in the machine's load touches all of them alike."""
    for case in cases:
        for contender in case.contenders:
            time_job(contender, Timings())
            case.timings[contender.name] = Timings()
    for number in range(1, rounds + 1):
        for case in cases:
            for contender in case.contenders:
                time_job(contender, case.timings[contender.name])
        print(f"round {number}/{rounds} done (load {os.getloadavg()[0]:.2f})", flush=True)


def warm_workers(service: Service, clients: int) -> None:
    """Concurrent requests, so that every gunicorn worker has loaded the code before timing."""
    job = ours(service, CT_SMALL, {}, 1)
    throughput(lambda: job.after(job.run()), clients, 1.0)


def interleaved(contenders: dict[str, tuple], clients: int, seconds: float, slices: int) -> dict[str, dict]:
    """throughput() of each (job, server pid), with the server's CPU (its whole process tree) per
    request, for `seconds` in all, in `slices` turns taken one contender after another, so that
    the machine's load (shared, it swings within seconds) touches each alike; the turns' figures
    are summed. The clients' own CPU (this process's, one contender running at a time) is kept
    too: on 2 cores the clients and the server share them."""
    totals: dict[str, dict] = {}
    for _ in range(slices):
        for name, (job, server_pid) in contenders.items():
            before, client_before = tree_cpu_seconds(server_pid), time.process_time()
            turn = throughput(job, clients, seconds / slices)
            used, client_used = tree_cpu_seconds(server_pid) - before, time.process_time() - client_before
            total = totals.setdefault(name, {"clients": clients, "requests": 0, "seconds": 0.0, "failed": 0,
                                             "first_failure": None, "cpu_seconds": 0.0, "client_cpu_seconds": 0.0})
            for key in ("requests", "seconds", "failed"):
                total[key] += turn[key]
            total["cpu_seconds"] += used
            total["client_cpu_seconds"] += client_used
            total["first_failure"] = total["first_failure"] or turn["first_failure"]
    for total in totals.values():
        total["per_second"] = round(total["requests"] / total["seconds"], 2)
        for key, figure in (("cpu_seconds", "server_cpu_ms_per_request"), ("client_cpu_seconds", "client_cpu_ms_per_request")):
            cpu = total.pop(key)
            total[figure] = round(cpu * 1000 / total["requests"], 2) if total["requests"] else None
    return totals


def concurrency(plan: Plan, service: Service, server, clients: int) -> list[dict]:
    """Each small file read by `clients` clients: the guide's request (three fields) and all
    metadata; Orthanc's upload + rendered frame, against both; the three in turns (interleaved)."""
    results = []
    for path in plan.concurrent:
        contenders = {}
        for label, fields in (("fields", GUIDE_FIELDS), ("all", ALL_METADATA)):
            mine = ours(service, path, fields, 1)
            contenders[f"ours_{label}"] = (lambda mine=mine: mine.after(mine.run()), service.process.pid)
        if server is not None:
            data = path.read_bytes()
            # Stored once, untimed: concurrent uploads of one instance race in Orthanc's storage folders
            # (HTTP 500 "Error while accessing the filesystem"), most often before it is stored.
            orthanc.upload(server.port, data)

            def orthanc_job(data=data) -> None:
                _, replies = orthanc.upload_and_render(server.port, data, 1, "png", 1)
                orthanc.check_rendered(replies, 1, "png")

            contenders["orthanc"] = (orthanc_job, server.process.pid)
        entry = {"file": path.name, **interleaved(contenders, clients, plan.concurrent_seconds, plan.concurrent_slices)}
        if server is not None:
            for label in ("fields", "all"):
                entry[f"ours_{label}_over_orthanc"] = round(entry[f"ours_{label}"]["per_second"] / entry["orthanc"]["per_second"], 2)
        results.append(entry)
    return results


def cheapest_requests(plan: Plan, service: Service, server, clients: int) -> dict:
    """Requests per second of the cheapest request each server answers, the same clients: what
    no endpoint of it can exceed. Ours: GET /healthz (gunicorn, Django, one SELECT); Orthanc:
    GET /system."""
    def healthz() -> None:
        check_status(request(service.port, "GET", "/healthz"), 200, "healthz")

    contenders = {"ours": (healthz, service.process.pid)}
    if server is not None:
        def system() -> None:
            check_status(request(server.port, "GET", "/system"), 200, "Orthanc /system")

        contenders["orthanc"] = (system, server.process.pid)
    return interleaved(contenders, clients, plan.concurrent_seconds, plan.concurrent_slices)


LONG_FRAMES = 400  # the memory file's frames repeated to this many: memory must not grow with them


def with_frames(source: Path, frames: int, folder: Path) -> Path:
    """`source` with its stored frames repeated (cyclically) to `frames` frames."""
    ds = dcmread(source)
    count = frame_count(source)
    if ds.file_meta.TransferSyntaxUID.is_encapsulated:
        stored = list(generate_frames(ds.PixelData, number_of_frames=count))
        ds.PixelData = encapsulate([stored[index % count] for index in range(frames)], has_bot=True)
    else:
        size = len(ds.PixelData) // count
        ds.PixelData = b"".join(ds.PixelData[index % count * size : (index % count + 1) * size] for index in range(frames))
    ds.NumberOfFrames = frames
    path = folder / f"{source.stem}_{frames}f.dcm"
    ds.save_as(path)
    return path


def memory(path: Path, service: Service, image_format: str) -> dict:
    """Peak RSS of each gunicorn worker plus its child processes, sampled during one request, and
    the size of the answer (the answer is streamed: the peak should not follow its size)."""
    job = ours(service, path, {"return_format": image_format}, frame_count(path))
    workers = service.worker_pids()
    before = {pid: tree_kb(pid) for pid in workers}
    with PeakRssSampler(workers) as sampler:
        reply = job.run()
    job.after(reply)
    return {
        "file": path.name,
        "frames": frame_count(path),
        "format": image_format,
        "answer_bytes": len(reply.body),
        "peak_rss_mb": round(max(sampler.peak_kb.values()) / 1024, 1),
        "per_worker_before_mb": {str(pid): round(kb / 1024, 1) for pid, kb in before.items()},
        "per_worker_peak_mb": {str(pid): round(kb / 1024, 1) for pid, kb in sampler.peak_kb.items()},
        "per_worker_vmhwm_mb": {str(pid): round(tree_kb(pid, "VmHWM") / 1024, 1) for pid in workers},
    }


def timing_summary(case: Case) -> dict:
    summary = {"case": case.name, "file": case.file.name, "format": case.image_format, "frames": case.frames}
    for name, timings in case.timings.items():
        summary[name] = {"seconds": [round(s, 4) for s in timings.seconds], "median": timings.median(), "error": timings.error}
    if "floor" in case.timings:
        summary["ours_over_floor"] = ratio_entry(per_round(case.timings["ours"], case.timings["floor"], lambda a, b: a / b))
        summary["ours_minus_floor_ms"] = ratio_entry(
            per_round(case.timings["ours"], case.timings["floor"], lambda a, b: (a - b) * 1000)
        )
    for name in ("orthanc", "orthanc_parallel"):
        if name in case.timings:
            summary[f"ours_over_{name}"] = ratio_entry(per_round(case.timings["ours"], case.timings[name], lambda a, b: a / b))
    return summary


def ratio_entry(values: list[float]) -> dict:
    return {"per_round": [round(v, 3) for v in values], "median": statistics.median(values) if values else None}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="one round on CT_small.dcm only (~30 s)")
    parser.add_argument("--rounds", type=int, help="rounds (default 5, 1 with --smoke)")
    parser.add_argument("--no-orthanc", action="store_true", help="skip Orthanc")
    parser.add_argument("--orthanc-connections", type=int, default=2,
                        help="parallel connections of the extra Orthanc run on multi-frame files (default 2: as many "
                             "as our render processes; 1 turns it off)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in the throughput test")
    parser.add_argument("--output", type=Path, help="JSON file to write (default bench/results/<timestamp>.json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    rounds = args.rounds or plan.rounds
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_start = os.getloadavg()
    print(f"load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} on {os.cpu_count()} CPUs")
    binary = None if args.no_orthanc else orthanc.orthanc_binary()
    if binary is None and not args.no_orthanc:
        print("Orthanc is not installed: skipped")
    with tempfile.TemporaryDirectory(prefix="dicom-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        (workdir / "service").mkdir()
        service = stack.enter_context(running_service(workdir / "service"))
        server = stack.enter_context(orthanc.running_orthanc(workdir / "orthanc", binary)) if binary else None
        pool = start_pool()
        stack.callback(pool.shutdown)
        warm_workers(service, args.clients)
        cases = render_cases(plan, service, pool, server, args.orthanc_connections) + metadata_cases(plan, service)
        batches = batch_cases(plan, service, pool)
        run_rounds(cases + batches, rounds)
        results = {
            "started": started,
            "smoke": args.smoke,
            "rounds": rounds,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "loadavg_start": load_start},
            "service": {"workers": len(service.worker_pids()), "server": "gunicorn -c gunicorn.conf.py, DEBUG off"},
            "orthanc": {"version": server.version, "parallel_connections": args.orthanc_connections} if server else None,
            "render": [timing_summary(case) for case in cases if case.image_format],
            "metadata_only": [timing_summary(case) for case in cases if not case.image_format],
            "batch": [timing_summary(case) for case in batches],
            "concurrency": concurrency(plan, service, server, args.clients),
            "cheapest_requests": cheapest_requests(plan, service, server, args.clients),
            "memory": memory(plan.memory, service, "png"),
            "memory_jpeg": memory(plan.memory, service, "jpeg"),
            "memory_long": memory(with_frames(plan.memory, LONG_FRAMES, workdir), service, "png"),
        }
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["targets"] = targets(results)
    print_report(results)
    output = args.output or RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}{'-smoke' if args.smoke else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
