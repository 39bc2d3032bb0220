"""The model configuration: one dataclass whose fields are described once, by their metadata.

Each field carries a `Setting` (label, help, group, range, choices, scale); the command
line's flags (trainer/cli.py) and the training form's rows (explorer/training/form.py) are
made from it, and `validate` checks values against it. `trainer.config.TrainConfig` uses
the same helpers.

This module is the leaf of `models`: it imports no other module of the package. The
registries below start empty and are filled by models.backbones and models.objectives
(which `import models` runs first); the config reads only their names, their `uses` and
`about` attributes and their `check_config` hooks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace

BACKBONES: dict[str, type] = {}  # name -> Backbone class (models.backbones)
OBJECTIVES: dict[str, type] = {}  # name -> Autoencoder class (models.objectives)
ACTIVATIONS: dict[str, type] = {}  # name -> nn.Module class (models.backbones)
NORMS: dict[str, object] = {}  # name -> layer factory (models.backbones)
LOSSES = ("mse", "bce")
CHANNELS = (1, 3)
MAX_SIZE = 100_000  # upper bound on code_size and hidden widths: a typo guard
MAX_SIDE = 4096  # upper bound on H and W
MAX_DEPTH = 8  # upper bound on convolutions per conv stage
KINDS = {int: "int", float: "float", list: "ints", tuple: "shape", str: "text"}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Setting:
    """One config field as a person sees it: the form's row and the command line's flag.

    `kind`: int, float, choice, ints (a list of widths), noise (a kind:level spec), dataset
    or shape (set from the data, never chosen). `low`/`high` bound valid values (None: no
    bound; `exclusive`: the bounds themselves are refused); `ui` is the form's narrower
    widget range; `log` marks values that span decades. `choices` may be a registry, whose
    keys are read when asked, so registering a class makes it a choice everywhere.
    """

    label: str
    help: str  # what it does; for a hyperparameter, what raising it does
    group: str  # the form's group and the --help section: Data, Model, Objective, Training
    kind: str = ""
    low: float | None = None
    high: float | None = None
    exclusive: bool = False
    ui: tuple[float, float] | None = None
    log: bool = False
    step: float = 1.0
    decimals: int = 2
    choices: tuple | Mapping | None = None
    switches: bool = False  # a choice that also has a flag per choice besides its default
    zero: str = ""  # what 0 means, where it means something else (the form shows this word)
    name: str = ""  # the field's name and default, filled in by `settings_of`
    default: object = None

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(self.choices or ())

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def widget_range(self) -> tuple[float, float]:
        low = self.low if self.low is not None else 0
        return self.ui or (low, self.high if self.high is not None else MAX_SIZE)

    def describe(self) -> str:
        """The help text, then what each choice is where the registered classes say (`about`)."""
        abouts = [f"{name}: {about}" for name, about in self._abouts()]
        return " ".join([self.help, *abouts])

    def _abouts(self):
        if isinstance(self.choices, Mapping):
            for name, value in self.choices.items():
                if getattr(value, "about", ""):
                    yield name, value.about

    def check(self, value) -> None:
        """Raise ValueError with one sentence naming the field and what is allowed."""
        if self.kind == "choice" and value not in self.options:
            raise ValueError(
                f"{self.name} must be one of {', '.join(self.options)}, not {value!r}."
            )
        if self.kind == "int" and not (_is_int(value) and self._inside(value)):
            raise ValueError(f"{self.name} must be a whole number {self._bounds()}, not {value!r}.")
        if self.kind == "float" and not (_is_number(value) and self._inside(value)):
            raise ValueError(f"{self.name} must be {self._number_bounds()}, not {value!r}.")
        if self.kind == "ints" and not (
            isinstance(value, list) and all(_is_int(n) and self._inside(n) for n in value)
        ):
            raise ValueError(
                f"{self.name} must be a list of whole numbers {self._bounds()}, not {value!r}."
            )

    def _inside(self, value) -> bool:
        below = self.low is not None and (value <= self.low if self.exclusive else value < self.low)
        above = self.high is not None and (
            value >= self.high if self.exclusive else value > self.high
        )
        return not (below or above)

    def _bounds(self) -> str:
        return f"from {self.low} to {self.high}" if self.high is not None else f">= {self.low}"

    def _number_bounds(self) -> str:
        low, high = f"{self.low:g}", f"{self.high:g}" if self.high is not None else None
        if high is None:
            return f"a finite number {'above' if self.exclusive else '>='} {low}"
        if self.exclusive:
            return f"a number strictly between {low} and {high}"
        return f"a number from {low} to {high}"


def setting(default, label: str, help: str, group: str, **options):
    """A dataclass field with its Setting as metadata (a list default gets a fresh copy)."""
    kind = options.pop("kind", "") or ("choice" if "choices" in options else "")
    kind = kind or KINDS[type(default)]
    meta = {"setting": Setting(label, help, group, kind=kind, **options)}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def settings_of(cls) -> list[Setting]:
    """The Settings of a config dataclass, in field order, with their names and defaults."""
    found = []
    for f in fields(cls):
        if "setting" in f.metadata:
            default = f.default if f.default is not MISSING else f.default_factory()
            found.append(replace(f.metadata["setting"], name=f.name, default=default))
    return found


def check_values(config) -> None:
    """Check every field of a config dataclass against its Setting."""
    for s in settings_of(type(config)):
        s.check(getattr(config, s.name))


def owners(name: str) -> list[str]:
    """The registered backbones and objectives that use setting `name` (their `uses`); a
    setting no class lists applies to every model."""
    registered = {**BACKBONES, **OBJECTIVES}
    return [key for key, cls in registered.items() if name in getattr(cls, "uses", ())]


CONV = "Conv: "


@dataclass
class ModelConfig:
    """What to build: a backbone crossed with an objective, and their settings.

    Which backbone or objective uses a setting is theirs to say (their `uses`); the others
    ignore it. The help texts below are the form's tooltips and the flags' --help.
    """

    backbone: str = setting("mlp", "Backbone", "The network shape the objective trains.",
                            "Model", choices=BACKBONES)  # fmt: skip
    objective: str = setting("ae", "Objective", "What the network is trained to do.",
                             "Objective", choices=OBJECTIVES)  # fmt: skip
    input_shape: tuple[int, int, int] = setting(
        (1, 8, 8), "Image shape", "Channels, height and width of the images (from the data).",
        "Data")  # fmt: skip
    code_size: int = setting(
        2, "Code size", "Units in the code (bottleneck) layer h = f(x). Smaller compresses "
        "more and reconstructs worse; 2 lets the latent map show the code itself.", "Model",
        low=1, high=MAX_SIZE, ui=(1, 1024))  # fmt: skip
    hidden: list[int] = setting(
        [64, 32], "Hidden sizes", "Widths of the layers between input and code, e.g. 256,128 "
        "(the decoder mirrors them); for conv, the channels of each stride-2 stage. One "
        "number gives the shallow autoencoder; more or wider layers add capacity and overfit "
        "sooner.", "Model", low=1, high=MAX_SIZE)  # fmt: skip
    activation: str = setting(
        "relu", "Activation", "The non-linearity s(.) after each hidden layer. With identity "
        "activations an autoencoder learns no more than PCA.", "Model",
        choices=ACTIVATIONS)  # fmt: skip
    loss: str = setting(
        "mse", "Loss", "Reconstruction loss L(x, r): bce (binary cross-entropy) suits pixels "
        "in [0, 1], mse (squared error, summed over pixels) real values.", "Model",
        choices=LOSSES)  # fmt: skip
    noise: str = setting(
        "gaussian:0.5", "Noise", "Denoising: the corruption u added to every batch afresh, "
        "kind:level. The network learns to map x + u back to x; a higher level is a harder "
        "task that gives more robust features.", "Objective", kind="noise")  # fmt: skip
    sparsity: float = setting(
        1e-3, "Sparsity \u03bb", "Sparse: \u03bb, the weight of the penalty on the code's "
        "activations (L1: their mean absolute value; KL: each unit's mean activation against "
        "\u03c1). Raising it leaves fewer units active per input and reconstructs worse.",
        "Objective", low=0, ui=(0.0, 100.0), log=True)  # fmt: skip
    rho: float = setting(
        0.05, "Target \u03c1", "Sparse (KL): the average activation each code unit should "
        "have. Lowering it asks for sparser codes.", "Objective", low=0, high=1,
        exclusive=True, ui=(0.001, 0.999), step=0.01, decimals=3)  # fmt: skip
    contractive: float = setting(
        1e-3, "Contractive \u03bb", "Contractive: \u03bb, the weight of the squared Frobenius "
        "norm of the Jacobian d code / d input. Raising it makes the code move less when the "
        "input changes a little.", "Objective", low=0, ui=(0.0, 100.0), log=True)  # fmt: skip
    beta: float = setting(
        1.0, "KL weight \u03b2", "VAE: the weight of the KL divergence between q(z|x) and the "
        "prior N(0, I); 1 is the ELBO. Raising it trades reconstruction for a smoother, more "
        "regular latent space.", "Objective", low=0, ui=(0.0, 1000.0), step=0.25)  # fmt: skip
    norm: str = setting(
        "none", "Normalisation", "The normalisation after each hidden layer: batch "
        "(BatchNorm) or group (GroupNorm; layer norm for mlp). It steadies and speeds up "
        "training of deeper networks.", "Model", choices=NORMS)  # fmt: skip
    depth: int = setting(
        1, "Conv depth", CONV + "convolutions per stage. 2 adds a stride-1 convolution before "
        "each stride-2 one (and after each upsampling): a deeper, stronger network that "
        "trains slower.", "Model", low=1, high=MAX_DEPTH)  # fmt: skip
    dense: int = setting(
        0, "Dense layer", CONV + "width of a fully connected layer between the last feature "
        "map and the code (the decoder mirrors it); 0 for none. It helps very small codes; "
        "wider adds capacity.", "Model", low=0, high=MAX_SIZE)  # fmt: skip
    ridge: float = setting(
        1e-3, "Ridge \u03bb", "Ridge: \u03bb, the weight of the sum of squared weights (a "
        "penalty on the weights, not the activations). Raising it keeps the weights small: "
        "a smoother mapping that reconstructs worse.", "Objective", low=0, ui=(0.0, 100.0),
        log=True)  # fmt: skip

    def __post_init__(self) -> None:
        # JSON gives lists; keep the documented types so configs compare equal.
        if isinstance(self.input_shape, list):
            self.input_shape = tuple(self.input_shape)
        if isinstance(self.hidden, tuple):
            self.hidden = list(self.hidden)

    def validate(self) -> None:
        """Raise ValueError with one sentence naming the field and the allowed values: each
        field against its Setting, then the backbone's and the objective's own checks."""
        shape = self.input_shape
        if (
            not isinstance(shape, tuple)
            or len(shape) != 3
            or not all(_is_int(n) and 1 <= n <= MAX_SIDE for n in shape)
            or shape[0] not in CHANNELS
        ):
            raise ValueError(
                f"input_shape must be (C, H, W) with C 1 or 3 and H, W whole numbers from 1 to "
                f"{MAX_SIDE}, not {shape!r}."
            )
        check_values(self)
        BACKBONES[self.backbone].check_config(self)
        OBJECTIVES[self.objective].check_config(self)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (input_shape becomes a list)."""
        data = asdict(self)
        data["input_shape"] = list(self.input_shape)
        data["hidden"] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """The inverse of `to_dict`; missing keys take their defaults, unknown keys are refused."""
        names = [f.name for f in fields(cls)]
        unknown = set(data) - set(names)
        if unknown:
            raise ValueError(
                f"unknown model settings: {', '.join(sorted(unknown))} (known: {', '.join(names)})."
            )
        return cls(**data)

    def copy(self) -> ModelConfig:
        """An independent copy (hidden is a fresh list)."""
        return replace(self, hidden=list(self.hidden))
