"""DESCRIPTORS is the one list of named descriptors: each name makes the embedder it names, and
the settings and the CLI's help are made from it."""

from __future__ import annotations

import numpy as np
import pytest

from sabi.describe import DESCRIPTORS, make_embedder
from sabi.errors import SabiError
from sabi.settings import Settings


@pytest.mark.parametrize("name", list(DESCRIPTORS))
def test_each_name_makes_its_embedder(name):
    embedder = make_embedder(Settings(descriptor=name))
    assert embedder.name == name  # the name recorded in an index is the registry's
    frames = [np.random.default_rng(i).integers(0, 255, (90, 160, 3), np.uint8) for i in range(2)]
    vectors = embedder.embed(frames)
    assert vectors.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_an_unknown_name_is_refused_with_the_known_ones():
    settings = Settings.model_construct(descriptor="sscd_tiny", embed_size=224, threads=0)
    with pytest.raises(SabiError, match="sscd_distilled, sscd, colorlayout, dhash"):
        make_embedder(settings)


def test_the_cli_help_lists_every_descriptor():
    from sabi.cli import DescriptorOpt

    (option,) = DescriptorOpt.__metadata__
    assert all(name in option.help for name in DESCRIPTORS)
