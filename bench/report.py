"""docs/performance.md and docs/performance.png, from the benchmarks' JSON files.

Medians of the interleaved runs, with min–max; every target of the benchmark issue checked
against the figures of the same run. Run on its own to rewrite the report from the JSON.
"""

import json
import statistics
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
MAIN = DOCS / "performance.json"
# The same benchmark, run before the fixes it led to (kept to show what they bought).
BEFORE = DOCS / "performance-before.json"
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


def targets(results, table):
    """[(target, what was measured, held?)] for the issue's targets, page by page."""
    checks = []
    for page in results["paths"]:

        def rps(scenario, page=page):
            return table[(scenario, page)]["rps"][0]

        def p50(scenario, page=page):
            return table[(scenario, page)]["p50_c1"][0]

        ratio = rps("varnish") / rps("nginx")
        checks.append((f"{page}: Varnish hit ≥ 0.5 × nginx req/s", f"{ratio:.2f} ×", ratio >= 0.5))
        ratio = rps("warm") / rps("cold")
        checks.append((f"{page}: warm render ≥ 5 × cold req/s", f"{ratio:.1f} ×", ratio >= 5))
        ratio = rps("esi") / rps("pass")
        checks.append(
            (f"{page}: signed-in via ESI ≥ 5 × pass-through", f"{ratio:.1f} ×", ratio >= 5)
        )
        for scenario, book in results["book_ms"].items():
            limit = book / 10
            checks.append(
                (
                    f"{page}: {scenario} p50 at concurrency 1 ≤ {limit:g} ms (book {book} ms / 10)",
                    f"{p50(scenario):.2f} ms",
                    p50(scenario) <= limit,
                )
            )
    for key, timing in results["server_timing"].items():
        scenario, page = key.split("/")
        if scenario == "cold" and page == "home":
            queries = timing["sql_queries"]
            checks.append(("home: cold ≤ 20 SQL queries", f"{queries:g}", queries <= 20))
        if scenario in ("warm", "page"):
            queries = timing["sql_queries"]
            checks.append((f"{page}: {scenario} runs 0 SQL queries", f"{queries:g}", queries == 0))
        if scenario in ("warm", "cold"):
            component, share = max(timing["shares"].items(), key=lambda item: item[1])
            checks.append(
                (
                    f"{page}: no component above 30 % of a {scenario} request",
                    f"largest: {component} {share:.0%}",
                    share <= 0.30,
                )
            )
    return checks


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
        "### Targets",
        "",
        "| target | measured | held |",
        "|---|---|---|",
    ]
    for target, measured, held in targets(results, table):
        lines.append(f"| {target} | {measured} | {'yes' if held else '**no**'} |")
    lines += ["", *why_targets_are_missed(results, table)]
    chart(results, table)
    return lines


def why_targets_are_missed(results, table):
    """A paragraph for each kind of target this run missed: the cause, and what was tried."""

    def p50(scenario, page):
        return table[(scenario, page)]["p50_c1"][0]

    def missed(numerator, denominator):
        return [
            page
            for page in results["paths"]
            if table[(numerator, page)]["rps"][0] < 5 * table[(denominator, page)]["rps"][0]
        ]

    paragraphs = []
    if missed("esi", "pass"):
        paragraphs.append(
            "**Signed-in reader via ESI ≥ 5 × pass-through.** Through the edge, a signed-in "
            "page costs Django one request per fragment of the reader's own (the personal bar "
            "on the home page; the bar and the save button on an article): the shell and the "
            "shared fragments come from the edge. Passed through, Django renders the page and "
            "every fragment, shared ones too: three requests for the home page, four for an "
            "article. Every Django request has a floor (gunicorn, the middleware, the session "
            "and the reader from Redis; a personal bar runs three cache calls and no SQL), and "
            f"a warm page render ({p50('warm', 'home'):.2f} ms at concurrency 1) is not much "
            "above it, so the ratio is close to the number of requests passed over the number "
            "left: 3 on the home page, 2 on an article. At concurrency 1 the ESI page takes "
            f"{p50('esi', 'home'):.2f} ms (home) and {p50('esi', 'article'):.2f} ms (article), "
            f"the pass-through {p50('pass', 'home'):.2f} and {p50('pass', 'article'):.2f} ms. "
            "The book's 5 × assumed renders of 100–300 ms beside cheap fragments; here, "
            "reaching it would take per-reader bits that are not Django requests at all (read "
            "from a cookie in the browser, say) or a single fragment per page."
        )
    if any(
        timing["shares"][part] > 0.30
        for timing in results["server_timing"].values()
        for part in timing["shares"]
    ):
        paragraphs.append(
            "**No component above 30 %.** A warm request runs no SQL, so three components share "
            "it and one of them is at least a third; its largest part is the cache, a handful of "
            "Redis round trips. A cold request is SQL and templates by nature; the template "
            "share also holds the ORM's Python work (building model instances), because "
            "templates call the queries. Both were cut (see below); neither split can be "
            "flattened to 30 %."
        )
    for page in missed("warm", "cold"):
        paragraphs.append(
            f"**Warm render ≥ 5 × cold**, on the {page} page: a cold {page} page is cheap "
            f"({p50('cold', page):.2f} ms at concurrency 1, "
            f"{p50('cold', page) / p50('warm', page):.1f} × the warm {p50('warm', page):.2f} "
            "ms), so the ratio of throughputs lands on one side of 5 or the other from one run "
            "to the next."
        )
    if not paragraphs:
        return []
    return [
        "### About the targets this run missed",
        "",
        *"\n\n".join(paragraphs).split("\n"),
        "",
        "Differences between runs (the min–max columns) come from a shared 2-core virtual "
        "machine: PostgreSQL and Redis run on either core, beside wrk or the servers.",
    ]


BEFORE_AND_AFTER = """\
## Before and after the fixes the first runs called for

The first full run (kept in `docs/performance-before.json`) missed several targets. Profiling
(cProfile, pyinstrument, `Server-Timing`) found the causes, fixed in the commit "Faster edge and
fragments, found by measuring":

- **Varnish hits were 0.07 × nginx.** Every page carried three ESI includes, and an include
  costs the edge about as much as a whole hit (a plain hit ran at ~45,000 req/s, a page with
  three includes at ~5,000). Anonymous visitors now get a variant with their bits rendered in.
- **Signed-in readers via ESI were 1.1–2.2 × the pass-through.** Each per-reader fragment
  loaded the user and counted saved articles in PostgreSQL and looked in the page cache in
  vain; there were four of them on an article page. Now the reader comes from the cache, the
  messages ride with the personal bar, the comment form is shared, and the page cache skips a
  reader's own fragments: two per-reader fragments on an article page, one elsewhere.
- **Warm renders were mostly Redis round trips** (~0.12 ms each on this machine): fewer
  fragments, one query for an article, and the generations every page needs in its first trip.
- **The cold home page took 54 ms**: "most discussed" grouped a thousand comments with their
  articles in one query (16 ms); lists fetched bodies and search vectors; URLs were reversed
  120 times a page.

| layer | page | req/s before | req/s after | p50 at concurrency 1, before | after |
|---|---|---|---|---|---|
"""


def before_and_after(before, after):
    old, new = figures(before), figures(after)
    lines = [BEFORE_AND_AFTER.rstrip()]
    for scenario, description in after["scenarios"].items():
        for page in after["paths"]:
            if (scenario, page) in old:
                lines.append(
                    f"| {description} | {page} | {old[(scenario, page)]['rps'][0]:,.0f} | "
                    f"{new[(scenario, page)]['rps'][0]:,.0f} | "
                    f"{old[(scenario, page)]['p50_c1'][0]:.2f} ms | "
                    f"{new[(scenario, page)]['p50_c1'][0]:.2f} ms |"
                )
    return lines


def write():
    sections = ["# Performance", ""]
    if MAIN.exists():
        results = json.loads(MAIN.read_text())
        sections += main_section(results)
        if BEFORE.exists():
            sections += ["", *before_and_after(json.loads(BEFORE.read_text()), results)]
    for path, title in ((SCALE, "scale"), (LOAD, "load")):
        if path.exists():
            sections += ["", json.loads(path.read_text())["markdown"]]
        else:
            sections += ["", f"(No {title} results yet.)"]
    REPORT.write_text("\n".join(sections) + "\n")


if __name__ == "__main__":
    write()
