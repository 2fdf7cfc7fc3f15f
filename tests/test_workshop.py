"""The workshop (workshop/README.md) cannot rot: for every exercise, its patch still applies to
the code as it is, its check fails in the starting state, and passes without the patch.

Everything runs in a copy of the tracked files, committed to a repository of its own in a
temporary directory, through the same commands `make exercise`, `make exercise-check` and
`make exercise-reset` run: the working tree the tests run from is never touched.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from workshop.exercise import exercises

PROJECT = Path(__file__).resolve().parent.parent
# What the checks of some exercises need besides Django: the PostgreSQL planner, or the edge.
SERVICES = {2: "postgres", 6: "varnish", 7: "varnish", 8: "varnish"}
CHECK_SECONDS = 300


def git(directory, *arguments):
    return subprocess.run(
        ["git", *arguments], cwd=directory, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The tracked files as they are in the working tree now, committed in a copy of their own."""
    copy = tmp_path_factory.mktemp("workshop-tree")
    for name in git(PROJECT, "ls-files", "-z").split("\0"):
        source = PROJECT / name
        if name and source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git(copy, "init", "--quiet")
    git(copy, "add", "--all")
    identity = ["-c", "user.name=Workshop", "-c", "user.email=workshop@localhost"]
    git(copy, *identity, "commit", "--quiet", "--message", "The code as it is")
    return copy


@pytest.fixture(scope="module")
def check_environment(tmp_path_factory):
    """The checks' own database server is this session's PostgreSQL (exercise 2), and they
    share one collection of static files (the edge exercises)."""
    environment = {**os.environ, "DJANGO_STATIC_ROOT": str(tmp_path_factory.mktemp("static"))}
    database = os.environ.get("DATABASE_URL", "")
    if urlsplit(database).scheme.startswith("postgres"):
        environment["WORKSHOP_POSTGRES_URL"] = database
    return environment


def run(tree, environment, module, *arguments):
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=tree,
        env={**environment, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=CHECK_SECONDS,
    )


def each_exercise():
    """Every exercise, marked with the service its check needs, if any."""
    return [
        pytest.param(
            number,
            id=folder.name,
            marks=[getattr(pytest.mark, SERVICES[number])] if number in SERVICES else [],
        )
        for number, folder in exercises().items()
    ]


@pytest.mark.parametrize("number", exercises())
def test_every_exercise_has_a_readme_a_patch_and_a_check_and_its_patch_applies(tree, number):
    folder = exercises()[number]
    for name in ("README.md", "start.patch", "check.py"):
        assert (folder / name).is_file(), f"{folder.name} has no {name}"
    applies = subprocess.run(
        ["git", "apply", "--check", str(folder / "start.patch")],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    assert applies.returncode == 0, f"{folder.name}/start.patch: {applies.stderr}"


@pytest.mark.parametrize("number", each_exercise())
def test_the_check_passes_on_the_code_and_fails_once_the_exercise_has_started(
    tree, check_environment, number
):
    fixed = run(tree, check_environment, "workshop.check", str(number))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "FIXED" in fixed.stdout
    started = run(tree, check_environment, "workshop.exercise", "start", str(number))
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        missing = run(tree, check_environment, "workshop.check", str(number))
        assert missing.returncode == 1, missing.stdout + missing.stderr
        assert "NOT YET" in missing.stdout, missing.stdout + missing.stderr
    finally:
        run(tree, check_environment, "workshop.exercise", "reset")
    assert not git(tree, "status", "--porcelain"), "make exercise-reset left changes behind"


def test_an_exercise_does_not_start_over_uncommitted_work_and_says_how_to_get_back(
    tree, check_environment
):
    work = tree / "articles" / "queries.py"
    committed = work.read_text()
    own_change = committed + "\n# A participant's own change.\n"
    work.write_text(own_change)
    try:
        refused = run(tree, check_environment, "workshop.exercise", "start", "1")
        assert work.read_text() == own_change, "the exercise started over the change"
    finally:
        work.write_text(committed)
    assert refused.returncode != 0
    assert "articles/queries.py" in refused.stderr
    assert "make exercise-reset" in refused.stderr
