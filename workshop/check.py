"""make exercise-check N=3: is the exercise's technique back? Measure it and say so.

Each exercise folder has a check.py whose `check()` measures the technique on small data,
prints what it measured in plain words, and returns True when the technique is back. This
runner loads it, prints the verdict and exits non-zero until then.
"""

import importlib.util
import sys

from workshop.exercise import folder, title


def load_check(exercise):
    spec = importlib.util.spec_from_file_location(
        f"workshop_check_{exercise.name}", exercise / "check.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(number):
    exercise = folder(number)
    print(f"{title(exercise)}\n")
    passed = load_check(exercise).check()
    if passed:
        print("\nFIXED: the technique is back.")
        return 0
    print(f"\nNOT YET: the technique is still missing. Hints: {exercise.name}/README.md.")
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m workshop.check N")
    sys.exit(main(sys.argv[1]))
