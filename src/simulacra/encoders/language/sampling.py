"""Writing texts with the language model: batched, one token at a time, with temperature and
top-p (nucleus) sampling (Holtzman et al., ICLR 2020), only ever the allowed tokens.

Every row of a batch advances together; a row that wrote ``<eos>`` is done and the batch stops
when all are (or at ``max_tokens``, where an unfinished text is cut). ``<null>`` may only come
first: the text is then null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from simulacra.encoders.language.lexicon import Lexicon
from simulacra.encoders.language.network import TextLSTM
from simulacra.encoders.language.tokens import BOS, EOS, NULL


@dataclass(frozen=True)
class SamplingPlan:
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 256
    batch_size: int = 2048


def nucleus(probabilities: torch.Tensor, top_p: float) -> torch.Tensor:
    """``probabilities`` with all but the smallest set of tokens whose mass reaches ``top_p``
    set to zero (per row; the most likely token always stays).

    >>> p = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    >>> nucleus(p, 0.7).tolist()
    [[0.5, 0.30000001192092896, 0.0, 0.0]]
    """
    if top_p >= 1.0:
        return probabilities
    ordered, order = torch.sort(probabilities, dim=-1, descending=True)
    before = torch.cumsum(ordered, dim=-1) - ordered  # mass of the likelier tokens
    ordered = torch.where(before < top_p, ordered, torch.zeros_like(ordered))
    return torch.zeros_like(probabilities).scatter(-1, order, ordered)


def write(net: TextLSTM, codes: np.ndarray, allowed: np.ndarray, plan: SamplingPlan,
          generator: torch.Generator, lexicon: Lexicon | None = None
          ) -> tuple[list[np.ndarray], np.ndarray]:
    """Token bodies (no specials) for each row of context ``codes``, and which rows are null;
    with a bound ``lexicon``, only its words (:mod:`~simulacra.encoders.language.lexicon`)."""
    bodies: list[np.ndarray] = []
    nulls = np.zeros(len(codes), dtype=bool)
    first = torch.full((allowed.size,), float("-inf"), device=net.bias.device)
    first[torch.from_numpy(allowed).to(first.device)] = 0.0
    later = first.clone()
    later[NULL] = float("-inf")
    with torch.no_grad():
        for start in range(0, len(codes), plan.batch_size):
            chunk = torch.from_numpy(codes[start:start + plan.batch_size]).to(first.device)
            written, null = _write_batch(net, chunk, (first, later), plan, generator,
                                         lexicon)
            bodies += written
            nulls[start:start + len(chunk)] = null
    return bodies, nulls


def _write_batch(net: TextLSTM, codes: torch.Tensor, masks: tuple[torch.Tensor, torch.Tensor],
                 plan: SamplingPlan, generator: torch.Generator,
                 lexicon: Lexicon | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """One batch; rows that are done leave the batch (so the cost follows the tokens written,
    not the longest text times the batch)."""
    k = codes.shape[0]
    device = codes.device
    row, bias = net.row_vector(codes), net.row_bias(codes)
    state = net.initial_state(row)
    token = torch.full((k, 1), BOS, dtype=torch.long, device=device)
    out = torch.full((k, plan.max_tokens), EOS, dtype=torch.long, device=device)
    active = torch.arange(k, device=device)
    words = np.zeros(k, dtype=np.int64)  # each active row's lexicon state
    for step in range(plan.max_tokens):
        logits, state = net.step(token, row, state, bias)
        logits = logits[:, -1] / plan.temperature + masks[0 if step == 0 else 1]
        if lexicon is not None:
            logits = _within_words(logits, lexicon, words)
        token = _draw(logits, plan.top_p, generator)
        out[active, step] = token[:, 0]
        if lexicon is not None:
            words = lexicon.moves(words, token[:, 0].cpu().numpy())
        going = token[:, 0] != EOS
        if not bool(going.all()):
            if not bool(going.any()):
                break
            active, row, token = active[going], row[going], token[going]
            bias = None if bias is None else bias[going]
            words = words[going.cpu().numpy()]
            state = (state[0][:, going], state[1][:, going])
    written = out.cpu().numpy()
    null = written[:, 0] == NULL
    bodies = []
    for tokens in written:
        end = np.flatnonzero(tokens == EOS)
        bodies.append(tokens[:end[0] if end.size else len(tokens)])
    return bodies, null


def _within_words(logits: torch.Tensor, lexicon: Lexicon, words: np.ndarray) -> torch.Tensor:
    """``logits`` with the tokens the rows' lexicon states forbid at -inf; a row left with no
    possible token writes freely instead (its state becomes free, ``-1``, in place)."""
    keep = torch.from_numpy(lexicon.masks(words)).to(logits.device)
    limited = logits.masked_fill(~keep, float("-inf"))
    stuck = torch.isinf(limited).all(dim=-1)
    if bool(stuck.any()):
        limited[stuck] = logits[stuck]
        words[stuck.cpu().numpy()] = -1
    return limited


def _draw(logits: torch.Tensor, top_p: float, generator: torch.Generator) -> torch.Tensor:
    """One token per row: ``(rows, 1)``. Without a nucleus, the Gumbel-max trick (the argmax of
    the logits plus Gumbel noise is a draw from their softmax), cheaper than a softmax and a
    multinomial draw."""
    if top_p >= 1.0:
        u = torch.rand(logits.shape, generator=generator, device=logits.device)
        gumbel = -torch.log(-torch.log(u.clamp_(min=1e-20)))
        return torch.argmax(logits + gumbel, dim=-1, keepdim=True)
    p = nucleus(torch.softmax(logits, dim=-1), top_p)
    return torch.multinomial(p, 1, generator=generator)
