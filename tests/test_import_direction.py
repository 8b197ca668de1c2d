"""Apps import one way: config → insights → credits → calls → leads → territories → billing →
marketplace. A module imports only the apps to its right (and itself), function-level
imports included; so nothing outside config imports insights and marketplace imports no
other app. Migrations are left out: Django writes their dependencies."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAIN = ["config", "insights", "credits", "calls", "leads", "territories", "billing", "marketplace"]
RANK = {app: rank for rank, app in enumerate(CHAIN)}


def imported_apps(tree: ast.AST):
    """(line, imported module) for every import naming one of our apps."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue  # relative imports stay inside their app
        for name in names:
            if name.split(".")[0] in RANK:
                yield node.lineno, name


def wrong_way_imports() -> list[str]:
    found = []
    for app in CHAIN:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for line, name in imported_apps(ast.parse(path.read_text(), str(path))):
                target = name.split(".")[0]
                if target != app and RANK[target] < RANK[app]:
                    found.append(f"{path.relative_to(ROOT)}:{line} {app} imports {name}")
    return found


def test_every_app_is_scanned():
    assert all((ROOT / app / "__init__.py").exists() for app in CHAIN)


def test_apps_import_only_the_apps_to_their_right():
    assert wrong_way_imports() == []


def test_the_scan_catches_a_wrong_way_import_inside_a_function():
    tree = ast.parse("def f():\n    from credits import services\n")
    assert list(imported_apps(tree)) == [(2, "credits")]


def test_insights_reads_other_apps_only_through_their_queries():
    """insights only reads: it may name other apps' models for their choices (Offer.Route,
    Entry.Kind), but every query goes through the owning app's queries.py."""
    found = []
    for path in sorted((ROOT / "insights").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "objects":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses a model manager")
    assert found == []
