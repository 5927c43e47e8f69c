"""Runtimes for the document/query encoder compared: the numpy forward pass, and, where installed, ONNX Runtime and PyTorch.

    python -m bench.semantic_runtime [--onnx minilm.onnx] [--torch] [--docs 128] [--threads 1,2]

Prints, for each runtime and thread count: the median query-encode latency (p50/p95 over the
known-item queries, one at a time), document passages encoded per wall second and per CPU second
of the process (shared corpus, batches of 16, ≤ 256 word pieces; CPU seconds are steadier on a
shared machine), the agreement with the numpy vectors (largest absolute difference), and the
resident memory added by loading the model and encoding the queries: anonymous (the worker's own)
and file-backed (mapped weights, shared by every process that maps the same file).

ONNX Runtime needs a graph (the model package ships none; exporting one needs PyTorch, so that
option is measured here from a graph exported once elsewhere, with input_ids and attention_mask
in, the pooled, normalised embedding out). PyTorch runs the model through sentence-transformers.
Neither is a dependency of the project.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from bench.measure import KNOWN_ITEM_QUERIES, load_queries, percentile


def _memory() -> tuple[int, int]:
    """(anonymous, file-backed) resident bytes: a worker's own memory, and pages it can share (mapped weights)."""
    fields = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            name, _, value = line.partition(":")
            fields[name] = int(value.split()[0]) * 1024 if value.strip().endswith("kB") else value
    return fields["RssAnon"], fields["RssFile"]


def _latencies(fn, queries: list[str], runs: int = 3) -> tuple[float, float, float]:
    """Median over runs of the wall p50 and p95 (ms), and of the CPU-time p50 (ms; steadier on a shared machine)."""
    for q in queries[:20]:
        fn([q])
    p50s, p95s, cpu50s = [], [], []
    for _ in range(runs):
        times, cpu_times = [], []
        for q in queries:
            start, cpu = time.perf_counter(), time.process_time()
            fn([q])
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
        cpu50s.append(percentile(cpu_times, 50))
    return float(np.median(p50s)), float(np.median(p95s)), float(np.median(cpu50s))


def _throughput(fn, passages: list[str]) -> tuple[float, float, np.ndarray]:
    """(passages per wall second, passages per CPU second of this process, vectors)."""
    start, cpu = time.perf_counter(), time.process_time()
    vectors = fn(passages)
    return len(passages) / (time.perf_counter() - start), len(passages) / (time.process_time() - cpu), vectors


def numpy_runtime():
    from search.semantic.model import MiniLM

    model = MiniLM()
    return lambda texts: model.encode(texts, batch_size=16)


def onnx_runtime(path: str, threads: int):
    import onnxruntime as ort

    from search.semantic.model import MiniLM

    tokenizer = MiniLM().tokenizer  # the same tokenization as the numpy path
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def encode(texts):
        ids = [e.ids for e in tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), 16):
            batch = order[start:start + 16]
            length = max(len(ids[i]) for i in batch)
            tokens = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.int64)
            for row, i in enumerate(batch):
                tokens[row, :len(ids[i])] = ids[i]
                mask[row, :len(ids[i])] = 1
            out[batch] = session.run(None, {"input_ids": tokens, "attention_mask": mask})[0]
        return out

    return encode


def torch_runtime(threads: int):
    import torch
    from sentence_transformers import SentenceTransformer

    from search.semantic.model import model_dir

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(model_dir()), device="cpu")
    return lambda texts: model.encode(texts, batch_size=16, normalize_embeddings=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", help="an ONNX export of the model (see the module docstring)")
    parser.add_argument("--torch", action="store_true", help="also measure PyTorch via sentence-transformers")
    parser.add_argument("--docs", type=int, default=128, help="shared-corpus passages to encode for throughput")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--only", choices=["numpy", "onnx", "torch"], help="measure one runtime (one per process keeps USS honest)")
    args = parser.parse_args()
    from bench.corpora import shared_records
    from search.index.allocator import tune_malloc
    from search.semantic.passages import document_passage

    tune_malloc()  # as in a serving worker (gunicorn's post_fork)

    queries = load_queries(KNOWN_ITEM_QUERIES)[:200]
    passages = [document_passage(d.title, d.text) for d in shared_records(limit=args.docs)]
    reference = None
    print(f"{'runtime':<22} {'threads':>7} {'query p50 ms':>12} {'query p95 ms':>12} {'query cpu ms':>12} {'docs/s':>7} {'docs/cpu-s':>10} "
          f"{'max |diff|':>10} {'anon +MB':>8} {'file +MB':>8}")
    for threads in [int(t) for t in args.threads.split(",")]:
        # numpy's BLAS reads its thread count from the environment at import: run one count per process.
        candidates = []
        if args.only in (None, "numpy"):
            candidates.append(("numpy", lambda t=threads: numpy_runtime()))
        if args.onnx and args.only in (None, "onnx"):
            candidates.append(("onnxruntime", lambda t=threads: onnx_runtime(args.onnx, t)))
        if args.torch and args.only in (None, "torch"):
            candidates.append(("torch", lambda t=threads: torch_runtime(t)))
        for name, make in candidates:
            anon, file = _memory()
            fn = make()
            p50, p95, cpu50 = _latencies(fn, queries)
            query_anon, query_file = _memory()  # what a web worker adds: it encodes queries only
            rate, cpu_rate, vectors = _throughput(fn, passages)
            if reference is None:
                reference = numpy_runtime()(passages) if name != "numpy" else vectors
            diff = float(np.abs(vectors - reference).max())
            label = name if name != "numpy" else f"numpy (BLAS {os.environ.get('OPENBLAS_NUM_THREADS', 'default')})"
            print(f"{label:<22} {threads:>7} {p50:>12.2f} {p95:>12.2f} {cpu50:>12.2f} {rate:>7.1f} {cpu_rate:>10.1f} {diff:>10.1e} "
                  f"{(query_anon - anon) / 2**20:>8.1f} {(query_file - file) / 2**20:>8.1f}")


if __name__ == "__main__":
    main()
