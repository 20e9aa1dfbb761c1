"""Describe: frames in, unit vectors out. Pick an implementation by name or ONNX path.

``DESCRIPTORS`` is the one list of named descriptors: the settings' description and validation
and the CLI's help are made from it. A new descriptor is a module here plus one entry below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sabi.describe.base import Embedder
from sabi.describe.colorlayout import ColourLayout
from sabi.describe.dhash import DHashDescriptor
from sabi.describe.onnx_model import OnnxEmbedder, packaged_model_path
from sabi.errors import SabiError


class EmbedderOptions(Protocol):
    """The settings a descriptor is made from (``sabi.settings.Settings`` has them)."""

    @property
    def descriptor(self) -> str: ...
    @property
    def embed_size(self) -> int: ...
    @property
    def threads(self) -> int: ...


@dataclass(frozen=True)
class Descriptor:
    """A named descriptor: how to make it, and one line on what it is."""

    make: Callable[[EmbedderOptions], Embedder]
    about: str


def _packaged(name: str) -> Callable[[EmbedderOptions], Embedder]:
    def make(options: EmbedderOptions) -> Embedder:
        return OnnxEmbedder(
            packaged_model_path(name), name=name, size=options.embed_size, threads=options.threads
        )

    return make


DESCRIPTORS: dict[str, Descriptor] = {
    "sscd_distilled": Descriptor(
        _packaged("sscd_distilled"), "SSCD distilled to a small MobileNetV4, the default"
    ),
    "sscd": Descriptor(_packaged("sscd"), "the int8 SSCD ResNet-50 teacher: slower"),
    ColourLayout.name: Descriptor(
        lambda _: ColourLayout(), "MPEG-7 Colour Layout, trace.moe's: no model, weak to edits"
    ),
    DHashDescriptor.name: Descriptor(lambda _: DHashDescriptor(), "64-bit dHash, a baseline"),
}

ONNX_SUFFIX = ".onnx"


def is_descriptor(name: str) -> bool:
    """A registered descriptor's name or a path to an ONNX model."""
    return name in DESCRIPTORS or name.endswith(ONNX_SUFFIX)


def make_embedder(options: EmbedderOptions) -> Embedder:
    """The configured descriptor. Loading a model is slow: callers keep the result."""
    name = options.descriptor
    known = DESCRIPTORS.get(name)
    if known is not None:
        return known.make(options)
    if name.endswith(ONNX_SUFFIX):
        return OnnxEmbedder(Path(name), size=options.embed_size, threads=options.threads)
    raise SabiError(
        f"unknown descriptor {name!r}: use one of {', '.join(DESCRIPTORS)} or a .onnx path"
    )


__all__ = ["DESCRIPTORS", "Descriptor", "Embedder", "EmbedderOptions", "make_embedder"]
