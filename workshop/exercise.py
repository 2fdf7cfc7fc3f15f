"""make exercise N=3 and make exercise-reset: take a technique out of the code, and put it back.

Each exercise folder holds the technique's removal as a patch (start.patch). Starting applies it
to a working tree with nothing uncommitted, so that resetting (back to the committed code) can
never throw away work of the participant's own.
"""

import subprocess
import sys
from pathlib import Path

WORKSHOP = Path(__file__).resolve().parent
PROJECT = WORKSHOP.parent


def exercises():
    """{number: folder} for every exercise, such as {3: workshop/03-query-cache}."""
    return {int(folder.name[:2]): folder for folder in sorted(WORKSHOP.glob("[0-9][0-9]-*"))}


def folder(number):
    """The folder of exercise `number`; exits with the list of exercises if there is none."""
    found = exercises()
    try:
        return found[int(number)]
    except (KeyError, ValueError):
        listing = "\n".join(f"  make exercise N={n}   {path.name}" for n, path in found.items())
        sys.exit(f"There is no exercise {number!r}. The exercises are:\n{listing}")


def title(exercise):
    """The first line of the exercise's README, without the '#'."""
    return (exercise / "README.md").read_text().splitlines()[0].lstrip("# ")


def git(*arguments):
    return subprocess.run(
        ["git", *arguments], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout


def uncommitted_changes():
    """`git status` lines for every change not committed, untracked files included."""
    return git("status", "--porcelain", "--untracked-files=all").splitlines()


def start(number):
    exercise = folder(number)
    changes = uncommitted_changes()
    if changes:
        listing = "\n".join(f"  {line}" for line in changes)
        sys.exit(
            f"Not started: the working tree has changes that are not committed:\n{listing}\n\n"
            "An exercise starts from committed code, so that `make exercise-reset` can bring "
            "it back without losing anything of yours. Either keep your changes (commit them "
            "on a branch of your own, or save them with `git diff > ~/my-changes.patch`), or "
            "if they are an earlier exercise's, drop them: `make exercise-reset`. Then run "
            f"`make exercise N={number}` again."
        )
    patch = exercise / "start.patch"
    git("apply", str(patch))
    changed = git("diff", "--stat").rstrip()
    print(
        f"{title(exercise)}: started.\n"
        f"The technique is gone from the code:\n{changed}\n\n"
        f"Read {exercise.relative_to(PROJECT)}/README.md, then measure with "
        f"`make exercise-check N={number}`.\n"
        "`make exercise-reset` returns to the committed code (your changes are discarded)."
    )


def reset():
    discarded = uncommitted_changes()
    # Back to the committed files, and without the files an exercise or the participant
    # added (a migration, say). Ignored files (.venv, the database) stay.
    git("checkout", "HEAD", "--", ".")
    git("clean", "--force", "-d", "--quiet")
    if discarded:
        listing = "\n".join(f"  {line}" for line in discarded)
        print(f"Back to the committed code. Discarded:\n{listing}")
    else:
        print("Nothing to reset: the working tree is the committed code.")


if __name__ == "__main__":
    if sys.argv[1:] == ["reset"]:
        reset()
    elif len(sys.argv) == 3 and sys.argv[1] == "start":
        start(sys.argv[2])
    else:
        sys.exit("usage: python -m workshop.exercise start N | reset")
