"""How entropies are computed: one registry entry per method, "exact" and "auto" included.

An entry holds the method's name (``InformationPlane(estimator=...)``, ``--estimator``), a line
for help texts, its code in the trajectory's ``method`` column, and the function computing the
entropies of a batch of unit-trace matrices with an error estimate. ``"auto"`` is an entry
too: it is exact up to ``exact_up_to`` samples and otherwise lets each point take the candidate
whose largest error estimate is smallest. The command line's choices and help come from here.

A new method is one entry in ``_ENTRIES`` and its function in this file (TensorFlow imported
inside the function, so listing the methods does not import it). A method function takes
``(a, alpha, seed, eigvalsh)``: a (P, ..., n, n) unit-trace matrices, the Rényi order, an int
seed for random probes, and the exact path's eigenvalue routine; it returns (entropy, error),
both (P, ...) in bits, the error a 95% half-width or bound (0 for exact).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType


@dataclasses.dataclass(frozen=True)
class EntropyMethod:
    """A way of computing the entropies of a point's matrices.

    Attributes:
        name: What users pass.
        description: One line for help texts.
        code: The method's number in the trajectory's ``method`` column (never reused).
        entropy: ``(a, alpha, seed, eigvalsh) -> (entropy, error)`` (see the module
            docstring); None for ``"auto"``, which picks among ``candidates``.
        candidates: For ``"auto"``: the methods it chooses among above ``exact_up_to``.
        exact_up_to: For ``"auto"``: exact up to this many samples (a measured crossover,
            ``benchmarks/large_probe.py``).
        reference: Where the method comes from.
    """

    name: str
    description: str
    code: int
    entropy: Callable | None = None
    candidates: tuple[str, ...] = ()
    exact_up_to: int = 0
    reference: str = ""

    @property
    def approximate(self) -> bool:
        """Whether points get error estimates and a method code (every method but exact)."""
        return self.name != "exact"


def _exact(a, alpha, seed, eigvalsh):
    import tensorflow as tf

    from infoplane_tf.estimator.spectra import spectral_entropy

    h = spectral_entropy(a, alpha, eigvalsh)
    return h, tf.zeros_like(h)


def _slq(a, alpha, seed, eigvalsh):
    from infoplane_tf.estimator.approximate import slq_entropy

    return slq_entropy(a, alpha, seed=seed)


def _nystrom(a, alpha, seed, eigvalsh):
    from infoplane_tf.estimator.approximate import nystrom_entropy

    return nystrom_entropy(a, alpha, seed=seed)


def _identity(a, alpha, seed, eigvalsh):
    from infoplane_tf.estimator.approximate import identity_entropy

    return identity_entropy(a, alpha, seed=seed)


#: "auto" is exact up to this many samples (the crossover measured by benchmarks/large_probe.py).
_AUTO_EXACT_UP_TO = 1024

_ENTRIES = (
    EntropyMethod(
        "exact", "every spectrum by eigvalsh (O(n^3) per matrix)", 0, _exact,
        reference="Giraldo, Rao & Príncipe 2015",
    ),
    EntropyMethod(
        "auto",
        f"exact up to {_AUTO_EXACT_UP_TO} samples, else the approximation with the smallest "
        "error estimate", -1, candidates=("slq", "nystrom", "identity"),
        exact_up_to=_AUTO_EXACT_UP_TO,
    ),
    EntropyMethod(
        "slq", "stochastic Lanczos quadrature, top of the spectrum deflated (any spectrum)", 1,
        _slq, reference="Ubaru, Chen & Saad 2017",
    ),
    EntropyMethod(
        "nystrom", "Nystrom landmarks, a guaranteed interval (decaying spectra)", 2, _nystrom,
        reference="Williams & Seeger 2001",
    ),
    EntropyMethod(
        "identity", "series around the identity (nearly diagonal matrices)", 3, _identity,
        reference="the binomial series of (I + E)^alpha",
    ),
)  # fmt: skip

#: Every method, by name.
ENTROPY_METHODS = MappingProxyType({method.name: method for method in _ENTRIES})

#: What users may pass: name → description (``InformationPlane(estimator=...)``).
ESTIMATORS = MappingProxyType({method.name: method.description for method in _ENTRIES})

#: Method names by their code in the trajectory's ``method`` column.
METHODS = tuple(m.name for m in sorted(_ENTRIES, key=lambda m: m.code) if m.code >= 0)
