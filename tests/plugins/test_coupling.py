"""The RealNVP affine coupling flow: invertible, with the log-determinant of its Jacobian."""

from __future__ import annotations

import pytest
import torch
from torch.autograd.functional import jacobian

from dpzoo.plugins.priors.coupling import AffineCouplingFlow, alternating_masks


def _randomize(flow: AffineCouplingFlow) -> None:
    """Default init leaves the nets near zero; scale weights up so the test sees a non-trivial g."""
    with torch.no_grad():
        for p in flow.parameters():
            p.normal_(0, 0.5)


@pytest.mark.parametrize("dim", [2, 3, 5, 16])
def test_inverse_undoes_forward(dim: int) -> None:
    flow = AffineCouplingFlow(dim, blocks=6)
    _randomize(flow)
    z = torch.randn(64, dim, dtype=torch.float64)
    flow = flow.double()
    u, _ = flow(z)
    assert not torch.allclose(u, z, atol=1e-2)  # the flow is not the identity
    torch.testing.assert_close(flow.inverse(u), z, atol=1e-5, rtol=0)


@pytest.mark.parametrize("dim", [2, 3, 7])
def test_log_det_equals_autograd_jacobian(dim: int) -> None:
    flow = AffineCouplingFlow(dim, blocks=4).double()
    _randomize(flow)
    for z in torch.randn(5, dim, dtype=torch.float64):
        jac = jacobian(lambda v: flow(v[None])[0][0], z)
        expected = torch.linalg.slogdet(jac).logabsdet
        assert flow(z[None])[1].item() == pytest.approx(expected.item(), abs=1e-8)


def test_masks_alternate_halves_for_odd_dims() -> None:
    masks = alternating_masks(5, 3)
    assert masks.tolist() == [[1, 1, 0, 0, 0], [0, 0, 1, 1, 1], [1, 1, 0, 0, 0]]


def test_flow_has_the_papers_shape() -> None:
    flow = AffineCouplingFlow(16)
    assert len(flow.s) == len(flow.t) == 6
    layers = [type(m).__name__ for m in flow.s[0]]
    assert layers == ["Linear", "LeakyReLU", "Linear", "LeakyReLU", "Linear", "Tanh"]
    assert flow.s[0][0].out_features == 64 and flow.s[0][2].out_features == 64
