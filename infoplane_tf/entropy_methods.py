"""How entropies are computed: one registry entry per method, "exact" and "auto" included.

An entry holds the method's name (``InformationPlane(estimator=...)``, ``--estimator``), a line
for help texts, its code in the trajectory's ``method`` column, and the function computing the
entropies of a batch of unit-trace matrices with an error estimate. ``"auto"`` is an entry
too: it is exact up to ``exact_up_to`` samples; above, each matrix takes the first of its
``candidates`` (cheapest first) whose error estimate is within the tolerance
(``estimator.entropies``). The command line's choices and help come from here.

A new method is one entry in ``_ENTRIES`` and its function in this file (TensorFlow imported
inside the function, so listing the methods does not import it). A method function takes
``(a, alpha, seed, eigvalsh, tolerance)``: a (P, ..., n, n) unit-trace matrices, the Rényi
order, an int seed for random probes, the exact path's eigenvalue routine, and None or the
error in bits each matrix's entropy should reach (a method that cannot spend more work to
reach it ignores it); it returns (entropy, error), both (P, ...) in bits, the error a 95%
half-width or bound (0 for exact).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from types import MappingProxyType


@dataclasses.dataclass(frozen=True)
class EntropyMethod:
    """A way of computing the entropies of a point's matrices.

    Attributes:
        name: What users pass.
        description: One line for help texts.
        code: The method's number in the trajectory's ``method`` column (never reused).
        entropy: ``(a, alpha, seed, eigvalsh, tolerance) -> (entropy, error)`` (see the
            module docstring); None for ``"auto"``, which tries ``candidates``.
        candidates: For ``"auto"``: the methods it tries in turn above ``exact_up_to``, the
            cheapest first.
        exact_up_to: For ``"auto"``: exact up to this many samples (a measured crossover,
            ``benchmarks/large_probe.py``).
        tolerance: For ``"auto"``: the error in bits of every information value it aims
            at when none is given.
        adaptive: Whether the method spends more work to reach a given tolerance.
        reference: Where the method comes from.
    """

    name: str
    description: str
    code: int
    entropy: Callable | None = None
    candidates: tuple[str, ...] = ()
    exact_up_to: int = 0
    tolerance: float | None = None
    adaptive: bool = False
    reference: str = ""

    @property
    def approximate(self) -> bool:
        """Whether points get error estimates and a method code (every method but exact)."""
        return self.name != "exact"


def _exact(a, alpha, seed, eigvalsh, tolerance):
    import tensorflow as tf

    from infoplane_tf.estimator.spectra import spectral_entropy

    h = spectral_entropy(a, alpha, eigvalsh)
    return h, tf.zeros_like(h)


def _slq(a, alpha, seed, eigvalsh, tolerance):
    from infoplane_tf.estimator.slq import slq_entropy

    return slq_entropy(a, alpha, seed=seed, tolerance=tolerance)


def _nystrom(a, alpha, seed, eigvalsh, tolerance):
    from infoplane_tf.estimator.approximate import nystrom_entropy

    return nystrom_entropy(a, alpha, seed=seed)


def _identity(a, alpha, seed, eigvalsh, tolerance):
    from infoplane_tf.estimator.approximate import identity_entropy

    return identity_entropy(a, alpha, seed=seed)


#: "auto" is exact up to this many samples (the crossover measured by benchmarks/large_probe.py).
_AUTO_EXACT_UP_TO = 1024
#: "auto"'s default error of every information value, in bits.
_AUTO_TOLERANCE = 0.05

_ENTRIES = (
    EntropyMethod(
        "exact", "every spectrum by eigvalsh (O(n^3) per matrix)", 0, _exact,
        reference="Giraldo, Rao & Príncipe 2015",
    ),
    EntropyMethod(
        "auto",
        f"exact up to {_AUTO_EXACT_UP_TO} samples, else per matrix the identity series where "
        f"it is within the tolerance (default {_AUTO_TOLERANCE} bit), slq otherwise", -1,
        candidates=("identity", "slq"), exact_up_to=_AUTO_EXACT_UP_TO, tolerance=_AUTO_TOLERANCE,
        adaptive=True,
    ),
    EntropyMethod(
        "slq", "stochastic Lanczos quadrature, deflated, with control variates (any spectrum)", 1,
        _slq, adaptive=True, reference="Ubaru, Chen & Saad 2017",
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


def check_tolerance(tolerance: float | None, estimator: str) -> float | None:
    """The error in bits every information value should reach: ``tolerance`` if it is a
    number > 0 and ``estimator`` can spend work to reach it; for None, the method's default
    (None but for "auto"). ParameterError otherwise."""
    from infoplane_tf.validation import ParameterError, positive_float

    method = ENTROPY_METHODS[estimator]
    if tolerance is None:
        return method.tolerance
    if not method.adaptive:
        adaptive = ", ".join(repr(m.name) for m in _ENTRIES if m.adaptive)
        raise ParameterError(
            "tolerance",
            f"applies to the estimators that adapt their work ({adaptive}), "
            f"got estimator={estimator!r} with tolerance={tolerance!r}",
        )
    return positive_float("tolerance", tolerance)


def matrix_tolerance(tolerance: float) -> float:
    """The error in bits each entropy must reach for every information value of a point to
    reach ``tolerance``: a value combines at most three estimated entropies (I(T;X') =
    S(T) + S(X') − S(T,X')), whose independent errors add in quadrature."""
    return tolerance / math.sqrt(3.0)


#: Every method, by name.
ENTROPY_METHODS = MappingProxyType({method.name: method for method in _ENTRIES})

#: What users may pass: name → description (``InformationPlane(estimator=...)``).
ESTIMATORS = MappingProxyType({method.name: method.description for method in _ENTRIES})

#: Method names by their code in the trajectory's ``method`` column.
METHODS = tuple(m.name for m in sorted(_ENTRIES, key=lambda m: m.code) if m.code >= 0)
