"""docs/performance.md and docs/performance.png, from the benchmarks' JSON files.

The report holds figures only: the tables, the chart and how they were taken, medians of the
interleaved runs with min–max. It is regenerated on every machine that runs the benchmarks, so
it says nothing of this repository's history: what the figures mean, the targets they were held
to and what earlier runs led to are written by hand in docs/performance-notes.md, which it links
to. Run this module on its own to rewrite the report from the JSON.
"""

import json
import statistics
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
MAIN = DOCS / "performance.json"
SCALE = DOCS / "performance-scale.json"
LOAD = DOCS / "performance-load.json"
CHART = DOCS / "performance.png"
REPORT = DOCS / "performance.md"


def summary(values):
    """(median, minimum, maximum)."""
    return statistics.median(values), min(values), max(values)


def figures(results):
    """{(scenario, page): {metric: (median, min, max)}} over the runs."""
    grouped = {}
    for run in results["runs"]:
        grouped.setdefault((run["scenario"], run["page"]), []).append(run)
    table = {}
    for key, runs in grouped.items():
        table[key] = {
            "rps": summary([r["concurrent"]["requests_per_second"] for r in runs]),
            "p50": summary([r["concurrent"]["p50_ms"] for r in runs]),
            "p99": summary([r["concurrent"]["p99_ms"] for r in runs]),
            "p50_c1": summary([r["sequential"]["p50_ms"] for r in runs]),
            "errors": sum(r["concurrent"]["errors"] + r["sequential"]["errors"] for r in runs),
        }
    return table


def spread(values, digits=0, unit=""):
    median, low, high = values
    return f"{median:,.{digits}f}{unit} ({low:,.{digits}f}–{high:,.{digits}f})"


def ratios(results, table):
    """[(ratio, page, value)]: how much faster each layer is than the one it spares, in requests
    per second at the same concurrency."""
    pairs = [
        ("Varnish hit ÷ nginx", "varnish", "nginx"),
        ("warm render ÷ cold render", "warm", "cold"),
        ("signed-in reader, steady state ÷ anonymous Varnish hit", "signed-in", "varnish"),
        ("signed-in reader, steady state ÷ passed to Django", "signed-in", "pass"),
    ]
    return [
        (name, page, table[(faster, page)]["rps"][0] / table[(slower, page)]["rps"][0])
        for name, faster, slower in pairs
        if faster in results["scenarios"] and slower in results["scenarios"]
        for page in results["paths"]
    ]


def signed_in_lines(results):
    """Backend requests per signed-in page view in the steady state, and Varnish's memory for
    signed-in readers' fragments."""
    lines = []
    counted = [run for run in results["runs"] if "backend_requests" in run]
    if counted:
        views = sum(
            run["concurrent"]["requests"] + run["sequential"]["requests"] for run in counted
        )
        backend = sum(run["backend_requests"] for run in counted)
        lines += [
            "",
            f"Signed-in reader, steady state: **{backend / views:.5f} backend requests per page "
            f"view** ({backend:,} over {views:,} page views, from Varnish's `MAIN.backend_req`).",
        ]
    memory = results.get("reader_memory")
    if memory:
        per_ten_thousand = memory["bytes"] / memory["sessions"] * 10_000 / 2**20
        lines += [
            "",
            f"Varnish's memory for signed-in readers' fragments (storage `reader`), after "
            f"{memory['sessions']:,} signed-in sessions each viewed "
            f"{' and '.join(results['paths'])}: {memory['objects']:,} objects, "
            f"{memory['bytes'] / 2**20:,.1f} MiB (`SMA.reader.g_bytes`), so "
            f"**{per_ten_thousand:,.1f} MiB per 10,000 signed-in readers**; "
            f"{memory['evicted']:,} objects evicted meanwhile.",
        ]
    return lines


def chart(results, table):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    scenarios = list(results["scenarios"])
    pages = list(results["paths"])
    figure, (latency, throughput) = pyplot.subplots(1, 2, figsize=(13, 5))
    width = 0.8 / len(pages)
    for index, page in enumerate(pages):
        positions = [number + index * width for number in range(len(scenarios))]
        latency.bar(
            positions, [table[(s, page)]["p50_c1"][0] for s in scenarios], width, label=page
        )
        throughput.bar(
            positions, [table[(s, page)]["rps"][0] for s in scenarios], width, label=page
        )
    for axes, title in (
        (latency, "Response time, p50 at concurrency 1 (ms, log scale)"),
        (
            throughput,
            f"Requests per second at concurrency {results['settings']['connections']} (log)",
        ),
    ):
        axes.set_yscale("log")
        axes.set_title(title, fontsize=10)
        axes.set_xticks([n + width / 2 for n in range(len(scenarios))], scenarios)
        axes.grid(axis="y", which="both", alpha=0.3)
        axes.legend()
    for scenario, book in results["book_ms"].items():
        if scenario not in scenarios:
            continue
        position = scenarios.index(scenario)
        latency.hlines(
            book, position - 0.2, position + 0.8, colors="firebrick", linestyles="dashed"
        )
    latency.plot([], [], color="firebrick", linestyle="dashed", label="the book's figure")
    latency.legend()
    figure.suptitle("The Daily Cache, layer by layer (medians of interleaved runs)")
    figure.tight_layout()
    figure.savefig(CHART, dpi=110)
    pyplot.close(figure)


def main_section(results):
    table = figures(results)
    machine = results["machine"]
    settings = results["settings"]
    lines = [
        "## Layer by layer: `make bench`",
        "",
        f"Measured {results['started']} with `make bench`: {settings['articles']:,} articles in "
        f"PostgreSQL, {settings['runs']} interleaved runs of {settings['seconds']} s per "
        f"scenario and page, wrk with {settings['connections']} connections (and 1, for the "
        "response time). Medians, with min–max over the runs.",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}. wrk pinned to CPU {machine['load_cpus']}, gunicorn, "
        f"Varnish and nginx to CPU {machine['server_cpus']} (taskset); PostgreSQL and Redis "
        "are the machine's own services and run on either core.",
        "",
        f"Versions: Python {machine['python']}, Django {machine['django']}, "
        f"{machine['gunicorn']}, {machine['varnish']}, {machine['nginx']}, "
        f"PostgreSQL {machine['postgresql']}, {machine['redis']}, {machine['wrk']}.",
        "",
        "![Response time and throughput per layer](performance.png)",
        "",
        "| layer | page | req/s | p50 ms | p99 ms | p50 ms at concurrency 1 | book | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario, description in results["scenarios"].items():
        for page in results["paths"]:
            row = table[(scenario, page)]
            book = results["book_ms"].get(scenario)
            lines.append(
                f"| {description} | {page} | {spread(row['rps'])} | {spread(row['p50'], 2)} | "
                f"{spread(row['p99'], 2)} | {spread(row['p50_c1'], 2)} | "
                f"{f'~{book} ms' if book else ''} | {row['errors']} |"
            )
    lines += [
        "",
        "Where the time of a Django request goes (median of 30 requests, from `Server-Timing`):",
        "",
        "| layer | page | SQL queries | total ms | SQL | cache | templates | rest of Django |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, timing in results["server_timing"].items():
        scenario, page = key.split("/")
        if scenario not in results["scenarios"]:
            continue
        shares = timing["shares"]
        lines.append(
            f"| {results['scenarios'][scenario]} | {page} | {timing['sql_queries']:g} | "
            f"{timing['total_ms']:.2f} | {shares['sql']:.0%} | {shares['cache']:.0%} | "
            f"{shares['template']:.0%} | {shares['app']:.0%} |"
        )
    stale = results["staleness_seconds"]
    lines += [
        "",
        "An edited headline, measured from the commit to the first response that shows it: "
        f"through newsite's edge **{stale['edge']:g} s**; through Django's per-site cache "
        f"**{stale['site']:g} s** (its pages are kept {settings['site_cache_seconds']} s here, "
        "and nothing tells it about an edit).",
        "",
        "Requests per second, one layer against another:",
        "",
        "| ratio | page | measured |",
        "|---|---|---|",
    ]
    for name, page, value in ratios(results, table):
        lines.append(f"| {name} | {page} | {value:.2f} × |")
    lines += signed_in_lines(results)
    chart(results, table)
    return lines


# Where the report sends its readers for everything that is not a figure.
NOTES = (
    "Figures only, written by `make bench`, `make bench-scale` and `make load` from the JSON "
    "files beside this page (rerun them to replace it). What the figures mean, the targets they "
    "are held to and what earlier runs led to: [performance-notes.md](performance-notes.md)."
)


def write():
    sections = ["# Performance", "", NOTES, ""]
    if MAIN.exists():
        results = json.loads(MAIN.read_text())
        sections += main_section(results)
    for path, title in ((SCALE, "scale"), (LOAD, "load")):
        if path.exists():
            sections += ["", json.loads(path.read_text())["markdown"]]
        else:
            sections += ["", f"(No {title} results yet.)"]
    REPORT.write_text("\n".join(sections) + "\n")


if __name__ == "__main__":
    write()
