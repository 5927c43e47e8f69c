#!/usr/bin/env python3
"""Replay the Dockerfile's build steps without Docker, to exercise the image's install path.

    python scripts/replay_dockerfile.py [--dockerfile Dockerfile] [--keep | --into DIR]

In a temporary directory it creates a virtualenv with the machine's python<X.Y> (X.Y taken from
the FROM python:X.Y-... tag) and a fake image root. Instructions are replayed in order:
WORKDIR, ENV and ARG set the directory and environment (absolute paths are mapped into the fake
root, so ENV DATA_DIR=/data never touches the real /data); COPY copies from the build context
minus .dockerignore; RUN runs with bash, with the venv's bin first on PATH so `pip` and `python`
are the venv's. Steps that need root or change the system (useradd, chown, apt-get, ...) are
skipped with a note. Stops with a non-zero exit code at the first failing step.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# RUN steps containing these need root or alter the machine; a user-level replay skips them.
ROOT_ONLY = re.compile(r"\b(useradd|groupadd|adduser|addgroup|usermod|chown|chgrp|apt-get|apt|apk|dpkg|yum|dnf)\b")
# Instructions that only describe the image's runtime; nothing to replay at build time.
METADATA = {"FROM", "USER", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "LABEL", "VOLUME", "STOPSIGNAL", "SHELL", "ONBUILD"}


# --- Parsing (also used by tests/test_deployment.py) ----------------------------------------


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with backslash continuations joined and comments dropped.

    Like Docker, comment lines inside a continued instruction are removed, and the
    backslash-newline itself disappears (the next line is appended as it is)."""
    steps, current = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not current):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1]
            continue
        current += line
        if current.strip():
            keyword, _, args = current.strip().partition(" ")
            steps.append((keyword.upper(), args.strip()))
        current = ""
    return steps


def exec_form(args: str) -> list[str] | None:
    """The argv of a JSON-form instruction (CMD ["python", "run.py"]), or None for shell form."""
    if args.startswith("["):
        try:
            value = json.loads(args)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
    return None


def key_values(args: str) -> dict[str, str]:
    """ENV/ARG arguments: `K=V K2="V 2"` pairs, or the legacy `K V` form."""
    words = shlex.split(args)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])} if len(words) > 1 else {words[0]: ""}
    return dict(word.split("=", 1) for word in words)


def copy_parts(args: str) -> tuple[list[str], str, dict[str, str]]:
    """COPY arguments: (sources, destination, --flags)."""
    words = exec_form(args) or shlex.split(args)
    flags = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    return words[:-1], words[-1], flags


def dockerignore_patterns(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern:
    pattern = pattern.strip("/")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def is_ignored(relpath: str, patterns: list[str]) -> bool:
    """Roughly Docker's rule: the last matching pattern wins, `!` re-includes, and a pattern
    that matches a directory excludes everything below it."""
    parts = relpath.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!"))
        if any(regex.match(prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


# --- Replay ---------------------------------------------------------------------------------


def context_files(context: Path, source: Path, patterns: list[str]):
    """Files under source (a file or directory in the context) that .dockerignore keeps."""
    if source.is_file():
        yield source
        return
    prune = not any(p.startswith("!") for p in patterns)  # a `!` pattern may re-include below
    for dirpath, dirnames, filenames in os.walk(source):
        here = Path(dirpath)
        if prune:
            dirnames[:] = [d for d in dirnames if not is_ignored((here / d).relative_to(context).as_posix(), patterns)]
        for name in sorted(filenames):
            if not is_ignored((here / name).relative_to(context).as_posix(), patterns):
                yield here / name


def copy_context(context: Path, sources: list[str], dest_arg: str, dest: Path, patterns: list[str]) -> int:
    """COPY sources (relative to the context) to dest, leaving out ignored paths. As in Docker,
    a directory source copies its contents, and a file lands inside dest when dest is a
    directory (`.`, ends with `/`, or already exists), otherwise at dest itself."""
    copied = 0
    into_dir = dest_arg in (".", "./") or dest_arg.endswith("/") or dest.is_dir() or len(sources) > 1
    for source in sources:
        base = (context / source).resolve()
        if not base.exists():
            raise FileNotFoundError(f"COPY source {source!r} is not in the build context")
        for path in context_files(context, base, patterns):
            if base.is_file():
                target = dest / path.name if into_dir else dest
            else:
                target = dest / path.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied += 1
    return copied


class StepFailed(Exception):
    pass


class Replay:
    def __init__(self, dockerfile: Path, context: Path, tmp: Path):
        self.dockerfile, self.context, self.tmp = dockerfile, context, tmp
        self.fake_root = tmp / "root"
        self.venv = tmp / "venv"
        self.workdir = self.fake_root
        # The python image's PATH, so `ENV PATH=/x:$PATH` keeps the system directories.
        self.env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        self.patterns = dockerignore_patterns(context)
        self.summary: list[tuple[str, str, float]] = []

    def image_path(self, path: str) -> Path:
        """An absolute path inside the image, mapped into the fake root."""
        return self.fake_root / path.lstrip("/") if path.startswith("/") else self.workdir / path

    def expand(self, value: str) -> str:
        """Docker-style $VAR / ${VAR} substitution from the build's own environment."""
        return re.sub(r"\$\{?(\w+)\}?", lambda m: self.env.get(m.group(1), ""), value)

    def run_env(self) -> dict[str, str]:
        env = {"LANG": "C.UTF-8", "HOME": str(self.fake_root / "root")}
        # Keep the machine's package-index set-up (mirrors, certificates, proxies) so pip works here.
        env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_") or k.lower().endswith("_proxy")})
        user_pip_conf = Path.home() / ".config" / "pip" / "pip.conf"
        if user_pip_conf.exists() and "PIP_CONFIG_FILE" not in env:
            env["PIP_CONFIG_FILE"] = str(user_pip_conf)
        # Absolute paths point into the fake root, so ENV DATA_DIR=/data never touches /data.
        env.update({k: str(self.image_path(v)) if v.startswith("/") and k != "PATH" else v for k, v in self.env.items()})
        Path(env["HOME"]).mkdir(parents=True, exist_ok=True)  # useradd --create-home was skipped
        env["PATH"] = f"{self.venv / 'bin'}:{self.env['PATH']}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return env

    def create_venv(self, base_image: str) -> None:
        match = re.match(r"python:(\d+\.\d+)", base_image)
        python = shutil.which(f"python{match.group(1)}") if match else None
        if python is None:
            raise SystemExit(f"no python matching base image {base_image!r} on this machine")
        subprocess.run([python, "-m", "venv", str(self.venv)], check=True)
        version = subprocess.run([str(self.venv / "bin" / "python"), "--version"], capture_output=True, text=True).stdout.strip()
        print(f"venv: {self.venv} ({version}, for base image {base_image})")

    def step(self, keyword: str, args: str) -> str:
        """Replay one instruction; returns its status for the summary."""
        if keyword == "FROM":
            self.create_venv(args.split()[0])
            return "venv created"
        if keyword in METADATA:
            return "runtime metadata, not replayed"
        if keyword in ("ENV", "ARG"):
            # Values are kept as the image sees them (for $VAR expansion) and mapped at RUN time.
            for key, value in key_values(args).items():
                if keyword == "ENV" or key not in self.env:
                    self.env[key] = self.expand(value)
            return "set"
        if keyword == "WORKDIR":
            self.workdir = self.image_path(self.expand(args))
            self.workdir.mkdir(parents=True, exist_ok=True)
            return f"-> {self.workdir.relative_to(self.tmp)}"
        if keyword in ("COPY", "ADD"):
            sources, dest, flags = copy_parts(args)
            if "from" in flags or any("://" in s for s in sources):
                return "skipped: copies from another stage or URL"
            dest = self.expand(dest)
            count = copy_context(self.context, sources, dest, self.image_path(dest), self.patterns)
            return f"{count} files copied" + (" (--chown ignored)" if "chown" in flags else "")
        if keyword == "RUN":
            needs_root = sorted(set(ROOT_ONLY.findall(args)))
            if needs_root:
                return f"skipped: needs root/system changes ({', '.join(needs_root)})"
            argv = exec_form(args) or ["bash", "-c", args]
            result = subprocess.run(argv, cwd=self.workdir, env=self.run_env())
            if result.returncode != 0:
                raise StepFailed(f"exit code {result.returncode}")
            return "ok"
        return f"skipped: {keyword} is not supported by the replay"

    def run(self) -> int:
        steps = parse_dockerfile(self.dockerfile.read_text())
        failed = 0
        for number, (keyword, args) in enumerate(steps, start=1):
            label = f"{keyword} {args}"
            print(f"\n[{number}/{len(steps)}] {label[:160]}", flush=True)
            started = time.monotonic()
            try:
                status = self.step(keyword, args)
            except (StepFailed, FileNotFoundError, subprocess.CalledProcessError) as error:
                status, failed = f"FAILED: {error}", number
            self.summary.append((label, status, time.monotonic() - started))
            print(f"    {status}", flush=True)
            if failed:
                break
        print("\nSummary:")
        for label, status, seconds in self.summary:
            print(f"  {seconds:6.1f}s  {label.splitlines()[0][:60]:60}  {status}")
        if failed:
            print(f"\nstep {failed} failed; later steps were not run")
            return 1
        skipped = sum(status.startswith("skipped") for _, status, _ in self.summary)
        print(f"\n{len(steps)} instructions: {skipped} RUN/COPY steps skipped (reasons above), none failed")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "Dockerfile")
    parser.add_argument("--context", type=Path, default=ROOT)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--into", type=Path, help="replay into this (new or empty) directory and keep it: "
                        "venv/ is the image's Python, root/ its file system")
    options = parser.parse_args()
    started = time.monotonic()
    if options.into:
        options.into.mkdir(parents=True, exist_ok=True)
        tmp, options.keep = options.into.resolve(), True
    else:
        tmp = Path(tempfile.mkdtemp(prefix="replay-dockerfile-"))
    try:
        code = Replay(options.dockerfile.resolve(), options.context.resolve(), tmp).run()
    finally:
        if options.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"replay took {time.monotonic() - started:.0f}s")
    return code


if __name__ == "__main__":
    sys.exit(main())
