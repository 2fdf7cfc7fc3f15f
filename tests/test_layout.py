"""Which code may import which: the dependency rules of DESIGN.md, checked on the source.

Shared content never depends on readers (`articles` never imports `accounts`), the caching
toolkit serves every app and knows none, and the site runs without its demo data (no app imports
`demo`, which imports them all to seed the database).
"""

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def imported_packages(package):
    """{(top-level package imported, the file that imports it)} for every module of `package`,
    imports inside functions included."""
    found = set()
    for path in (PROJECT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            found.update((name.split(".")[0], str(path.relative_to(PROJECT))) for name in names)
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("articles", {"accounts", "demo"}),
        ("accounts", {"demo"}),
        ("newsite", {"demo"}),
    ],
)
def test_the_site_never_imports_its_demo_data_and_the_newsroom_never_imports_readers(
    package, forbidden
):
    assert {(name, path) for name, path in imported_packages(package) if name in forbidden} == set()


def test_the_caching_toolkit_imports_no_app():
    apps = {"articles", "accounts", "demo"}
    imports = imported_packages("newsite/cache")
    assert {(name, path) for name, path in imports if name in apps} == set()
