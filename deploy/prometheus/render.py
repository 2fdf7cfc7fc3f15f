#!/usr/bin/env python3
"""Write Prometheus' configuration for newsite from the template prometheus.yml.

The jobs and the rules never change between machines; the addresses of what to scrape do:

    python3 deploy/prometheus/render.py --prometheus 127.0.0.1:9090 \\
        --django 127.0.0.1:9808 --varnish 127.0.0.1:9131 > prometheus.yml
    prometheus --config.file=prometheus.yml …

A job given no address scrapes nothing. An address may carry a name, NAME=HOST:PORT, which
the dashboard shows instead of the address (its `instance` label). Standard library only, like
deploy/varnish/render.py.
"""

import argparse
import json
import sys
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "prometheus.yml"
JOBS = ("prometheus", "django", "varnish", "postgres", "redis", "sentinel", "haproxy")


def address(value):
    host, separator, port = value.rpartition("=")[2].rpartition(":")
    if not separator or not port.isdigit() or not host:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not [NAME=]HOST:PORT, such as 127.0.0.1:9808 or varnish1=127.0.0.1:9131"
        )
    return value


def static_configs(targets):
    """One job's targets as YAML (JSON is YAML): the unnamed ones together, each named one
    with its name as its `instance` label."""
    unnamed = [target for target in targets if "=" not in target]
    configs = [{"targets": unnamed}] if unnamed or not targets else []
    for target in targets:
        if "=" in target:
            name, _, address = target.rpartition("=")
            configs.append({"targets": [address], "labels": {"instance": name}})
    return json.dumps(configs)


def render(targets):
    """The configuration, scraping `targets`: {job: ["[NAME=]HOST:PORT", …]} for the jobs in
    JOBS."""
    unknown = set(targets) - set(JOBS)
    if unknown:
        raise ValueError(f"unknown jobs: {', '.join(sorted(unknown))}")
    configs = {job: static_configs(targets.get(job, [])) for job in JOBS}
    return Template(TEMPLATE.read_text()).substitute(configs, rules=HERE)


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for job in JOBS:
        parser.add_argument(
            f"--{job}",
            type=address,
            action="append",
            default=[],
            help="[NAME=]HOST:PORT (repeatable)",
        )
    options = parser.parse_args(arguments)
    sys.stdout.write(render({job: getattr(options, job) for job in JOBS}))


if __name__ == "__main__":
    main()
