"""RealNVP affine coupling (Dinh et al. 2017), the bijection g of the decoupled prior.

Block k with binary mask b: y = b⊙x + (1−b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x)), log|det| = Σ_j (1−b_j) s_j.
s and t are Linear(d,w)–LeakyReLU–…–Linear(w,d)–Tanh [authors' code: w = 64, two hidden layers];
the Tanh bounds the log-scale, which keeps the jointly trained flow stable.

Training evaluates g once per step on ~100 latent codes of 16 numbers, where every tensor op costs
more in dispatch and autograd bookkeeping than in arithmetic. So `forward` runs all blocks inside one
autograd Function whose backward is written out by hand (`_CouplingChain`): the same formula and the
same parameters, a quarter fewer tensor ops and a third of the autograd nodes of the textbook loop
(bench/README.md has the measurements, tests/plugins/test_coupling_chain.py the equivalence).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

NEGATIVE_SLOPE = 0.01  # nn.LeakyReLU's default, as in the authors' code


def coupling_net(dim: int, width: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    size = dim
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.LeakyReLU(NEGATIVE_SLOPE)]
        size = width
    layers += [nn.Linear(size, dim), nn.Tanh()]
    return nn.Sequential(*layers)


def alternating_masks(dim: int, blocks: int) -> Tensor:
    """Masks that keep the first half, then the second half, fixed, alternately."""
    first = torch.zeros(dim)
    first[: dim // 2] = 1
    return torch.stack([first if k % 2 == 0 else 1 - first for k in range(blocks)])


def _net_forward(a: Tensor, params: Sequence[Tensor]) -> tuple[list[Tensor], Tensor]:
    """A coupling net on (weight, bias, weight, bias, …): the input of every Linear, and the output."""
    inputs = [a]
    for weight, bias in zip(params[0:-2:2], params[1:-2:2]):
        a = F.leaky_relu(F.linear(a, weight, bias), NEGATIVE_SLOPE)
        inputs.append(a)
    return inputs, torch.tanh(F.linear(a, params[-2], params[-1]))


def _net_backward(
    grad: Tensor, inputs: list[Tensor], out: Tensor, params: Sequence[Tensor], grads: list[Tensor | None]
) -> Tensor:
    """Back through `_net_forward`: fills `grads` (one per parameter), returns the input's gradient.

    LeakyReLU's gradient is read off its output (the slope is positive, so the sign is kept).
    """
    g = torch.ops.aten.tanh_backward(grad, out)
    for layer in reversed(range(len(inputs))):
        a = inputs[layer]
        grads[2 * layer] = g.t().mm(a)
        grads[2 * layer + 1] = g.sum(0)
        grad_a = g.mm(params[2 * layer])
        if layer > 0:
            g = torch.ops.aten.leaky_relu_backward(grad_a, a, NEGATIVE_SLOPE, True)
    return grad_a


class _CouplingChain(torch.autograd.Function):
    """All K blocks of z → u in one autograd node; parameters come as s_1…s_K then t_1…t_K, per net in order."""

    @staticmethod
    def forward(ctx, x: Tensor, masks: Tensor, remember: bool, per_net: int, *params: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        blocks = masks.shape[0]
        nets = [params[i * per_net : (i + 1) * per_net] for i in range(2 * blocks)]
        free = 1 - masks
        log_det = x.new_zeros(x.shape[:-1])
        saved = []
        for k in range(blocks):
            b, f = masks[k], free[k]
            kept = x * b
            s_inputs, s_out = _net_forward(kept, nets[k])
            t_inputs, t_out = _net_forward(kept, nets[blocks + k])
            s = s_out * f
            scale = torch.exp(s)
            scaled = x * scale
            if remember:
                saved.append((s_inputs, s_out, t_inputs, t_out, scale, scaled))
            x = kept + f * (scaled + t_out)
            log_det = log_det + s.sum(-1)
        ctx.blocks, ctx.per_net, ctx.activations = blocks, per_net, saved
        ctx.save_for_backward(masks, free, *params)
        return x, log_det

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y: Tensor, grad_log_det: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        masks, free, *params = ctx.saved_tensors
        blocks, per_net = ctx.blocks, ctx.per_net
        nets = [params[i * per_net : (i + 1) * per_net] for i in range(2 * blocks)]
        grads: list[Tensor | None] = [None] * len(params)
        grad_log_det = grad_log_det.unsqueeze(-1)
        for k in reversed(range(blocks)):
            s_inputs, s_out, t_inputs, t_out, scale, scaled = ctx.activations[k]
            b, f = masks[k], free[k]
            grad_t = grad_y * f
            grad_s = (grad_t * scaled + grad_log_det) * f
            s_grads: list[Tensor | None] = [None] * per_net
            t_grads: list[Tensor | None] = [None] * per_net
            grad_kept = _net_backward(grad_s, s_inputs, s_out, nets[k], s_grads)
            grad_kept = grad_kept + _net_backward(grad_t, t_inputs, t_out, nets[blocks + k], t_grads)
            grads[k * per_net : (k + 1) * per_net] = s_grads
            grads[(blocks + k) * per_net : (blocks + k + 1) * per_net] = t_grads
            grad_y = grad_y * scale + grad_kept * b  # scale = 1 where b = 1, since s is masked
        return grad_y, None, None, None, *grads


class AffineCouplingFlow(nn.Module):
    """g = g_K ∘ … ∘ g_1 with alternating masks; `forward` is z → u, `inverse` is u → z."""

    def __init__(self, dim: int, blocks: int = 6, width: int = 64, depth: int = 2):
        super().__init__()
        if dim < 2:
            raise ValueError("an affine coupling flow needs at least 2 latent dimensions")
        self.register_buffer("masks", alternating_masks(dim, blocks))
        self.s = nn.ModuleList(coupling_net(dim, width, depth) for _ in range(blocks))
        self.t = nn.ModuleList(coupling_net(dim, width, depth) for _ in range(blocks))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        params = [p for net in (*self.s, *self.t) for p in net.parameters()]
        per_net = len(params) // (2 * len(self.s))
        rows = x.reshape(-1, x.shape[-1])  # the hand-written backward works on (batch, dim)
        y, log_det = _CouplingChain.apply(rows, self.masks, torch.is_grad_enabled(), per_net, *params)
        return y.reshape(x.shape), log_det.reshape(x.shape[:-1])

    def inverse(self, y: Tensor) -> Tensor:
        free = 1 - self.masks
        for b, f, s_net, t_net in zip(reversed(self.masks), reversed(free), reversed(self.s), reversed(self.t)):
            kept = b * y
            y = kept + f * (y - t_net(kept)) * torch.exp(-f * s_net(kept))
        return y
