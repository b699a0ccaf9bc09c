"""The flow's one-node forward and hand-written backward equal the plain per-net RealNVP formula.

The reference below is the textbook loop (one s net and one t net per block, masks multiplied in,
autograd for gradients); the optimized flow must agree with it on random weights, and keep the
parameter names and shapes that published checkpoints (the embedded default model) were saved with.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from dpzoo.plugins.priors.coupling import AffineCouplingFlow


def plain_forward(flow: AffineCouplingFlow, x: Tensor) -> tuple[Tensor, Tensor]:
    log_det = x.new_zeros(x.shape[:-1])
    for b, s_net, t_net in zip(flow.masks, flow.s, flow.t):
        kept = b * x
        s = (1 - b) * s_net(kept)
        x = kept + (1 - b) * (x * torch.exp(s) + t_net(kept))
        log_det = log_det + s.sum(-1)
    return x, log_det


def plain_inverse(flow: AffineCouplingFlow, y: Tensor) -> Tensor:
    for b, s_net, t_net in zip(reversed(flow.masks), reversed(flow.s), reversed(flow.t)):
        kept = b * y
        s = (1 - b) * s_net(kept)
        y = kept + (1 - b) * (y - t_net(kept)) * torch.exp(-s)
    return y


def random_flow(dim: int, depth: int, dtype: torch.dtype, seed: int = 0) -> AffineCouplingFlow:
    torch.manual_seed(seed)
    flow = AffineCouplingFlow(dim, blocks=5, width=24, depth=depth).to(dtype)
    with torch.no_grad():
        for p in flow.parameters():
            p.normal_(0, 0.5)  # default init is near the identity; these weights make every block matter
    return flow


@pytest.mark.parametrize("dim,depth", [(2, 1), (3, 2), (16, 2), (7, 3)])
def test_forward_and_inverse_equal_the_plain_formula(dim: int, depth: int) -> None:
    flow = random_flow(dim, depth, torch.float32)
    z = torch.randn(50, dim) * 2
    u, log_det = flow(z)
    expected_u, expected_log_det = plain_forward(flow, z)
    assert not torch.allclose(u, z, atol=0.1)
    torch.testing.assert_close(u, expected_u, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(log_det, expected_log_det, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(flow.inverse(u), plain_inverse(flow, u), rtol=1e-6, atol=1e-6)
    with torch.no_grad():
        torch.testing.assert_close(flow(z)[0], u, rtol=0, atol=0)


@pytest.mark.parametrize("dim,depth", [(2, 1), (3, 2), (16, 2), (7, 3)])
def test_gradients_equal_autograd_of_the_plain_formula(dim: int, depth: int) -> None:
    flow = random_flow(dim, depth, torch.float64)
    z = torch.randn(20, dim, dtype=torch.float64, requires_grad=True)
    weight_u, weight_log_det = torch.randn(20, dim, dtype=torch.float64), torch.randn(20, dtype=torch.float64)
    inputs = [z, *flow.parameters()]

    def objective(u: Tensor, log_det: Tensor) -> Tensor:
        return (u * weight_u).sum() + (log_det * weight_log_det).sum()

    got = torch.autograd.grad(objective(*flow(z)), inputs)
    expected = torch.autograd.grad(objective(*plain_forward(flow, z)), inputs)
    for (name, _), g, e in zip([("z", z), *flow.named_parameters()], got, expected):
        torch.testing.assert_close(g, e, rtol=1e-10, atol=1e-10, msg=lambda m, name=name: f"{name}: {m}")


def test_gradients_match_finite_differences() -> None:
    flow = random_flow(3, 2, torch.float64)
    z = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(flow, (z,))
    params = list(flow.s[1].parameters()) + list(flow.t[3].parameters())
    assert torch.autograd.gradcheck(lambda *_: flow(z.detach()), params, fast_mode=True)


def test_one_output_alone_backpropagates() -> None:
    flow = random_flow(4, 2, torch.float64)
    z = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(flow(z)[1].sum(), z)
    (expected,) = torch.autograd.grad(plain_forward(flow, z)[1].sum(), z)
    torch.testing.assert_close(grad, expected, rtol=1e-10, atol=1e-10)


def test_any_leading_dimensions() -> None:
    flow = random_flow(5, 2, torch.float64)
    z = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    u, log_det = flow(z)
    expected_u, expected_log_det = plain_forward(flow, z)
    assert u.shape == z.shape and log_det.shape == (3, 4)
    torch.testing.assert_close((u, log_det), (expected_u, expected_log_det), rtol=1e-12, atol=1e-12)
    (grad,) = torch.autograd.grad(u.sum() + log_det.sum(), z)
    (expected,) = torch.autograd.grad(expected_u.sum() + expected_log_det.sum(), z)
    torch.testing.assert_close(grad, expected, rtol=1e-10, atol=1e-10)
    single = z[0, 0].detach()
    torch.testing.assert_close(flow(single)[1], plain_forward(flow, single)[1], rtol=1e-12, atol=1e-12)


def test_parameter_names_and_shapes_are_those_of_published_checkpoints() -> None:
    state = AffineCouplingFlow(16).state_dict()
    expected = {"masks": (6, 16)}
    for net in ("s", "t"):
        for k in range(6):
            for layer, (rows, cols) in zip((0, 2, 4), [(64, 16), (64, 64), (16, 64)]):
                expected[f"{net}.{k}.{layer}.weight"] = (rows, cols)
                expected[f"{net}.{k}.{layer}.bias"] = (rows,)
    assert {key: tuple(value.shape) for key, value in state.items()} == expected
