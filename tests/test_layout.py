"""Which code may import which: the dependency rules of DESIGN.md, checked on the source.

Shared content never depends on readers (`articles` never imports `accounts`), the caching
toolkit serves every app and knows none, the site runs without its demo data (no app imports
`demo`, which imports them all to seed the database), and no module imports the URLconf, which
imports the views, sitemaps and models: Django loads it by name (ROOT_URLCONF).
"""

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def imported_modules(package):
    """{(module imported, the file that imports it)} for every module of `package`, imports
    inside functions included."""
    found = set()
    for path in (PROJECT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                # `from newsite import urls` imports newsite.urls as well as newsite.
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            found.update((name, str(path.relative_to(PROJECT))) for name in names)
    return found


def imported_packages(package):
    """{(top-level package imported, the file that imports it)} for every module of `package`."""
    return {(name.split(".")[0], path) for name, path in imported_modules(package)}


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


@pytest.mark.parametrize("package", ["newsite", "articles", "accounts", "demo", "deploy", "bench"])
def test_no_module_imports_the_urlconf(package):
    """Models check section slugs against the URLconf, which imports the sitemaps, which import
    the models: the URLconf is read through Django's resolver (newsite/reserved_paths.py)."""
    assert {
        (name, path) for name, path in imported_modules(package) if name == "newsite.urls"
    } == set()
