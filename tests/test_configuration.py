"""Every environment variable is declared once (newsite/configuration.py), with its type, default
and one line of documentation, and the README's configuration tables are written from those
declarations: a variable read without being declared, declared without being read, or
documented differently in the README fails here."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsite import configuration

PROJECT = Path(__file__).resolve().parent.parent
PACKAGES = ["newsite", "articles", "accounts", "demo", "deploy", "bench"]
# Runs on a Varnish machine before any virtual environment exists: the standard library only,
# so it reads NEWSITE_EDGE_PURGE_SECRET (declared like the rest) for itself.
READS_FOR_ITSELF = {"deploy/varnish/render.py"}


def python_files():
    for package in PACKAGES:
        for path in (PROJECT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def is_os_environ(node):
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def is_a_read(node):
    """os.environ.get(…), os.getenv(…) or os.environ[…]."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.ctx, ast.Load) and is_os_environ(node.value)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    return node.func.attr == "getenv" or (
        node.func.attr == "get" and is_os_environ(node.func.value)
    )


def reads_the_environment(tree):
    """Lines where a module reads a variable itself."""
    return [node.lineno for node in ast.walk(tree) if is_a_read(node)]


def is_a_declared_read(function):
    """`env(…)` (configuration.read, imported so) or `configuration.read(…)`."""
    if isinstance(function, ast.Name):
        return function.id == "env"
    return (
        isinstance(function, ast.Attribute)
        and function.attr == "read"
        and isinstance(function.value, ast.Name)
        and function.value.id == "configuration"
    )


def names_read_through_the_declarations(tree):
    """The variables a module reads with `read("NAME")` (imported as `env` or called on the
    module), or with a constant naming one, such as STAFF_PASSWORD_VARIABLE."""
    constants = {
        target.id: node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        if not is_a_declared_read(node.func):
            continue
        argument = node.args[0]
        if isinstance(argument, ast.Constant):
            yield argument.value
        elif isinstance(argument, ast.Name) and argument.id in constants:
            yield constants[argument.id]


def test_the_readme_tables_are_the_ones_the_declarations_write():
    """`make configuration-docs` rewrites them; edit newsite/configuration.py, not the README."""
    readme = (PROJECT / "README.md").read_text()
    assert configuration.readme_with_tables(readme) == readme


def test_the_readme_documents_the_per_site_cache():
    readme = (PROJECT / "README.md").read_text()
    assert "`site` for Django's own per-site cache" in readme
    assert "| `NEWSITE_SITE_CACHE_SECONDS` |" in readme


def test_nothing_reads_the_environment_but_through_the_declarations():
    reads = {
        f"{path.relative_to(PROJECT)}:{line}"
        for path, tree in python_files()
        if path.name != "configuration.py"
        and str(path.relative_to(PROJECT)) not in READS_FOR_ITSELF
        for line in reads_the_environment(tree)
    }
    assert reads == set()


def test_every_declared_variable_is_read_and_every_variable_read_is_declared():
    read = {
        name for _, tree in python_files() for name in names_read_through_the_declarations(tree)
    }
    assert read == set(configuration.DECLARED)


def test_a_variable_set_empty_takes_its_default_unless_empty_means_none(monkeypatch):
    monkeypatch.setenv("NEWSITE_EDGE_TTL", "")
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "")
    assert configuration.read("NEWSITE_EDGE_TTL") == 600
    assert configuration.read("GUNICORN_ACCESS_LOG") == ""


def test_a_default_may_differ_in_development(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "true")
    assert configuration.read("NEWSITE_SERVER_TIMING") == "detail"
    monkeypatch.setenv("DJANGO_DEBUG", "false")
    assert configuration.read("NEWSITE_SERVER_TIMING") == "total"
    assert configuration.read("DJANGO_SECRET_KEY") is None


def test_a_value_of_the_wrong_type_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NEWSITE_EDGE_TTL", "ten minutes")
    with pytest.raises(ImproperlyConfigured, match="NEWSITE_EDGE_TTL='ten minutes' is not a whole"):
        configuration.read("NEWSITE_EDGE_TTL")
