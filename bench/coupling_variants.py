"""Other ways to evaluate the same RealNVP coupling flow, timed against dpzoo's in train_throughput.py.

Both share the s and t nets of the flow they are given, so their outputs and gradients are those of
dpzoo's `AffineCouplingFlow` (checked at the start of each benchmark run) and only the speed differs.

- `PlainCouplingFlow`: the textbook loop (one s and one t net call per block, masks multiplied in,
  autograd for the gradients) — dpzoo's flow before it was optimized, and what the bare loop uses.
- `BatchedCouplingFlow`: the s and t nets of a block run as one network: first layers concatenated
  (one matmul), the other layers stacked into batched matmuls, the masks' complements precomputed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dpzoo.plugins.priors.coupling import NEGATIVE_SLOPE, AffineCouplingFlow


class PlainCouplingFlow(nn.Module):
    def __init__(self, masks: Tensor, s: nn.ModuleList, t: nn.ModuleList):
        super().__init__()
        self.register_buffer("masks", masks)
        self.s, self.t = s, t

    @classmethod
    def sharing(cls, flow: AffineCouplingFlow) -> PlainCouplingFlow:
        return cls(flow.masks, flow.s, flow.t)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        log_det = x.new_zeros(x.shape[:-1])
        for b, s_net, t_net in zip(self.masks, self.s, self.t):
            kept = b * x
            s = (1 - b) * s_net(kept)
            x = kept + (1 - b) * (x * torch.exp(s) + t_net(kept))
            log_det = log_det + s.sum(-1)
        return x, log_det


class BatchedCouplingFlow(nn.Module):
    def __init__(self, flow: AffineCouplingFlow):
        super().__init__()
        self.flow = flow

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        masks = self.flow.masks
        free = 1 - masks
        n = x.shape[0]
        log_det = x.new_zeros(n)
        for b, f, s_net, t_net in zip(masks, free, self.flow.s, self.flow.t):
            kept = b * x
            linears = [(s_layer, t_layer) for s_layer, t_layer in zip(s_net, t_net) if isinstance(s_layer, nn.Linear)]
            (s0, t0), *rest = linears
            a = F.linear(kept, torch.cat([s0.weight, t0.weight]), torch.cat([s0.bias, t0.bias]))
            a = a.view(n, 2, -1).transpose(0, 1)  # (s|t, n, width)
            for s_layer, t_layer in rest:
                a = F.leaky_relu(a, NEGATIVE_SLOPE)
                weight = torch.stack([s_layer.weight, t_layer.weight]).transpose(1, 2)
                bias = torch.stack([s_layer.bias, t_layer.bias]).unsqueeze(1)
                a = torch.baddbmm(bias, a, weight)
            s_out, t_out = torch.tanh(a)
            s = f * s_out
            x = kept + f * (x * torch.exp(s) + t_out)
            log_det = log_det + s.sum(-1)
        return x, log_det
