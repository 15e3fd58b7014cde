"""Layers point one way: ``customers`` is the ground floor (design.md §2).

``customers`` imports nothing from the apps built on it; what must follow a
change of customer data is reached through hooks that ``customers`` owns
(``customers/hooks.py``), named by settings.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The apps above customers, and above engagement; api is the top floor.
ABOVE_CUSTOMERS = ("engagement", "targeting", "notifications", "api")
ABOVE_ENGAGEMENT = ("targeting", "notifications", "api")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Return ``(line, module)`` for every import in the file, dynamic ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            # import_module("engagement…"), __import__("engagement…"),
            # import_string("engagement…"): a string import is an import too.
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in ("import_module", "__import__", "import_string")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _is_above_customers(module: str) -> bool:
    return module.split(".")[0] in ABOVE_CUSTOMERS


def test_the_walk_sees_every_kind_of_import(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import engagement.models\n"
        "from engagement.services import membership\n"
        "def f():\n"
        "    from engagement import rules\n"
        "    importlib.import_module('engagement.tasks')\n"
        "from . import sibling\n"
        "import customers.models\n"
    )
    assert [
        name for _, name in _imported_modules(module) if _is_above_customers(name)
    ] == ["engagement.models", "engagement.services", "engagement", "engagement.tasks"]


def test_customers_imports_nothing_from_the_apps_built_on_it():
    modules = sorted((ROOT / "customers").rglob("*.py"))
    assert len(modules) > 20  # the walk found the app
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for line, name in _imported_modules(path)
        if _is_above_customers(name)
    ]
    assert offending == [], "\n".join(offending)


def test_engagement_imports_nothing_from_targeting():
    modules = sorted((ROOT / "engagement").rglob("*.py"))
    assert len(modules) > 20  # the walk found the app
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for line, name in _imported_modules(path)
        if name.split(".")[0] in ABOVE_ENGAGEMENT
    ]
    assert offending == [], "\n".join(offending)


def test_only_the_project_imports_the_api():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for app in ("customers", "engagement", "targeting", "notifications")
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, name in _imported_modules(path)
        if name.split(".")[0] == "api"
    ]
    assert offending == [], "\n".join(offending)


@pytest.mark.parametrize(
    "setting", ["CUSTOMER_DATA_CHANGED", "DEMO_DATA_SEEDED", "CUSTOMER_GROUP_USES"]
)
def test_the_hooks_name_callables_that_exist(settings, setting):
    from django.utils.module_loading import import_string

    paths = getattr(settings, setting)
    for path in [paths] if isinstance(paths, str) else paths:
        assert callable(import_string(path))
