"""The int8 codes and the FAISS quantiser that reads them as they are."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from sabi.store.codec import decode, default_scale, encode, faiss_codes, faiss_range

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("dim", [12, 64, 512])
def test_faiss_reads_the_codes_as_the_vectors_they_stand_for(dim):
    rng = np.random.default_rng(dim)
    x = rng.standard_normal((300, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    scale = default_scale(dim)
    codes = encode(x, scale)
    index = faiss.IndexScalarQuantizer(
        dim, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT
    )
    faiss.copy_array_to_vector(faiss_range(scale), index.sq.trained)
    index.is_trained = True
    index.add_sa_codes(faiss_codes(codes))
    np.testing.assert_allclose(index.reconstruct_n(0, 300), decode(codes, scale), atol=1e-6)
    q = rng.standard_normal((5, dim)).astype(np.float32)
    sims, labels = index.search(q, 3)
    ref = q @ decode(codes, scale).T
    np.testing.assert_array_equal(labels[:, 0], ref.argmax(axis=1))
    np.testing.assert_allclose(sims[:, 0], ref.max(axis=1), rtol=1e-5, atol=1e-5)
    # FAISS encodes a decoded vector back to the very same bytes.
    np.testing.assert_array_equal(index.sa_encode(decode(codes, scale)), faiss_codes(codes))


def test_rounding_is_the_only_loss_for_descriptor_like_vectors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 512)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    scale = default_scale(512)
    back = decode(encode(x, scale), scale)
    assert np.mean(np.abs(back - x) <= 0.5 / scale + 1e-7) > 0.9999  # 5 sigma: rare clips
    assert np.abs(np.sum(back * x, axis=1) - 1).max() < 2e-3


def test_components_beyond_the_range_are_clipped_not_wrapped():
    scale = default_scale(512)
    codes = encode(np.array([[1.0, -1.0, 0.0]]), scale)
    assert codes.tolist() == [[127, -127, 0]]
