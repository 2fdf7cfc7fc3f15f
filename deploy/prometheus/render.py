#!/usr/bin/env python3
"""Write Prometheus' configuration for newsite from the template prometheus.yml.

The jobs and the rules never change between machines; the addresses of what to scrape do:

    python3 deploy/prometheus/render.py --prometheus 127.0.0.1:9090 \\
        --django 127.0.0.1:9808 --varnish 127.0.0.1:9131 > prometheus.yml
    prometheus --config.file=prometheus.yml …

A job given no address scrapes nothing. Standard library only, like deploy/varnish/render.py.
"""

import argparse
import sys
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "prometheus.yml"
JOBS = ("prometheus", "django", "varnish", "postgres", "redis", "sentinel", "haproxy")


def address(value):
    host, separator, port = value.rpartition(":")
    if not separator or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT, such as 127.0.0.1:9808")
    return value


def render(targets):
    """The configuration, scraping `targets`: {job: ["HOST:PORT", …]} for the jobs in JOBS."""
    unknown = set(targets) - set(JOBS)
    if unknown:
        raise ValueError(f"unknown jobs: {', '.join(sorted(unknown))}")
    lists = {job: ", ".join(f'"{target}"' for target in targets.get(job, [])) for job in JOBS}
    return Template(TEMPLATE.read_text()).substitute(lists, rules=HERE)


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for job in JOBS:
        parser.add_argument(
            f"--{job}", type=address, action="append", default=[], help="HOST:PORT (repeatable)"
        )
    options = parser.parse_args(arguments)
    sys.stdout.write(render({job: getattr(options, job) for job in JOBS}))


if __name__ == "__main__":
    main()
