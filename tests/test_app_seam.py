"""The seam between the two apps (docs/architecture.md, "Apps and their seam"): evaluation reaches
search only through search/services.py (plus its signals and safe_json), and search calls
evaluation only to log a search and to read the popular questions."""

import ast
import os
import subprocess
import sys

from .conftest import ROOT


def _imports(app: str, other: str) -> set[tuple[str, str, str]]:
    """(importing file, imported module, imported name) for every import of `other` in `app`."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] == other:
                for alias in node.names:
                    module = node.module if node.module != other else f"{other}.{alias.name}"
                    found.add((path.relative_to(ROOT).as_posix(), module, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == other:
                        found.add((path.relative_to(ROOT).as_posix(), alias.name, ""))
    return found


def test_evaluation_reaches_search_only_through_its_services_signals_and_safe_json():
    used = _imports("evaluation", "search")
    assert {module for _, module, _ in used} <= {"search.services", "search.signals", "search.safe_json"}
    assert any(module == "search.services" for _, module, _ in used)


def test_search_calls_evaluation_only_to_log_searches_and_read_popular_questions():
    used = _imports("search", "evaluation")
    assert {(path, name) for path, _, name in used} == {
        ("search/api.py", "search_log_record"), ("search/api.py", "popular_queries"),
        ("search/views.py", "search_log_record"),
    }


def test_the_services_seam_imports_without_a_configured_django():
    """Offline evaluation and the benchmarks rank through it before (or without) django.setup()."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", "import evaluation.offline, search.services"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
