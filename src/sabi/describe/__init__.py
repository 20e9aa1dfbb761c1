"""Describe: frames in, unit vectors out. Pick an implementation by name or ONNX path."""

from __future__ import annotations

from pathlib import Path

from sabi.describe.base import Embedder
from sabi.describe.colorlayout import ColourLayout
from sabi.describe.dhash import DHashDescriptor
from sabi.describe.onnx_model import PACKAGED_MODELS, OnnxEmbedder, packaged_model_path
from sabi.errors import SabiError
from sabi.settings import Settings

BUILTIN = (*PACKAGED_MODELS, "colorlayout", "dhash")


def make_embedder(settings: Settings) -> Embedder:
    """The configured descriptor. Loading a model is slow: callers keep the result."""
    name = settings.descriptor
    if name == "colorlayout":
        return ColourLayout()
    if name == "dhash":
        return DHashDescriptor()
    if name in PACKAGED_MODELS:
        return OnnxEmbedder(
            packaged_model_path(name),
            name=name,
            size=settings.embed_size,
            threads=settings.threads,
        )
    if name.endswith(".onnx"):
        return OnnxEmbedder(Path(name), size=settings.embed_size, threads=settings.threads)
    raise SabiError(f"unknown descriptor {name!r}: use one of {', '.join(BUILTIN)} or a .onnx path")


__all__ = ["BUILTIN", "Embedder", "make_embedder"]
