"""The dependency arrows of docs/architecture.md: API and admin → services → selectors/pipeline →
models and engine. A package imports only from its own layer or the layers below, so no cycle can
form between packages. Imports inside functions count too."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. tracker.tasks sits with the services: a task calls one service, and a service queues
# its task after commit (importing it inside the function, as Celery's Django guide does). The import
# planners (tracker.imports) sit with the services too: the import service runs them, and they apply
# the services' own checks (the USCC rule, the designation lifecycle) to whole columns. A worker's
# bootstep and the beat scheduler are process hooks registered by config, so they are entry points.
LAYERS = [
    ("engine and leaf utilities", ["tracker.rules", "tracker.uscc", "tracker.xlsx", "tracker.text",
                                   "tracker.online_migrations"]),
    ("models", ["tracker.models"]),
    ("observability", ["tracker.observability"]),
    ("selectors", ["tracker.selectors"]),
    ("pipeline", ["tracker.pipeline"]),
    ("reports", ["tracker.reports"]),
    ("services", ["tracker.services", "tracker.tasks", "tracker.imports"]),
    ("doors", ["tracker.admin", "api"]),
    ("entry points", ["tracker.management", "tracker.bench", "tracker.demo", "tracker.checks", "tracker.apps",
                      "tracker.observability.worker", "tracker.observability.beat", "config"]),
]


def layer_of(module: str) -> int | None:
    best = None
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def source_files():
    for package in ("tracker", "api", "config"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts and path != ROOT / "tracker" / "__init__.py":
                yield path


def test_no_package_imports_from_a_layer_above_it():
    violations = []
    for path in source_files():
        module = module_name(path)
        own = layer_of(module)
        assert own is not None, f"{module} belongs to no layer: add it to LAYERS"
        for imported in imports_of(path):
            target = layer_of(imported)
            if target is not None and target > own:
                violations.append(f"{module} ({LAYERS[own][0]}) imports {imported} ({LAYERS[target][0]})")
    assert not violations, "\n".join(sorted(violations))


def test_the_engine_imports_nothing_from_django():
    for path in (ROOT / "tracker" / "rules").rglob("*.py"):
        assert not any(name == "django" or name.startswith("django.") for name in imports_of(path)), path
