"""Timing helpers shared by the benchmarks: percentiles, repeated runs, queries, memory sampling."""

from __future__ import annotations

import csv
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
APP_QUERIES = SHARED / "queries" / "original-app-queries.tsv"
KNOWN_ITEM_QUERIES = SHARED / "eval" / "known-item-dev.tsv"
# Used when ../shared is absent (a fresh clone without the data): a few typical questions.
FALLBACK_QUERIES = [
    "how does EIP-1559 burn fees?", "what is proof of stake", "BIP32 hierarchical deterministic wallets",
    "how do stablecoins keep their peg", "what is a Lightning Network payment channel",
    "Hamster Kombat HMSTR airdrop", "bitcoin halving", "ethereum gas price", "solana validators",
    "erc-20 token approve allowance",
]


def load_queries(path: Path) -> list[str]:
    if not path.exists():
        return list(FALLBACK_QUERIES)
    with open(path, encoding="utf-8") as handle:
        return [row["query"] for row in csv.DictReader(handle, delimiter="\t")]


def query_sets() -> dict[str, list[str]]:
    return {"app": load_queries(APP_QUERIES), "known-item": load_queries(KNOWN_ITEM_QUERIES)}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))]


def latency_runs(fn: Callable, inputs: list, runs: int = 3, warmup: int = 20) -> dict:
    """Call fn on every input, `runs` times; the median over runs of p50/p95/p99 (ms) and of qps.

    Single-threaded, one call at a time. The first `warmup` inputs are run once beforehand
    (page cache, memo tables, lazy imports).
    """
    for item in inputs[:warmup]:
        fn(item)
    per_run = []
    for _ in range(max(1, runs)):
        latencies = []
        for item in inputs:
            start = time.perf_counter()
            fn(item)
            latencies.append((time.perf_counter() - start) * 1000)
        per_run.append(latencies)
    median = lambda values: statistics.median(values)  # noqa: E731
    return {
        "queries": len(inputs),
        "runs": len(per_run),
        "p50_ms": round(median([percentile(r, 50) for r in per_run]), 3),
        "p95_ms": round(median([percentile(r, 95) for r in per_run]), 3),
        "p99_ms": round(median([percentile(r, 99) for r in per_run]), 3),
        "mean_ms": round(median([statistics.fmean(r) for r in per_run]), 3),
        "qps": round(median([len(r) / (sum(r) / 1000) for r in per_run]), 1),
    }


class TreeMemorySampler:
    """Peak memory of a process and its children, sampled in a background thread.

    RSS summed over a forked tree counts shared pages once per process (an upper bound); PSS
    splits shared pages between their users, so its sum is what the tree really costs.
    """

    def __init__(self, pid: int, interval: float = 0.25):
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = self.peak_parent_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            parent = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        tick = 0
        while not self._stop.is_set():
            try:
                procs = [parent, *parent.children(recursive=True)]
                rss = 0
                for proc in procs:
                    try:
                        rss += proc.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                self.peak_parent_rss = max(self.peak_parent_rss, parent.memory_info().rss)
                self.peak_rss = max(self.peak_rss, rss)
                if tick % 4 == 0:  # PSS reads smaps: costlier, so every fourth sample
                    pss = 0
                    for proc in procs:
                        try:
                            pss += proc.memory_full_info().pss
                        except (psutil.NoSuchProcess, psutil.AccessDenied):
                            pass
                    self.peak_pss = max(self.peak_pss, pss)
            except psutil.NoSuchProcess:
                return
            tick += 1
            self._stop.wait(self.interval)

    def result(self) -> dict:
        mb = lambda b: round(b / 2**20, 1)  # noqa: E731
        return {"peak_tree_rss_mb": mb(self.peak_rss), "peak_tree_pss_mb": mb(self.peak_pss),
                "peak_parent_rss_mb": mb(self.peak_parent_rss)}


def private_memory_mb(pid: int) -> dict:
    """USS split into anonymous memory (heap: the process's own cost) and private file pages.

    USS counts every page only this process maps, including pages of the memory-mapped index
    that no other process has touched yet: those are page cache, shared as soon as a second
    worker reads them and dropped by the kernel under pressure. Anonymous memory is what the
    process really holds. Read from /proc/PID/smaps_rollup (Linux).
    """
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, _, rest = line.partition(":")
            fields[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return {}
    mb = lambda b: round(b / 2**20, 1)  # noqa: E731
    return {"anon_mb": mb(fields.get("Anonymous", 0)), "private_file_mb": mb(fields.get("Private_Clean", 0))}


def fit_power_law(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(a, k) with y = a * x**k by least squares in log-log space; None with under two points."""
    import math

    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2 or len({x for x, _ in pts}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    k = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    return math.exp(my - k * mx), k
