"""ModelConfig: documented defaults, JSON round trip, one-sentence errors for bad settings,
and the field metadata the form and the command line are made from."""

import json

import pytest
import torch
from torch import nn

from models import BACKBONES, OBJECTIVES, Autoencoder, ModelConfig, build, term_names
from models.config import owners, settings_of

# The fields of the first releases and their defaults: checkpoints written then rely on
# them. A field added later keeps its own default (old files lack it: see test_checkpoint).
DOCUMENTED = {
    "backbone": "mlp",
    "objective": "ae",
    "input_shape": [1, 8, 8],
    "code_size": 2,
    "hidden": [64, 32],
    "activation": "relu",
    "loss": "mse",
    "noise": "gaussian:0.5",
    "sparsity": 1e-3,
    "rho": 0.05,
    "contractive": 1e-3,
    "beta": 1.0,
    "norm": "none",
    "depth": 1,
    "dense": 0,
}
# The objectives of the first releases and their terms (later ones are registered after them).
TERMS = {
    "ae": ["recon"],
    "denoising": ["recon"],
    "sparse_l1": ["recon", "sparsity"],
    "sparse_kl": ["recon", "sparsity"],
    "contractive": ["recon", "contractive"],
    "vae": ["recon", "kl"],
    "colourise": ["recon"],
}


def test_defaults_are_the_documented_ones_and_valid():
    config = ModelConfig()
    data = config.to_dict()
    assert {k: data[k] for k in DOCUMENTED} == DOCUMENTED
    config.validate()
    assert ModelConfig().hidden is not config.hidden  # no shared mutable default


def test_registries_name_every_backbone_and_objective():
    assert list(BACKBONES) == ["linear", "mlp", "conv"]
    assert list(OBJECTIVES)[: len(TERMS)] == list(TERMS)
    assert {o: term_names(o) for o in TERMS} == TERMS
    with pytest.raises(ValueError, match="objective must be one of ae, denoising"):
        term_names("gan")


def test_every_field_is_described_once_for_the_form_and_the_command_line():
    found = settings_of(ModelConfig)
    assert [s.name for s in found] == list(ModelConfig().to_dict())
    for s in found:
        assert s.label and s.help.endswith(".") and s.group in ("Data", "Model", "Objective")
        assert s.flag == "--" + s.name.replace("_", "-")
        assert s.default == getattr(ModelConfig(), s.name)
    by_name = {s.name: s for s in found}
    assert by_name["objective"].options == tuple(OBJECTIVES)
    assert "vae: the encoder gives a Gaussian" in by_name["objective"].describe()
    assert by_name["code_size"].kind == "int" and by_name["input_shape"].kind == "shape"
    assert by_name["sparsity"].log and by_name["hidden"].kind == "ints"


def test_a_registered_objective_is_a_choice_and_owns_the_settings_it_uses(monkeypatch):
    class Toy(Autoencoder):
        about = "a toy objective."
        uses = ("beta",)

    assert owners("beta") == ["vae"] and owners("code_size") == []
    assert owners("depth") == ["conv"] and owners("hidden") == ["mlp", "conv"]
    monkeypatch.setitem(OBJECTIVES, "toy", Toy)
    objective = next(s for s in settings_of(ModelConfig) if s.name == "objective")
    assert "toy" in objective.options and "toy: a toy objective." in objective.describe()
    assert owners("beta") == ["vae", "toy"]
    assert isinstance(build(ModelConfig(objective="toy")), Toy)  # built like any other
    with pytest.raises(ValueError, match="objective must be one of .*toy, not 'gan'"):
        ModelConfig(objective="gan").validate()


def test_json_round_trip_keeps_types():
    config = ModelConfig("conv", "vae", (3, 32, 32), 16, [32, 64], "gelu", "bce", "mask:0.3")
    back = ModelConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back == config
    assert isinstance(back.input_shape, tuple) and isinstance(back.hidden, list)
    assert ModelConfig(input_shape=[1, 28, 28], hidden=(8,)) == ModelConfig(
        input_shape=(1, 28, 28), hidden=[8]
    )
    assert ModelConfig.from_dict({"code_size": 5}) == ModelConfig(code_size=5)
    back.validate()
    assert build(config.to_dict()).config == config  # build takes the dict form too


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="unknown model settings: layers"):
        ModelConfig.from_dict({"layers": 3})


BAD = [
    ({"code_size": 0}, "code_size must be a whole number from 1"),
    ({"code_size": 2.5}, "code_size must be a whole number"),
    ({"code_size": True}, "code_size must be a whole number"),
    ({"backbone": "resnet"}, "backbone must be one of linear, mlp, conv, not 'resnet'"),
    ({"objective": "gan"}, "objective must be one of ae, denoising, sparse_l1, sparse_kl, "),
    ({"activation": "swish"}, "activation must be one of relu, elu, leaky_relu, gelu, tanh, "),
    ({"loss": "l1"}, "loss must be one of mse, bce, not 'l1'"),
    ({"noise": "blur:0.5"}, "noise must look like 'kind:level' with kind one of gaussian, "),
    ({"noise": "gaussian:7"}, r"noise level for gaussian .* from 0 to 5"),
    ({"noise": "salt_pepper:1.5"}, r"noise level for salt_pepper .* from 0 to 1"),
    ({"sparsity": -0.1}, "sparsity must be a finite number >= 0"),
    ({"contractive": -1}, "contractive must be a finite number >= 0"),
    ({"beta": float("nan")}, "beta must be a finite number >= 0"),
    ({"rho": 0.0}, "rho must be a number strictly between 0 and 1"),
    ({"rho": 1.0}, "rho must be a number strictly between 0 and 1"),
    ({"input_shape": (2, 8, 8)}, r"input_shape must be \(C, H, W\) with C 1 or 3"),
    ({"input_shape": (1, 8)}, r"input_shape must be \(C, H, W\)"),
    ({"input_shape": (1, 0, 8)}, r"input_shape must be \(C, H, W\)"),
    ({"input_shape": (1, 8, 10**6)}, r"H, W whole numbers from 1 to 4096"),
    ({"hidden": [0]}, "hidden must be a list of whole numbers from 1"),
    ({"hidden": "64,32"}, "hidden must be a list of whole numbers"),
    ({"backbone": "mlp", "hidden": []}, "hidden must list at least one .* for the mlp backbone"),
    ({"backbone": "conv", "hidden": []}, "hidden must list at least one .* for the conv backbone"),
    (
        {"backbone": "conv", "input_shape": (1, 4, 4)},
        r"input_shape must have H and W of at least 8 for the conv backbone",
    ),
    ({"backbone": "conv", "input_shape": (3, 32, 7)}, "at least 8 for the conv backbone"),
    (
        {"backbone": "linear", "loss": "bce"},
        "loss must be 'mse' with the linear backbone.*use loss",
    ),
]


@pytest.mark.parametrize(("settings", "pattern"), BAD, ids=[str(s) for s, _ in BAD])
def test_bad_settings_raise_one_sentence_naming_field_and_allowed_values(settings, pattern):
    config = ModelConfig(**settings)
    with pytest.raises(ValueError, match=pattern) as error:
        config.validate()
    message = str(error.value)
    assert message.endswith(".") and "\n" not in message
    with pytest.raises(ValueError, match=pattern):
        build(config)


def test_linear_backbone_ignores_hidden_and_activation():
    model = build(ModelConfig("linear", "ae", hidden=[], activation="tanh"))
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == {
        "backbone.head.weight": (2, 64),
        "backbone.head.bias": (2,),
        "backbone.decoder.0.weight": (64, 2),
        "backbone.decoder.0.bias": (64,),
    }
    layers = {type(m) for m in model.modules()} - {type(model), type(model.backbone)}
    assert layers == {nn.Flatten, nn.Linear, nn.Sequential, nn.Unflatten, nn.Identity}
    x = torch.rand(2, 1, 8, 8)  # no activation anywhere: the model is affine end to end
    mid = model.decode(model.encode((x[:1] + x[1:]) / 2))
    both = model.decode(model.encode(x))
    torch.testing.assert_close(mid, both.mean(0, keepdim=True))


def test_the_model_keeps_its_own_copy_of_the_config():
    config = ModelConfig(hidden=[8])
    model = build(config)
    config.hidden.append(4)
    config.code_size = 9
    assert model.config.hidden == [8] and model.code_size == 2
