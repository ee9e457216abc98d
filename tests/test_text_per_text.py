"""Per-text clipped gradient sums of the text LSTM without vmap: equal to the vmap path and to
one backward pass per text, whether texts are clipped or not, padded or not."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from simulacra.encoders.language.network import TextLSTM  # noqa: E402
from simulacra.encoders.language.per_text import clipped_text_sum_fast, fits  # noqa: E402
from simulacra.encoders.language.private import (  # noqa: E402
    TextLoss,
    _text_loss,
    clipped_text_sum,
    clipped_text_sum_vmap,
)
from simulacra.encoders.language.training import pad  # noqa: E402

VOCABULARY, SIZES, TEXTS = 20, [3, 5], 9


def tiny_net(layers: int = 1) -> TextLSTM:
    torch.manual_seed(layers)
    net = TextLSTM(VOCABULARY, SIZES, width=8, layers=layers)
    with torch.no_grad():  # away from the initial zeros, so that every term matters
        for p in net.parameters():
            p.normal_(0.0, 0.5)
    net.eval()
    net.unrolled = True  # what the vmap path differentiates
    return net


@pytest.fixture(scope="module")
def texts() -> tuple[list[np.ndarray], np.ndarray]:
    """``<bos> body <eos>`` of 0 to 13 tokens, and two context codes a row."""
    rng = np.random.default_rng(0)
    bodies = [rng.integers(4, VOCABULARY, n) for n in [0, 13, 3, 7, 1, 13, 5, 2, 10]]
    sequences = [np.concatenate([[1], b, [2]]).astype(np.int64) for b in bodies]
    codes = np.stack([rng.integers(0, s, TEXTS) for s in SIZES], axis=1)
    return sequences, codes


def one_by_one(net: TextLSTM, sequences, codes, max_norm: float) -> tuple[list, list]:
    """The clipped sum from one backward pass per text, unpadded, and the texts' norms."""
    loss = TextLoss(net)
    params = list(net.parameters())
    sums = [torch.zeros_like(p) for p in params]
    norms = []
    for tokens, row in zip(sequences, codes, strict=True):
        value = loss(torch.from_numpy(tokens)[None], torch.from_numpy(row)[None]).sum()
        grads = torch.autograd.grad(value, params)
        norm = float(torch.cat([g.flatten() for g in grads]).norm())
        norms.append(norm)
        for total, g in zip(sums, grads, strict=True):
            total += min(1.0, max_norm / (norm + 1e-6)) * g
    return sums, norms


def assert_sums_equal(got, want) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("way", ["auto", "gram", "product"])
def test_the_fast_sums_equal_the_vmap_sums(texts, max_norm, way):
    sequences, codes = texts
    net = tiny_net()
    rows = np.arange(TEXTS)
    fast = clipped_text_sum_fast(net, pad(sequences, rows), torch.from_numpy(codes), max_norm,
                                 way=way)
    assert [s.shape for s in fast] == [p.shape for p in net.parameters()]
    assert_sums_equal(fast, clipped_text_sum_vmap(TextLoss(net), sequences, codes, rows,
                                                  max_norm))
    reference, norms = one_by_one(net, sequences, codes, max_norm)
    assert_sums_equal(fast, reference)
    if max_norm < 1:  # the bound clips some texts and not others
        assert min(norms) < max_norm < max(norms)
    else:
        assert max(norms) < max_norm


def test_private_training_takes_the_fast_path_for_one_layer(texts, monkeypatch):
    import simulacra.encoders.language.private as private

    sequences, codes = texts
    net = tiny_net()
    assert fits(net)
    rows = np.array([7, 1, 4, 0])  # any order, any subset
    want = clipped_text_sum_vmap(TextLoss(net), sequences, codes, rows, 0.5)
    monkeypatch.setattr(private, "clipped_text_sum_vmap", None)  # must not be called
    assert_sums_equal(clipped_text_sum(TextLoss(net), sequences, codes, rows, 0.5), want)


def test_chunks_of_texts_sum_the_same(texts, monkeypatch):
    import simulacra.encoders.language.per_text as per_text

    sequences, codes = texts
    net = tiny_net()
    rows = np.arange(TEXTS)
    whole = clipped_text_sum_fast(net, pad(sequences, rows), torch.from_numpy(codes), 0.5)
    monkeypatch.setattr(per_text, "CHUNK_VALUES", 1)  # a text a chunk
    chunked = clipped_text_sum_fast(net, pad(sequences, rows), torch.from_numpy(codes), 0.5)
    assert_sums_equal(chunked, whole)


def test_an_empty_batch_sums_to_zeros(texts):
    sequences, codes = texts
    net = tiny_net()
    empty = clipped_text_sum_fast(net, torch.zeros(0, 5, dtype=torch.long),
                                  torch.zeros(0, 2, dtype=torch.long), 1.0)
    through = clipped_text_sum(TextLoss(net), sequences, codes, np.array([], dtype=np.int64),
                               1.0)
    no_target = clipped_text_sum_fast(net, torch.tensor([[1], [1]]), torch.zeros(2, 2,
                                      dtype=torch.long), 1.0)  # nothing to predict
    for sums in (empty, through, no_target):
        assert [s.shape for s in sums] == [p.shape for p in net.parameters()]
        assert all(not s.any() for s in sums)


def test_two_layers_fall_back_to_vmap(texts):
    sequences, codes = texts
    net = tiny_net(layers=2)
    assert not fits(net)
    with pytest.raises(ValueError, match="one layer"):
        clipped_text_sum_fast(net, pad(sequences, np.arange(3)), torch.from_numpy(codes[:3]),
                              1.0)
    rows = np.arange(TEXTS)
    for max_norm in (0.5, 1e6):
        reference, _ = one_by_one(net, sequences, codes, max_norm)
        assert_sums_equal(clipped_text_sum(TextLoss(net), sequences, codes, rows, max_norm),
                          reference)


def test_dropout_in_training_mode_is_refused():
    net = TextLSTM(VOCABULARY, SIZES, width=8, layers=1, dropout=0.1)
    assert not fits(net)  # nn.Module starts in training mode
    net.eval()
    assert fits(net)


def test_the_fast_step_is_opacus_dp_optimizer_step(texts):
    pytest.importorskip("opacus")
    from conftest import assert_same_step_as_opacus

    sequences, codes = texts
    net = tiny_net()
    rows = np.arange(TEXTS)
    tokens, row_codes = pad(sequences, rows), torch.from_numpy(codes)
    assert_same_step_as_opacus(TextLoss(net),
                               lambda norm: clipped_text_sum_fast(net, tokens, row_codes, norm),
                               _text_loss, tokens, row_codes, norms=[0.5, 1e6])
