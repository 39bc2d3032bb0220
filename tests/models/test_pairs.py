"""Every backbone x objective pair builds, reports its terms, keeps shapes and trains."""

import pytest
import torch

from models import BACKBONES, OBJECTIVES, ModelConfig, build, term_names

PAIRS = [(b, o) for b in BACKBONES for o in OBJECTIVES]


def _batch(shape, n=16, seed=0):
    return torch.rand((n, *shape), generator=torch.Generator().manual_seed(seed))


def _inputs(model, x):
    """What the trainer feeds: the model's training pair (denoising: corrupted x, clean target)."""
    return model.training_pair(x, torch.Generator().manual_seed(1))


def _channels(objective: str) -> int:
    """Grey images where the objective takes them, else colour (colourise)."""
    return min(OBJECTIVES[objective].channels)


def _loss(model, x, target):
    torch.manual_seed(123)  # the VAE samples: compare losses under the same noise
    return model(x, target).loss.item()


@pytest.mark.parametrize(("backbone", "objective"), PAIRS)
def test_pair_builds_reports_terms_keeps_shapes_and_trains(backbone, objective):
    torch.manual_seed(0)
    shape = (_channels(objective), 8, 8)
    config = ModelConfig(backbone, objective, input_shape=shape, code_size=3, hidden=[16, 8])
    model = build(config)
    assert model.code_size == 3 and model.input_shape == shape
    assert model.config == config and model.config is not config
    x = _batch(config.input_shape)
    x_in, target = _inputs(model, x)

    out = model(x_in, target)
    assert list(out.terms) == term_names(objective)
    for name, value in out.terms.items():
        assert value.dim() == 0 and torch.isfinite(value), name
    assert out.loss.dim() == 0 and torch.isfinite(out.loss)
    assert out.recon.shape == x.shape and out.z.shape == (16, 3)

    z = model.encode(x)
    assert z.shape == (16, 3)
    x_hat = model.decode(z)
    assert x_hat.shape == x.shape
    if backbone != "linear":  # sigmoid output: data range
        assert x_hat.min() >= 0 and x_hat.max() <= 1

    before = _loss(model, x_in, target)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(25):
        optimiser.zero_grad()
        model(x_in, target).loss.backward()
        optimiser.step()
    after = _loss(model, x_in, target)
    assert after < before, (before, after)


CONV_SHAPES = [(1, 8, 8), (3, 8, 8), (1, 28, 28), (3, 32, 32), (1, 9, 13)]


@pytest.mark.parametrize("shape", CONV_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_conv_keeps_any_shape(shape, objective):
    if shape[0] not in OBJECTIVES[objective].channels:
        pytest.skip(f"{objective} does not take {shape[0]}-channel images")
    torch.manual_seed(0)
    model = build(ModelConfig("conv", objective, input_shape=shape, code_size=4, hidden=[8, 16]))
    x = _batch(shape, n=3)
    assert model.decode(model.encode(x)).shape == x.shape
    out = model(x)
    assert out.recon.shape == x.shape and torch.isfinite(out.loss)


@pytest.mark.parametrize(
    ("shape", "stages", "smallest"),
    [
        ((1, 8, 8), 2, (2, 2)),
        ((1, 28, 28), 4, (2, 2)),
        ((3, 32, 32), 4, (2, 2)),
        ((1, 9, 13), 3, (2, 2)),
    ],
)
def test_conv_drops_stages_that_would_go_below_two_pixels(shape, stages, smallest):
    model = build(ModelConfig("conv", "ae", input_shape=shape, hidden=[4] * 6))
    assert model.backbone.stages == stages
    maps = model.backbone.encoder[:-1](_batch(shape, n=1))  # before the flatten
    assert tuple(maps.shape[2:]) == smallest
    assert model.decode(model.encode(_batch(shape, n=2))).shape == (2, *shape)


@pytest.mark.parametrize("backbone", list(BACKBONES))
@pytest.mark.parametrize("objective", ["ae", "sparse_kl", "contractive", "vae"])
def test_overcomplete_codes_are_allowed(backbone, objective):
    config = ModelConfig(backbone, objective, input_shape=(1, 8, 8), code_size=100, hidden=[16])
    model = build(config)
    x = _batch(config.input_shape, n=4)
    assert model.encode(x).shape == (4, 100)
    out = model(x)
    assert out.recon.shape == x.shape and torch.isfinite(out.loss)


@pytest.mark.parametrize(("backbone", "objective"), PAIRS)
def test_weights_load_into_a_model_built_from_the_same_config(backbone, objective):
    shape = (_channels(objective), 8, 8)
    config = ModelConfig(backbone, objective, input_shape=shape, hidden=[8])
    a, b = build(config), build(ModelConfig.from_dict(config.to_dict()))
    b.load_state_dict(a.state_dict())
    x = _batch(config.input_shape, n=4)
    assert torch.equal(a.decode(a.encode(x)), b.decode(b.encode(x)))


def test_wrong_input_shape_is_refused_with_a_sentence():
    model = build(ModelConfig(input_shape=(1, 8, 8)))
    with pytest.raises(ValueError, match=r"x must have shape \[N, 1, 8, 8\]"):
        model(torch.rand(2, 1, 28, 28))
    with pytest.raises(ValueError, match="target must have shape"):
        model(torch.rand(2, 1, 8, 8), torch.rand(2, 64))


def test_bce_models_train_on_data_in_unit_range():
    model = build(ModelConfig("conv", "vae", input_shape=(1, 8, 8), loss="bce", hidden=[8]))
    out = model(_batch((1, 8, 8), n=4))
    assert torch.isfinite(out.loss) and out.terms["recon"] > 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(("backbone", "objective"), PAIRS)
def test_pair_runs_on_cuda(backbone, objective):
    shape = (_channels(objective), 8, 8)
    config = ModelConfig(backbone, objective, input_shape=shape, code_size=3, hidden=[16])
    model = build(config).cuda()
    x = _batch(config.input_shape).cuda()
    out = model(x)
    out.loss.backward()
    assert out.recon.device.type == "cuda" and torch.isfinite(out.loss)
