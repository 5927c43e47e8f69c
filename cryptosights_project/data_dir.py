"""DATA_DIR: where every stateful file lives, resolved once and the same for every process.

`python run.py` resolves it before it starts anything and hands the resolved path to the
gunicorn workers, the cluster and the manage.py commands it runs, with no fallback left to
take: processes that decided on their own could split the data between two databases.
Plain Python (no Django), so run.py can use it before Django is set up.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


class DataDirError(RuntimeError):
    """DATA_DIR cannot be created or written, and no fallback is allowed."""


def is_usable(path: Path) -> bool:
    """Whether `path` exists (or can be made) and accepts new files.

    The probe is an anonymous temporary file, unique to this call, so processes that check
    the same directory at the same instant cannot delete each other's probe."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
        return True
    except OSError:
        return False


def resolve_data_dir(environ: Mapping[str, str], base_dir: Path) -> tuple[Path, str | None]:
    """(directory, warning): DATA_DIR, or DATA_DIR_FALLBACK when DATA_DIR cannot be used.

    Without DATA_DIR_FALLBACK an unusable directory is an error. The image sets the fallback
    for one documented case: a Space whose /data is not writable (no persistent storage)."""
    wanted = Path(environ.get("DATA_DIR") or base_dir / "var").expanduser().resolve()
    if is_usable(wanted):
        return wanted, None
    fallback_setting = environ.get("DATA_DIR_FALLBACK", "").strip()
    if fallback_setting:
        fallback = Path(fallback_setting).expanduser().resolve()
        if is_usable(fallback):
            return fallback, f"DATA_DIR {wanted} is not writable; using DATA_DIR_FALLBACK {fallback}"
    raise DataDirError(
        f"DATA_DIR {wanted} cannot be created or written by this user. Point DATA_DIR at a "
        "writable directory (or set DATA_DIR_FALLBACK to one that may be used instead)."
    )


def pin_for_children(environ: dict[str, str], data_dir: Path) -> None:
    """Hand the resolved directory to every process started from `environ`, with no fallback."""
    environ["DATA_DIR"] = str(data_dir)
    environ.pop("DATA_DIR_FALLBACK", None)
