"""The Dockerfile, .dockerignore and CI workflow agree with the project (no Docker, no network)."""

import ast
import importlib.metadata
import importlib.util
import re
import runpy
import subprocess
import sys

import pytest
import yaml

from .conftest import ROOT

# The Dockerfile parser lives in the replay script, so the tests and the replay read it alike.
_spec = importlib.util.spec_from_file_location("replay_dockerfile", ROOT / "scripts" / "replay_dockerfile.py")
replay = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(replay)

STEPS = replay.parse_dockerfile((ROOT / "Dockerfile").read_text())
README = (ROOT / "README.md").read_text()

# Import name -> distribution name for what the image must install (import names differ).
RUNTIME_IMPORTS = {
    "django": "Django",
    "django_q": "django-q2",
    "gunicorn": "gunicorn",
    "whitenoise": "whitenoise",
    "nltk": "nltk",
    "numpy": "numpy",
    "vaderSentiment": "vaderSentiment",
    "trafilatura": "trafilatura",
    "dj_database_url": "dj-database-url",
}


def args_of(keyword: str) -> list[str]:
    return [args for kw, args in STEPS if kw == keyword]


def the(keyword: str) -> str:
    """The arguments of an instruction that must appear exactly once."""
    found = args_of(keyword)
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def index_of(keyword: str, predicate=lambda args: True) -> int:
    return next(i for i, (kw, args) in enumerate(STEPS) if kw == keyword and predicate(args))


def dockerfile_env() -> dict[str, str]:
    env = {}
    for args in args_of("ENV"):
        env.update(replay.key_values(args))
    return env


def workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())


def normalise(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def requirements() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(normalise(re.split(r"[<>=!~\[; ]", line)[0]))
    return names


def test_parser_joins_continuations_and_reads_json_cmd():
    steps = replay.parse_dockerfile('FROM x\n# note\nRUN a \\\n  # inner comment\n  && b\nCMD ["p", "r.py"]\n')
    assert steps == [("FROM", "x"), ("RUN", "a   && b"), ("CMD", '["p", "r.py"]')]
    assert replay.exec_form('["p", "r.py"]') == ["p", "r.py"]
    assert replay.exec_form("p r.py") is None


def test_base_image_python_matches_ci_and_this_interpreter():
    match = re.fullmatch(r"python:(\d+)\.(\d+)-slim", the("FROM"))
    assert match, the("FROM")
    assert the("FROM") == "python:3.11-slim"
    image_version = f"{match[1]}.{match[2]}"
    setup = [s for s in workflow()["jobs"]["test"]["steps"] if "setup-python" in s.get("uses", "")]
    assert [str(s["with"]["python-version"]) for s in setup] == [image_version]
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == image_version


def test_port_7860_everywhere(monkeypatch):
    assert the("EXPOSE") == "7860"
    assert dockerfile_env()["PORT"] == "7860"
    monkeypatch.delenv("PORT", raising=False)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == "0.0.0.0:7860"
    front_matter = yaml.safe_load(README.split("---")[1])
    assert front_matter["sdk"] == "docker" and front_matter["app_port"] == 7860


def test_cmd_is_the_readme_start_command():
    cmd = replay.exec_form(the("CMD"))
    assert cmd is not None, "use the JSON form so signals reach run.py directly"
    assert " ".join(cmd) == "python run.py"
    assert "`python run.py`" in README
    assert (ROOT / "run.py").is_file()
    assert STEPS[-1][0] == "CMD"


def test_copy_sources_exist_and_survive_dockerignore():
    patterns = replay.dockerignore_patterns(ROOT)
    copies = args_of("COPY")
    assert copies
    for args in copies:
        sources, _, _ = replay.copy_parts(args)
        for source in sources:
            path = (ROOT / source).resolve()
            assert path.exists(), source
            kept = list(replay.context_files(ROOT, path, patterns))
            assert kept, f"COPY {source}: .dockerignore leaves nothing to copy"
    # The whole project goes in: the code run.py needs must not be ignored.
    for needed in ["run.py", "manage.py", "gunicorn.conf.py", "cryptosights_project/settings.py", "search/views.py", "static", "templates"]:
        assert not replay.is_ignored(needed, patterns), needed


def test_the_lock_is_installed_before_the_project_is_copied():
    install = index_of("RUN", lambda a: "pip install" in a and "-r requirements.lock" in a)
    assert all(flag in STEPS[install][1] for flag in ("--no-cache-dir", "--require-hashes", "--no-deps"))
    copy_lock = index_of("COPY", lambda a: replay.copy_parts(a)[0] == ["requirements.lock"])
    copy_project = index_of("COPY", lambda a: "." in replay.copy_parts(a)[0])
    assert copy_lock < install < copy_project, "dependencies first, for layer caching"


def lock_pins(name: str) -> dict[str, tuple[str, str]]:
    """distribution -> (version, environment marker) for every package a lock file pins."""
    pins, entry = {}, None
    for line in (ROOT / name).read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            requirement, _, marker = line.rstrip(" \\").partition(";")
            distribution, _, version = requirement.strip().partition("==")
            entry = normalise(distribution)
            pins[entry] = (version.strip(), marker.strip())
        elif "--hash=sha256:" in line and entry:
            pins[entry] += ("hashed",) if len(pins[entry]) == 2 else ()
    return pins


def top_level_pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            distribution, _, version = line.partition("==")
            pins[normalise(re.split(r"[\[ ]", distribution)[0])] = version.strip()
    return pins


def test_locks_pin_the_whole_closure_with_hashes():
    runtime, dev = lock_pins("requirements.lock"), lock_pins("requirements-dev.lock")
    for name, pins in (("requirements.lock", runtime), ("requirements-dev.lock", dev)):
        unhashed = [d for d, pin in pins.items() if pin[2:] != ("hashed",)]
        assert unhashed == [], f"{name}: entries without hashes"
    for distribution, version in top_level_pins("requirements.txt").items():
        assert runtime.get(distribution, ("",))[0] == version, f"requirements.lock is stale for {distribution}: make lock"
    for distribution, version in top_level_pins("requirements-dev.txt").items():
        assert dev.get(distribution, ("",))[0] == version, f"requirements-dev.lock is stale for {distribution}: make lock"
    # The tests run what the image installs: every runtime package at the same version.
    assert {d: runtime[d][0] for d in runtime} == {d: dev[d][0] for d in runtime}
    # Packages that only an extra brings in are part of the closure (jusText needs lxml[html_clean]).
    assert "lxml-html-clean" in runtime
    # Declared but never used, so never installed (the image must not carry PyTorch).
    for unused in ("torch", "sentence-transformers", "huggingface-hub"):
        assert runtime.get(unused, ("", ""))[1] in ("", "sys_platform == 'never'"), unused


def test_this_environment_matches_the_dev_lock():
    from packaging.markers import Marker

    wrong = {}
    for distribution, (version, marker, *_) in lock_pins("requirements-dev.lock").items():
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[distribution] = (version, installed)
    assert wrong == {}, "run `make setup-dev` (locked, installed)"


def _third_party_imports() -> set[str]:
    """Top-level modules imported by the runtime code (not tests, bench or scripts)."""
    local = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} | {p.stem for p in ROOT.glob("*.py")}
    runtime = [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] not in {"tests", "bench", "scripts", ".venv", "var"}]
    found = set()
    for path in runtime:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - local - set(sys.stdlib_module_names) - {"__future__"}


def test_every_runtime_import_is_in_requirements():
    wanted = requirements()
    for module, distribution in RUNTIME_IMPORTS.items():
        assert normalise(distribution) in wanted, f"{module}: add {distribution} to requirements.txt"
    # Anything else the code imports must be declared too (not only installed by accident).
    distributions = importlib.metadata.packages_distributions()
    for module in _third_party_imports():
        owners = {normalise(d) for d in distributions.get(module, [RUNTIME_IMPORTS.get(module, module)])}
        assert owners & wanted, f"{module} is imported but none of {owners} is in requirements.txt"


def test_runs_as_uid_1000():
    user_step = next(args for args in args_of("RUN") if "useradd" in args)
    match = re.search(r"useradd\b.*?(?:--uid|-u)\s+1000\s+(\w+)", user_step)
    assert match, user_step
    user = match[1]
    users = [(i, args) for i, (kw, args) in enumerate(STEPS) if kw == "USER"]
    assert users and users[-1][1] in (user, "1000")
    assert users[-1][0] < index_of("CMD")


def test_healthcheck_data_dir_and_offline_nlp():
    healthcheck = the("HEALTHCHECK")
    assert "/health" in healthcheck and "localhost" in healthcheck and "7860" in healthcheck
    start_period = re.search(r"--start-period=(\d+)s", healthcheck)
    assert start_period and int(start_period[1]) >= 120, "the first start builds an index"
    assert dockerfile_env()["DATA_DIR"] == "/data"
    smoke = " ".join(args_of("RUN"))
    assert "search.nlp.analyzer" in smoke and "search.nlp.sentiment" in smoke
    assert "nltk.download" not in (ROOT / "Dockerfile").read_text()


def test_collectstatic_runs_at_build_time():
    step = next(args for args in args_of("RUN") if "collectstatic" in args)
    assert "--noinput" in step and "SECRET_KEY=" in step and "DATA_DIR=/tmp/build-data" in step


def test_dockerignore_keeps_out_local_state():
    patterns = replay.dockerignore_patterns(ROOT)
    for path in [".venv", ".venv/bin/python", "var", "var/db.sqlite3", ".git", "staticfiles", "search/__pycache__/x.pyc"]:
        assert replay.is_ignored(path, patterns), path


def test_ci_test_job_runs_the_readme_test_command():
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers
    runs = [step["run"].strip() for step in flow["jobs"]["test"]["steps"] if "run" in step]
    assert runs == ["bash .ci/run"]
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci_run, re.M)
    assert "`make test`" in README
    deploy = flow["jobs"]["deploy"]
    assert set(deploy["needs"]) == {"test", "docker"}
    assert "secrets.HF_TOKEN" in deploy["env"]["HF_TOKEN"]
    assert all("env.HF_TOKEN" in step["if"] for step in deploy["steps"])
