"""A BERT sentence encoder in plain numpy, so answering a question never imports PyTorch.

Importing torch and transformers costs seconds and hundreds of MB in every cold
`briefbot ask`, only to embed one question. This module runs the same forward
pass (embeddings + LayerNorm, 6 x [self-attention, GELU feed-forward], mean
pooling, L2 normalisation) with weights read from model.safetensors and tokens from
the `tokenizers` library, so its vectors match the torch encoder's (cosine >= 0.9999)
and can be compared with the sentence vectors stored at ingest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

#: Architectures whose weights this forward pass understands.
SUPPORTED_TYPES = frozenset({"bert"})

#: Batches with fewer (texts x tokens) than this run BLAS on one thread. A question's
#: matrices are tiny: waking OpenBLAS's threads on 2 busy cores cost 20x the arithmetic
#: (measured: one question 430 ms median with threads, 20 ms without).
ONE_THREAD_BELOW = 4096


class UnsupportedModel(RuntimeError):
    """The model directory holds something the numpy forward pass cannot run."""


def model_type(model_dir: Path) -> str:
    """`model_type` from config.json ("" when the file is missing or unreadable)."""
    try:
        return str(json.loads((model_dir / "config.json").read_text("utf-8")).get("model_type", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def supports(model_dir: Path) -> bool:
    """Whether the numpy backend can run this directory (BERT weights as safetensors + tokenizer.json)."""
    return (model_type(model_dir) in SUPPORTED_TYPES and (model_dir / "model.safetensors").is_file()
            and (model_dir / "tokenizer.json").is_file())


#: safetensors dtype names this reader converts to float32 (BF16 has no numpy type).
_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


def read_safetensors(path: Path, *, skip: str = "") -> dict[str, np.ndarray]:
    """The float tensors of a .safetensors file as float32 arrays, read with plain file reads.

    The format is an 8-byte little-endian header length, a JSON header giving each
    tensor's dtype, shape and byte range, then the raw bytes. Reading each range into
    its own array keeps peak memory at the weights once; the safetensors library maps
    the file, and the mapped pages plus the arrays doubled a cold `ask`'s peak RSS.
    Tensors whose name ends with `skip` are not read.
    """
    with path.open("rb") as f:
        try:
            return _read_tensors(f, skip)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UnsupportedModel(f"{path} is not a readable safetensors file "
                                   f"({type(exc).__name__}: {str(exc)[:120]})") from None


def _read_tensors(f: BinaryIO, skip: str) -> dict[str, np.ndarray]:
    total = os.fstat(f.fileno()).st_size
    size = int.from_bytes(f.read(8), "little")
    if size > total - 8:
        raise ValueError(f"header of {size} bytes in a file of {total}")
    header = json.loads(f.read(size))
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__" or (skip and name.endswith(skip)):
            continue
        if meta["dtype"] not in _DTYPES:
            raise ValueError(f"tensor {name} is {meta['dtype']}; the numpy encoder reads "
                             "F32/F16/F64 only: use BRIEFBOT_ENCODER=torch")
        start, end = meta["data_offsets"]
        if not 0 <= start <= end <= total - 8 - size:
            raise ValueError(f"tensor {name}: byte range {start}-{end} outside the file")
        dtype = np.dtype(_DTYPES[meta["dtype"]]).newbyteorder("<")
        f.seek(8 + size + start)
        data = np.fromfile(f, dtype=dtype, count=(end - start) // dtype.itemsize)
        out[name] = data.reshape(meta["shape"]).astype(np.float32, copy=False)
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1.2e-7 (Numerical Recipes' erfc Chebyshev fit): numpy has none, scipy is not ours.

    In place where it can: on a batch this runs over millions of values per layer.
    """
    # Beyond 4 erf is 1 in float32; capping keeps exp() clear of slow subnormal numbers.
    z = np.minimum(np.abs(x), np.float32(4.0))
    t = z * np.float32(0.5)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(0.17087277)
    poly -= 0.82215223
    for c in (1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
              1.00002368, -1.26551223):
        poly *= t
        poly += c
    z *= z
    poly -= z
    np.exp(poly, out=poly)
    poly *= t  # erfc(|x|)
    np.subtract(1.0, poly, out=poly)
    return np.copysign(poly, x, out=poly)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x) (not the tanh approximation)."""
    phi = _erf(x * np.float32(1.0 / np.sqrt(2.0)))
    phi += 1.0
    phi *= x
    phi *= 0.5
    return phi


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (hidden, 3*hidden): query, key and value in one matmul
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    ff_in_w: np.ndarray
    ff_in_b: np.ndarray
    ff_out_w: np.ndarray
    ff_out_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


class NumpyBert:
    """The BERT encoder of a transformers model directory, run with numpy. Not thread-safe."""

    def __init__(self, model_dir: Path, *, max_tokens: int = 128) -> None:
        if not supports(model_dir):
            raise UnsupportedModel(
                f"{model_dir} is not a BERT model with model.safetensors and tokenizer.json "
                "(found model_type " f"{model_type(model_dir) or 'none'!r}); use BRIEFBOT_ENCODER=torch")
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text("utf-8"))
        if config.get("hidden_act", "gelu") != "gelu" or config.get(
                "position_embedding_type", "absolute") != "absolute":
            raise UnsupportedModel(f"{model_dir}: only GELU and absolute positions are supported; "
                                   "use BRIEFBOT_ENCODER=torch")
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_tokens = min(max_tokens, int(config.get("max_position_embeddings", 512)))

        # Some checkpoints (BertForX) prefix every name with "bert."; the encoder is the same.
        w = {k.removeprefix("bert."): v for k, v in read_safetensors(model_dir / "model.safetensors",
                                                                    skip="position_ids").items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [self._layer(w, f"encoder.layer.{i}.")
                       for i in range(int(config["num_hidden_layers"]))]

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()  # padded per batch below, to the longest text
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self._threads: Any = None  # a threadpoolctl controller, made on the first small batch

    @staticmethod
    def _layer(w: dict[str, np.ndarray], p: str) -> _Layer:
        """One layer's weights as transposed views (BLAS reads them as they are: no copies)."""
        att = p + "attention.self."
        return _Layer(
            qkv_w=np.concatenate([w[att + n + ".weight"] for n in ("query", "key", "value")]).T,
            qkv_b=np.concatenate([w[att + n + ".bias"] for n in ("query", "key", "value")]),
            out_w=w[p + "attention.output.dense.weight"].T,
            out_b=w[p + "attention.output.dense.bias"],
            ln1_w=w[p + "attention.output.LayerNorm.weight"],
            ln1_b=w[p + "attention.output.LayerNorm.bias"],
            ff_in_w=w[p + "intermediate.dense.weight"].T,
            ff_in_b=w[p + "intermediate.dense.bias"],
            ff_out_w=w[p + "output.dense.weight"].T,
            ff_out_b=w[p + "output.dense.bias"],
            ln2_w=w[p + "output.LayerNorm.weight"],
            ln2_b=w[p + "output.LayerNorm.bias"])

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(ids, mask), both (n, longest) int arrays, padded with 0 on the right."""
        encs = self.tokenizer.encode_batch(list(texts))
        longest = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), longest), dtype=np.int64)
        mask = np.zeros((len(encs), longest), dtype=np.int64)
        for row, enc in enumerate(encs):
            ids[row, :len(enc.ids)] = enc.ids
            mask[row, :len(enc.ids)] = enc.attention_mask
        return ids, mask

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled, L2-normalised (n, hidden) float32 vectors for one padded batch."""
        n, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.emb_ln, self.eps)
        head_dim = self.hidden // self.heads
        # Padding positions get a huge negative score, so softmax gives them ~0 weight.
        bias = ((1.0 - mask[:, None, None, :].astype(np.float32)) * np.finfo(np.float32).min)
        scale = np.float32(1.0 / np.sqrt(head_dim))
        x = x.reshape(n * length, self.hidden)  # 2-D matmuls go to BLAS; 3-D @ 2-D does not
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(n, length, 3, self.heads, head_dim)
            q, k, v = (np.ascontiguousarray(qkv[:, :, i].transpose(0, 2, 1, 3)) for i in range(3))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias  # (n, heads, L, L)
            scores -= scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(n * length, self.hidden)
            x = _layer_norm(ctx @ layer.out_w + layer.out_b + x, layer.ln1_w, layer.ln1_b, self.eps)
            ff = _gelu(x @ layer.ff_in_w + layer.ff_in_b)
            x = _layer_norm(ff @ layer.ff_out_w + layer.ff_out_b + x, layer.ln2_w, layer.ln2_b, self.eps)
        x = x.reshape(n, length, self.hidden)
        m = mask[:, :, None].astype(np.float32)
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for one batch of texts (the caller keeps batches of similar length)."""
        ids, mask = self.tokenize(texts)
        if ids.size >= ONE_THREAD_BELOW:
            return self.forward(ids, mask)
        if self._threads is None:
            from threadpoolctl import ThreadpoolController

            self._threads = ThreadpoolController()
        with self._threads.limit(limits=1, user_api="blas"):
            return self.forward(ids, mask)
