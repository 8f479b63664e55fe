"""The serving-side encoder: onnxruntime + the `tokenizers` fast tokenizer, no torch.

Loads the export that `policybot model prepare` wrote and checked (bot/embedding/export.py) and
produces the same normalised vectors as the sentence-transformers model it came from.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from bot.errors import ModelError

ONNX_FILE = "model.onnx"
CHECK_FILE = "check.json"
ID_MAP_FILE = "token_ids.npy"  # the pruned tokenizer's ids -> the model's ids


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_check(onnx_dir: Path) -> dict:
    """The export's parity record; an error unless it passed and still describes the files beside it."""
    path = onnx_dir / CHECK_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"no valid ONNX check at {path} (run `policybot model prepare`): {exc}") from exc
    if not record.get("passed"):
        raise ModelError(f"the ONNX export at {onnx_dir} failed its parity check; run `policybot model prepare --force`")
    return record


class OnnxEmbedder:
    """encode_query / encode_document with the prompts and length limit of the original model."""

    def __init__(self, onnx_dir: Path, threads: int = 0, checked: bool = True, verify_files: bool = False):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        # The tokenizer's thread pool spins after each short question, on the core the rest of the
        # ask needs; one question at a time has nothing to parallelise.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

        onnx_dir = Path(onnx_dir)
        if checked:
            record = read_check(onnx_dir)
            if verify_files:
                for name, digest in record.get("files", {}).items():
                    if sha256_file(onnx_dir / name) != digest:
                        raise ModelError(f"{onnx_dir / name} differs from the file that passed the parity check")
        try:
            meta = json.loads((onnx_dir / "prompts.json").read_text(encoding="utf-8"))
            self.tokenizer = Tokenizer.from_file(str(onnx_dir / "tokenizer.json"))
            self.original_ids = np.load(onnx_dir / ID_MAP_FILE)
        except (OSError, ValueError, Exception) as exc:
            raise ModelError(f"could not read the ONNX model's tokenizer in {onnx_dir}: {exc}") from exc
        self.query_prompt = meta["query"]
        self.document_prompt = meta["document"]
        self.max_seq_length = int(meta["max_seq_length"])
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.no_padding()
        self.pad_id = int(self.original_ids[self.tokenizer.token_to_id("<pad>") or 0])

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 0:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # The caller batches concurrent requests itself; spinning threads between small runs only
        # burn the core the rest of the request needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(onnx_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for a bad file
            raise ModelError(f"could not load {onnx_dir / ONNX_FILE}: {exc}") from exc
        self.dim = int(self.session.get_outputs()[0].shape[1])

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """The model's token ids for each text (prompt included), as the original tokenizer gives them."""
        # One at a time: encode_batch hands even a single question to a pool of threads that spin
        # after it (1.6 ms more per question, and a core's worth of CPU under load).
        return [self.original_ids[self.tokenizer.encode(t, add_special_tokens=True).ids].tolist() for t in texts]

    def encode(self, texts: list[str], prompt: str = "") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        ids = self.token_ids([prompt + t for t in texts])
        width = max(len(x) for x in ids)
        input_ids = np.full((len(ids), width), self.pad_id, np.int64)
        mask = np.zeros((len(ids), width), np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        (vectors,) = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, texts: list[str], batch_size: int = 32, **_) -> np.ndarray:
        return self._batched(texts, self.query_prompt, batch_size)

    def encode_document(self, texts: list[str], batch_size: int = 32, **_) -> np.ndarray:
        return self._batched(texts, self.document_prompt, batch_size)

    def _batched(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(order), max(1, batch_size)):
            idx = order[start : start + batch_size]
            out[idx] = self.encode([texts[i] for i in idx], prompt)
        return out
