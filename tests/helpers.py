"""Helpers shared by several test modules (no tests here): tiny model sizes, a tiny run, a small
synthetic point. Test modules import this, never each other."""

import numpy as np

#: Small hyperparameters of every model, for fast runs.
SMALL = {
    "vanilla": {"code_units": 8},
    "deep": {"hidden_units": (32, 16), "code_units": 8},
    "sparse": {"code_units": 8},
    "tied": {"hidden_units": (32,), "code_units": 8},
    "vae": {"hidden_units": (32, 16), "code_units": 4},
    "label": {"hidden_units": (32, 16), "code_units": 10},
}


def train_tiny_run(folder, model="deep", **options):
    """Trains a 2-epoch run on 5% of mnist-5k (probe of 30, checkpoints log:4) into ``folder``
    and returns it loaded."""
    import infoplane_tf as ip
    from infoplane_tf.workflows.training import run as train

    config = ip.TrainConfig(
        model=model, dataset="mnist-5k", epochs=2, train_fraction=0.05, probe_size=30,
        out=str(folder), **{"checkpoints": "log:4", **SMALL[model], **options},
    )  # fmt: skip
    return ip.load_run(train(config))


def small_point(n=120, seed=0):
    """A probe x (n, 12), labels (n,), two tanh layers and an output: one synthetic point."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12)).astype("float32")
    h1 = np.tanh(x @ rng.normal(size=(12, 8)))
    h2 = np.tanh(h1 @ rng.normal(size=(8, 3)))
    return x, rng.integers(0, 4, n), [h1, h2], h2 @ rng.normal(size=(3, 12))


def exact_entropy(a, alpha=1.01):
    """The reference: numpy's float64 spectrum of one unit-trace matrix, in bits."""
    values = np.clip(np.linalg.eigvalsh(np.asarray(a, np.float64)), 0, None)
    values = values / values.sum()
    if alpha == 1.0:
        positive = values[values > 0]
        return float(-(positive * np.log2(positive)).sum())
    return float(np.log2((values**alpha).sum()) / (1 - alpha))


def small_auto(monkeypatch):
    """'auto' tries its candidates from 11 samples on (1024 in use)."""
    import dataclasses

    from infoplane_tf import entropy_methods
    from infoplane_tf.estimator import entropies

    auto = dataclasses.replace(entropy_methods.ENTROPY_METHODS["auto"], exact_up_to=10)
    methods = {**entropy_methods.ENTROPY_METHODS, "auto": auto}
    monkeypatch.setattr(entropies, "ENTROPY_METHODS", methods)
