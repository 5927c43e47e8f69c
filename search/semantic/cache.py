"""Document vectors cached by the hash of the passage they encode, so a rebuild encodes only what changed.

Layout: `<root>/<namespace>/` holds shards, each a pair of .npy files written by one batch of
encoding: `<shard>.keys.npy` (uint8, n x 16 passage hashes) and `<shard>.vectors.npy` (float32,
n x dims). A shard's vectors are written before its keys, each by rename, so a shard whose keys
file exists is complete; an interrupted first encoding keeps every shard it finished. The
namespace names the model, the forward pass and the passage recipe, so a change of any of them
starts a fresh cache instead of serving stale vectors.

Only one build runs at a time (the index build lock), so the cache needs no locking of its own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

import numpy as np

HASH_BYTES = 16
MAX_SHARDS = 16  # more than this after a build: merge the live entries into one shard


class VectorCache:
    def __init__(self, root: Path, namespace: str, dims: int):
        self.dir = Path(root) / namespace
        self.dims = dims
        self.dir.mkdir(parents=True, exist_ok=True)
        self._where: dict[bytes, tuple[int, int]] = {}  # hash -> (shard number, row)
        self._shards: list[tuple[Path, np.ndarray]] = []  # (keys path, memory-mapped vectors)
        for keys_path in sorted(self.dir.glob("*.keys.npy")):
            self._open_shard(keys_path)

    def _open_shard(self, keys_path: Path) -> None:
        vectors_path = keys_path.with_name(keys_path.name.replace(".keys.npy", ".vectors.npy"))
        try:
            keys = np.load(keys_path, allow_pickle=False)
            vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return  # a damaged shard is only a cache miss
        if keys.ndim != 2 or keys.shape[1] != HASH_BYTES or vectors.shape != (len(keys), self.dims):
            return
        shard = len(self._shards)
        self._shards.append((keys_path, vectors))
        raw = keys.tobytes()
        for row in range(len(keys)):
            self._where[raw[row * HASH_BYTES:(row + 1) * HASH_BYTES]] = (shard, row)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: bytes) -> bool:
        return key in self._where

    def get(self, key: bytes) -> np.ndarray | None:
        found = self._where.get(key)
        if found is None:
            return None
        shard, row = found
        return np.asarray(self._shards[shard][1][row])

    def add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Store one batch as a new shard (written atomically)."""
        if not keys:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(keys), self.dims):
            raise ValueError(f"expected {len(keys)} vectors of {self.dims} dimensions, got {vectors.shape}")
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), HASH_BYTES)
        _save_atomically(self.dir / f"{name}.vectors.npy", vectors)
        _save_atomically(self.dir / f"{name}.keys.npy", key_array)
        self._open_shard(self.dir / f"{name}.keys.npy")

    def compact(self, live: list[bytes]) -> None:
        """Keep only `live` entries, in one shard, when the cache has grown many shards or dead entries."""
        live = [key for key in dict.fromkeys(live) if key in self._where]
        if len(self._shards) <= MAX_SHARDS and len(self._where) <= 2 * len(live) + 1000:
            return
        vectors = np.stack([self.get(key) for key in live]) if live else np.zeros((0, self.dims), np.float32)
        old = [path for path, _ in self._shards]
        self._shards, self._where = [], {}
        self.add(live, vectors)
        for keys_path in old:
            keys_path.unlink(missing_ok=True)
            keys_path.with_name(keys_path.name.replace(".keys.npy", ".vectors.npy")).unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._shards, self._where = [], {}


def _save_atomically(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".tmp-{path.name}")
    with open(tmp, "wb") as handle:
        np.save(handle, array, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
