"""Each loss term against an independent computation, and loss = recon + weight * term."""

import math

import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian

from models import ModelConfig, build


def _batch(shape=(1, 8, 8), n=6, seed=0, dtype=torch.float64):
    return torch.rand((n, *shape), generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _model(dtype=torch.float64, **settings):
    torch.manual_seed(0)
    settings = {"input_shape": (1, 8, 8), "code_size": 3, "hidden": [12, 6], **settings}
    return build(ModelConfig(**settings)).to(dtype)


def _jacobian_norms(model, x, create_graph=False):
    """||d encode(x_i) / d x_i||_F^2 per example, one example at a time."""
    norms = []
    for xi in x:
        jac = jacobian(lambda v: model.encode(v[None])[0], xi, create_graph=create_graph)
        norms.append(jac.pow(2).sum())
    return torch.stack(norms)


@pytest.mark.parametrize(
    ("backbone", "activation"),
    [("linear", "relu"), ("mlp", "tanh"), ("mlp", "elu"), ("conv", "gelu")],
)
def test_contractive_term_is_the_mean_squared_jacobian_norm(backbone, activation):
    model = _model(
        backbone=backbone, objective="contractive", activation=activation, contractive=0.3
    )
    x = _batch()
    out = model(x)
    expected = _jacobian_norms(model, x).mean()
    torch.testing.assert_close(out.terms["contractive"], expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(out.loss, out.terms["recon"] + 0.3 * out.terms["contractive"])
    assert out.terms["contractive"] > 0


def test_contractive_term_is_differentiable_with_the_true_gradient():
    model = _model(backbone="mlp", objective="contractive", activation="tanh")
    x = _batch()
    model.zero_grad()
    model(x).terms["contractive"].backward()
    ours = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    _jacobian_norms(model, x, create_graph=True).mean().backward()
    encoder_grads = 0
    for mine, theirs in zip(ours, (p.grad for p in model.parameters())):
        if theirs is None:  # decoder weights: the term does not depend on them
            assert mine is None or not mine.any()
            continue
        torch.testing.assert_close(mine, theirs)
        encoder_grads += int(theirs.abs().sum() > 0)
    assert encoder_grads >= 4  # both hidden layers and the code head, weights and biases


def test_contractive_recon_gradient_reaches_the_encoder_as_in_a_plain_ae():
    contractive = _model(backbone="conv", objective="contractive", hidden=[4, 8])
    plain = _model(backbone="conv", objective="ae", hidden=[4, 8])
    plain.load_state_dict(contractive.state_dict())
    x = _batch()
    contractive(x).terms["recon"].backward()
    plain(x).terms["recon"].backward()
    for mine, theirs in zip(contractive.parameters(), plain.parameters()):
        torch.testing.assert_close(mine.grad, theirs.grad)
    assert contractive.backbone.head.weight.grad.abs().sum() > 0


def test_training_on_the_contractive_term_lowers_it():
    model = _model(backbone="mlp", objective="contractive", activation="tanh", contractive=10.0)
    x = _batch(n=32)
    first = model(x).terms["contractive"].item()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        optimiser.zero_grad()
        model(x).loss.backward()
        optimiser.step()
    assert model(x).terms["contractive"].item() < 0.5 * first


def _vae(beta=1.0, backbone="mlp"):
    model = _model(backbone=backbone, objective="vae", beta=beta)
    with torch.no_grad():  # a posterior far from the prior, so the kl is not tiny
        k = model.code_size
        model.backbone.head.bias[:k] = torch.tensor([1.0, -0.5, 0.3], dtype=torch.float64)
        model.backbone.head.bias[k:] = torch.tensor([-1.0, 0.5, -2.0], dtype=torch.float64)
    return model


@pytest.mark.parametrize("backbone", ["linear", "mlp", "conv"])
def test_vae_kl_is_the_closed_form_and_agrees_with_monte_carlo(backbone):
    model = _vae(beta=0.5, backbone=backbone)
    x = _batch()
    out = model(x)
    mean, logvar = model.posterior(x)
    var = logvar.exp()
    closed = 0.5 * (mean**2 + var - 1 - logvar).sum(1)  # per example
    torch.testing.assert_close(out.terms["kl"], closed.mean())
    torch.testing.assert_close(out.loss, out.terms["recon"] + 0.5 * out.terms["kl"])

    # KL(q || p) = E_q[log q(z) - log p(z)], estimated from samples of q.
    generator = torch.Generator().manual_seed(0)
    samples = 40_000
    with torch.no_grad():
        std = (0.5 * logvar).exp()
        eps = torch.randn((samples, *mean.shape), generator=generator, dtype=mean.dtype)
        z = mean + std * eps
        log_q = (-0.5 * eps**2 - 0.5 * logvar - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_p = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(-1)
        draws = log_q - log_p  # [samples, N]
    estimate = draws.mean(0)
    stderr = draws.std(0) / math.sqrt(samples)
    assert closed.min() > 0.5  # the check is not trivially about near-zero numbers
    assert torch.all((estimate - closed).abs() < 4 * stderr + 1e-9), (estimate, closed, stderr)
    assert torch.allclose(estimate, closed, rtol=0.02)


def test_vae_encodes_the_mean_and_samples_with_the_reparameterisation_trick():
    model = _vae()
    x = _batch(n=4)
    mean, logvar = model.posterior(x)
    torch.testing.assert_close(model.encode(x), mean)
    torch.manual_seed(1)
    first = model(x)
    second = model(x)
    assert not torch.equal(first.z, second.z)  # fresh noise on every forward pass
    # the sampled codes spread around the mean with the posterior's standard deviation
    torch.manual_seed(2)
    zs = torch.stack([model(x).z.detach() for _ in range(2000)])
    torch.testing.assert_close(zs.mean(0), mean.detach(), atol=0.1, rtol=0)
    torch.testing.assert_close(zs.std(0), (0.5 * logvar).exp().detach(), atol=0.05, rtol=0)
    # the log-variance gets a gradient through the sample (and the kl)
    model.zero_grad()
    model(x).terms["recon"].backward()
    assert model.backbone.head.bias.grad[model.code_size :].abs().sum() > 0


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_sparse_kl_matches_the_formula_by_hand():
    rho, weight = 0.1, 0.7
    model = _model(backbone="mlp", objective="sparse_kl", rho=rho, sparsity=weight)
    x = _batch(n=10)
    out = model(x)
    head = model.backbone.encode_head(x).detach().numpy()
    z = _sigmoid(head)  # the sigmoid code layer
    np.testing.assert_allclose(model.encode(x).detach().numpy(), z, rtol=1e-12)
    rho_hat = z.mean(axis=0)
    by_hand = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    np.testing.assert_allclose(out.terms["sparsity"].item(), by_hand, rtol=1e-10)
    torch.testing.assert_close(out.loss, out.terms["recon"] + weight * out.terms["sparsity"])


def test_sparse_l1_is_the_mean_absolute_code():
    model = _model(backbone="mlp", objective="sparse_l1", sparsity=0.2)
    x = _batch(n=10)
    out = model(x)
    z = model.encode(x).detach().numpy()
    np.testing.assert_allclose(out.terms["sparsity"].item(), np.abs(z).mean(), rtol=1e-12)
    torch.testing.assert_close(out.loss, out.terms["recon"] + 0.2 * out.terms["sparsity"])


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_recon_is_summed_over_pixels_and_averaged_over_examples(loss):
    model = _model(backbone="conv", objective="ae", loss=loss, hidden=[4])
    x = _batch(n=5)
    target = _batch(n=5, seed=1)
    out = model(x, target)
    p, t = out.recon.detach().numpy().reshape(5, -1), target.numpy().reshape(5, -1)
    if loss == "mse":
        per_example = ((p - t) ** 2).sum(1)
    else:
        per_example = -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum(1)
    np.testing.assert_allclose(out.terms["recon"].item(), per_example.mean(), rtol=1e-9)
    torch.testing.assert_close(out.loss, out.terms["recon"])


def test_denoising_reconstructs_the_target_not_the_input():
    model = _model(backbone="mlp", objective="denoising")
    clean, noisy = _batch(n=4), _batch(n=4, seed=5)
    out = model(noisy, clean)
    expected = (model.decode(model.encode(noisy)) - clean).pow(2).flatten(1).sum(1).mean()
    torch.testing.assert_close(out.terms["recon"], expected)
    assert not torch.allclose(out.terms["recon"], model(noisy).terms["recon"])


@pytest.mark.parametrize("backbone", ["mlp", "conv"])
def test_ridge_is_the_sum_of_squared_weights_and_training_shrinks_them(backbone):
    model = _model(backbone=backbone, objective="ridge", ridge=0.3, norm="group", hidden=[8, 4])
    x = _batch(n=8)
    out = model(x)
    matrices = [p for name, p in model.named_parameters() if name.endswith(".weight")]
    by_hand = sum(p.detach().pow(2).sum() for p in matrices if p.dim() > 1)  # not norm scales
    assert any(p.dim() == 1 for p in matrices)  # the group norms' scales are left out
    torch.testing.assert_close(out.terms["weights"], by_hand)
    torch.testing.assert_close(out.loss, out.terms["recon"] + 0.3 * out.terms["weights"])
    optimiser = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(20):
        optimiser.zero_grad()
        model(x).loss.backward()
        optimiser.step()
    assert model(x).terms["weights"] < 0.8 * by_hand
