"""The targets of issues 6 and 14, judged on a run's results, and the printed table."""

PNG_VS_ORTHANC = 0.25  # multi-frame PNG: ours / Orthanc at most
PNG_VS_FLOOR = 1.3  # multi-frame PNG: ours / floor at most
JPEG_VS_ORTHANC = 0.45  # multi-frame JPEG: ours / Orthanc at most
SINGLE_FRAME_OVER_FLOOR_MS = 15  # single frame: ours - floor at most
METADATA_ONLY_MS = 20  # images=false: ours under
# concurrent clients, ours / Orthanc requests per second at least (issue 14): the guide's request
# (three fields) and all metadata
THROUGHPUT_VS_ORTHANC = {"fields": 1.0, "all": 0.8}
BATCH_VS_FLOOR = 1.3  # a zip of small files in one request: ours / the floor of its files at most
PEAK_RSS_MB = 250  # a worker and its render processes, answering the memory file (and its 400-frame copy)
LONG_OVER_SHORT_RSS = 1.10  # peak RSS answering the 400-frame copy / answering the file itself


def target(name: str, value: float | None, met: bool | None, limit: str, why_na: str = "") -> dict:
    return {"target": name, "value": value, "limit": limit, "met": met, "note": why_na if value is None else ""}


def at_most(name: str, value: float | None, limit: float, unit: str = "", why_na: str = "") -> dict:
    return target(name, value, None if value is None else value <= limit, f"<= {limit:g}{unit}", why_na)


def targets(results: dict) -> list[dict]:
    judged = []
    for case in results["render"]:
        over_orthanc = (case.get("ours_over_orthanc") or {}).get("median")
        orthanc_error = (case.get("orthanc") or {}).get("error") or ("Orthanc skipped" if "orthanc" not in case else "")
        if case["frames"] > 1 and case["format"] == "png":
            judged.append(at_most(f"{case['case']}: ours/Orthanc", over_orthanc, PNG_VS_ORTHANC, "x", orthanc_error))
            judged.append(at_most(f"{case['case']}: ours/floor", case["ours_over_floor"]["median"], PNG_VS_FLOOR, "x"))
        elif case["frames"] > 1 and case["format"] == "jpeg":
            judged.append(at_most(f"{case['case']}: ours/Orthanc", over_orthanc, JPEG_VS_ORTHANC, "x", orthanc_error))
        else:
            judged.append(at_most(f"{case['case']}: ours - floor", case["ours_minus_floor_ms"]["median"],
                                  SINGLE_FRAME_OVER_FLOOR_MS, " ms", case["ours"]["error"] or ""))
    for case in results["metadata_only"]:
        median = case["ours"]["median"]
        value = None if median is None else median * 1000
        judged.append(target(f"{case['case']}: ours", value, None if value is None else value < METADATA_ONLY_MS,
                             f"< {METADATA_ONLY_MS} ms", case["ours"]["error"] or ""))
    for case in results["batch"]:
        judged.append(at_most(f"{case['case']}: ours/floor", case["ours_over_floor"]["median"], BATCH_VS_FLOOR, "x",
                              case["ours"]["error"] or ""))
    for entry in results["concurrency"]:
        for label, least in THROUGHPUT_VS_ORTHANC.items():
            ratio = entry.get(f"ours_{label}_over_orthanc")
            judged.append(target(f"{entry['file']} {label} x{entry[f'ours_{label}']['clients']}: ours/Orthanc req/s", ratio,
                                 None if ratio is None else ratio >= least, f">= {least:g}x", "Orthanc skipped"))
    for memory in (results["memory"], results["memory_long"]):
        judged.append(at_most(f"worker peak RSS ({memory['file']}, {memory['format']})", memory["peak_rss_mb"], PEAK_RSS_MB, " MB"))
    judged.append(at_most(f"peak RSS {results['memory_long']['frames']} frames / {results['memory']['frames']}",
                          results["memory_long"]["peak_rss_mb"] / results["memory"]["peak_rss_mb"], LONG_OVER_SHORT_RSS, "x"))
    return judged


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def timing_cell(case: dict, name: str) -> str:
    timings = case.get(name)
    if timings is None:
        return "-"
    return "failed" if timings["error"] else ms(timings["median"])


def print_report(results: dict) -> None:
    print(f"\nmedians of {results['rounds']} round(s); times in ms; ratios are medians of per-round ratios")
    header = (f"{'case':<28}{'ours':>9}{'floor':>9}{'orthanc':>9}{'orth.par':>9}{'ours/floor':>11}{'ours-floor':>11}"
              f"{'ours/orth':>10}{'ours/o.par':>11}")
    print(header)
    print("-" * len(header))
    for case in results["render"] + results["metadata_only"] + results["batch"]:
        print(
            f"{case['case']:<28}{timing_cell(case, 'ours'):>9}{timing_cell(case, 'floor'):>9}"
            f"{timing_cell(case, 'orthanc'):>9}{timing_cell(case, 'orthanc_parallel'):>9}"
            f"{number((case.get('ours_over_floor') or {}).get('median')):>11}"
            f"{number((case.get('ours_minus_floor_ms') or {}).get('median'), 1):>11}"
            f"{number((case.get('ours_over_orthanc') or {}).get('median')):>10}"
            f"{number((case.get('ours_over_orthanc_parallel') or {}).get('median')):>11}"
        )
    for case in results["batch"]:
        per_file = {name: (case[name]["median"] or 0) * 1000 / case["frames"] for name in ("ours", "floor")}
        print(f"  {case['case']}: per file {per_file['ours']:.2f} ms, floor {per_file['floor']:.2f} ms")
    for case in results["render"] + results["metadata_only"] + results["batch"]:
        for name in ("ours", "floor", "orthanc", "orthanc_parallel"):
            if (case.get(name) or {}).get("error"):
                print(f"  {case['case']}, {name} failed: {case[name]['error']}")
    print(f"\n{'concurrent clients':<28}{'ours req/s':>12}{'orthanc req/s':>15}{'ours/orth.':>12}"
          f"{'ours CPU ms/req':>17}{'orth. CPU ms/req':>18}")
    cheapest = results["cheapest_requests"]
    rows = [(f"{entry['file']} {label}", entry, f"ours_{label}") for entry in results["concurrency"] for label in THROUGHPUT_VS_ORTHANC]
    rows.append(("cheapest request", cheapest, "ours"))
    for name, entry, mine in rows:
        orthanc = entry.get("orthanc") or {}
        print(f"{name + ' x' + str(entry[mine]['clients']):<28}{entry[mine]['per_second']:>12.1f}"
              f"{number(orthanc.get('per_second'), 1):>15}{number(entry.get(mine + '_over_orthanc')):>12}"
              f"{number(entry[mine].get('server_cpu_ms_per_request')):>17}{number(orthanc.get('server_cpu_ms_per_request')):>18}")
        for contender in (mine, "orthanc"):
            if (entry.get(contender) or {}).get("failed"):
                print(f"  {contender}: {entry[contender]['failed']} failed, first: {entry[contender]['first_failure']}")
    print("  (fields: the guide's request, three fields and PNG; all: every element's metadata and PNG; Orthanc:"
          " upload + rendered PNG, the same row for both)")
    print("  (CPU: the server's whole process tree per request; cheapest request: ours GET /healthz, "
          "Orthanc GET /system)")
    print()
    for memory in (results["memory"], results["memory_jpeg"], results["memory_long"]):
        print(f"worker peak RSS answering {memory['file']} as {memory['format']} ({memory['answer_bytes'] / 2**20:.1f} MB answer): "
              f"{memory['peak_rss_mb']} MB (per worker tree, sampled: {memory['per_worker_peak_mb']}; "
              f"before: {memory['per_worker_before_mb']}; VmHWM sums: {memory['per_worker_vmhwm_mb']})")
    print("\ntargets:")
    for judged in results["targets"]:
        verdict = {True: "met", False: "NOT met", None: f"n/a ({judged['note']})"}[judged["met"]]
        value = "-" if judged["value"] is None else f"{judged['value']:.3g}"
        print(f"  {judged['target']:<52} {value:>8} {judged['limit']:<10} {verdict}")
    machine = results["machine"]
    print(f"\nload average: start {machine['loadavg_start'][0]:.2f}, end {machine['loadavg_end'][0]:.2f} "
          f"({machine['cpus']} CPUs)")
