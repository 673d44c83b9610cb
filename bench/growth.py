"""bench/results/growth.md: the search's figures at 100,000, 300,000 and 1,000,000 open ads,
from the last run of each size (latest.json, growth-300k.json, growth-1m.json), and how they
grow: issue 17 asks for CPU per search and memory that grow slower than the number of hits.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

FILES = (("100k", "latest.json"), ("300k", "growth-300k.json"), ("1m", "growth-1m.json"))


def _load(results: Path) -> list[tuple[str, dict]]:
    runs = []
    for label, name in FILES:
        path = results / name
        if path.exists():
            runs.append((label, json.loads(path.read_text())))
    return runs


def _get(data: dict, *keys, default=None):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def _figure(value, unit: str = "", digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}{unit}"


def _exponent(small: float | None, large: float | None, ratio: float) -> float | None:
    """k in large = small × ratio^k: 1 grows as the hits do, below 1 slower."""
    if not small or not large or ratio <= 1:
        return None
    return math.log(large / small) / math.log(ratio)


def markdown(runs: list[tuple[str, dict]]) -> str:
    lines = [
        "# Growth: the search at 100,000, 300,000 and 1,000,000 open ads",
        "",
        '`make bench` (100,000 ads) and `make bench BENCH_ARGS="--size 300k"` / `--size 1m` '
        "write the figures; this file is drawn from the last run of each size "
        "(bench/growth.py). Same data generator, same mix of 1,000 distinct searches (its words "
        "drawn from each size's ads), same machine (2 CPUs, shared with other work: see the load "
        "averages).",
        "",
    ]
    databases = sorted({name for _label, run in runs for name in run["databases"]})
    for database in databases:
        present = [(label, run) for label, run in runs if database in run["databases"]]
        if not present:
            continue
        lines += [
            f"## {database}",
            "",
            "| open ads | run (load before/after) | import + index s (CPU s) | CPU per page ms (workers) "
            "| req/s × /healthz | p95 ms (8 conn.) | search_ads CPU median / p95 ms (mix, facets) "
            "| hits median / mean | private MB added by searching: most in a worker / in process "
            "| index MB on disk | a write, CPU ms |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        rows = []
        for _label, run in present:
            d = run["databases"][database]
            mix = _get(d, "search", "mix (page)", default={})
            search = _get(d, "http", "throughput", "search", default={})
            memory = _get(d, "http", "memory", default={})
            in_process = _get(d, "search", "memory in process", default={})
            data = d.get("data", {})
            row = {
                "ads": run["size"]["ads"],
                "cpu_median": mix.get("cpu_median_ms"),
                "cpu_p95": mix.get("cpu_p95_ms"),
                "page_cpu": search.get("workers_cpu_ms_per_request"),
                "mean_hits": mix.get("mean_hits"),
                "anon": memory.get("anon_max_mb"),
                "anon_in_process": in_process.get("anon_mb"),
                "index_mb": memory.get("index_on_disk_mb") or in_process.get("index_on_disk_mb"),
            }
            rows.append(row)
            imported = data["import_s"] + data.get("index_s", 0) if "import_s" in data else None
            imported_cpu = (
                data["import_cpu_s"] + data.get("index_cpu_s", 0) if "import_s" in data else None
            )
            lines.append(
                f"| {row['ads']:,} | {run['started']} ({run['machine']['load_before']:.1f}/"
                f"{run['machine'].get('load_after', 0):.1f}) | {_figure(imported, '', 0)} "
                f"(CPU {_figure(imported_cpu, '', 0)}) "
                f"| {_figure(row['page_cpu'])} | {_figure(search.get('ratio_to_healthz'), '', 3)} "
                f"| {_figure(search.get('p95_ms'))} "
                f"| {_figure(row['cpu_median'])} / {_figure(row['cpu_p95'])} "
                f"| {_figure(mix.get('median_hits'), '', 0)} / {_figure(row['mean_hits'], '', 0)} "
                f"| {_figure(row['anon'], '', 0)} / {_figure(row['anon_in_process'], '', 0)} "
                f"| {_figure(row['index_mb'], '', 0)} "
                f"| {_figure(_get(d, 'http', 'write', 'total_cpu_ms'))} |"
            )
        buckets = [
            (label, _get(run["databases"][database], "search", "mix by hits", default={}))
            for label, run in present
        ]
        names = list(dict.fromkeys(b for _label, found in buckets for b in found))
        if names:
            lines += [
                "",
                "search_ads CPU median (ms) of the mix's searches by their number of hits:",
                "",
                "| hits | " + " | ".join(label for label, _found in buckets) + " |",
                "|---|" + "---:|" * len(buckets),
            ]
            for bucket in names:
                cells = [
                    f"{found[bucket]['cpu_median_ms']} (n {found[bucket]['n']})"
                    if bucket in found
                    else "—"
                    for _label, found in buckets
                ]
                lines.append(f"| {bucket} | " + " | ".join(cells) + " |")
        if len(rows) > 1 and rows[0]["mean_hits"] and rows[-1]["mean_hits"]:
            first, last = rows[0], rows[-1]
            hits_ratio = last["mean_hits"] / first["mean_hits"]
            parts = []
            for key, what in (
                ("cpu_median", "search_ads CPU (median)"),
                ("cpu_p95", "search_ads CPU (p95)"),
                ("page_cpu", "CPU per page"),
                ("anon", "a worker's extra private memory"),
                ("anon_in_process", "private memory added by searching in process"),
                ("index_mb", "the index on disk"),
            ):
                k = _exponent(first[key], last[key], hits_ratio)
                if k is not None:
                    parts.append(f"{what} ×{last[key] / first[key]:.2f} (exponent {k:.2f})")
            lines += [
                "",
                f"From {first['ads']:,} to {last['ads']:,} open ads the mean hits of a search "
                f"grow ×{hits_ratio:.2f}; "
                + "; ".join(parts)
                + ". An exponent below 1 is growth slower than the hits (sub-linear), 1 as fast.",
            ]
        lines.append("")
    return "\n".join(lines)


def write(results: Path) -> None:
    runs = _load(results)
    if len(runs) > 1:
        (results / "growth.md").write_text(markdown(runs))


if __name__ == "__main__":
    write(Path(__file__).resolve().parent / "results")
    print((Path(__file__).resolve().parent / "results" / "growth.md").read_text())
