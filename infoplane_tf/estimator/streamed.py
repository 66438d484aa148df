"""A point too large to hold at once: its matrices built and measured one after another.

A batched point holds all M = 3L + 1 (4L + 1) matrices of ``PointLayout`` together, and its
temporaries: at n = 8,192 one float32 matrix is 256 MB, a deep-AE point 16 of them. Here each
joint matrix is built (one fused XLA product and normalization), measured and dropped before
the next is built: besides the probe's kernels of X and Y, at most the output's and one layer's
Gram matrices, one matrix being measured and the method's own workspace are alive. Control
dependencies chain the steps so that the graph cannot run them side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tensorflow as tf

from infoplane_tf.estimator.entropies import point_methods
from infoplane_tf.estimator.kernels import gaussian_grams, normalize_kernels


def _joint(finite: tf.Tensor, first: tf.Tensor, *others: tf.Tensor) -> tf.Tensor:
    """The unit-trace Hadamard product of Gram matrices (P, G, n, n) (one matrix: itself),
    identity/n for the points that are not ``finite`` (P,)."""
    product = first
    for other in others:
        product = product * other
    n = product.shape[-1]
    placeholder = tf.eye(n, dtype=product.dtype) / n
    return tf.where(finite[:, None, None, None], normalize_kernels(product), placeholder)


_joint_xla = tf.function(_joint, jit_compile=True, autograph=False)
_grams_xla = tf.function(gaussian_grams, jit_compile=True, autograph=False)


def streamed_entropies(
    tensors: Sequence[tf.Tensor],
    probe,
    sigma,
    gammas,
    finite: tf.Tensor,
    entropies: Callable,
    compiled: bool = True,
):
    """The entropies of P points' matrices at G width scales, one matrix at a time.

    Args:
        tensors: L + 1 tensors (P, n, d_l): the layers T_1..T_L, then the output X'.
        probe: the ``ProbeKernels`` (kernels of X (G, n, n), of Y (n, n) or None, and the
            layers' given base widths or None).
        sigma, gammas: the width rule and its G scales (see ``gaussian_grams``).
        finite: (P,) bool, whether each point's activations are finite; the matrices of the
            others are replaced by identity/n (eigvalsh fails on NaN).
        entropies: (matrices (P, G, n, n), seed) → ``(entropy, error, codes)``, each (P, G):
            bits and the matrices' method codes (``entropies.matrix_entropies`` with its
            settings bound). Each matrix of the point gets its own seed (its index), so that
            the errors of the entropies a value combines are independent.
        compiled: build the matrices with XLA (False: plain ops, for debugging).

    Returns:
        ``(h, error, method, widths)``: h and error (P, G, M) in bits in ``PointLayout``
        order, method (P,) int32 (``entropy_methods.METHODS`` codes), widths (P, G, L + 1).
    """
    n_layers = len(tensors) - 1
    grams, joint = (_grams_xla, _joint_xla) if compiled else (gaussian_grams, _joint)
    measured, after = {}, []

    def gram(j: int):
        base = None if probe.widths is None else probe.widths[:, j]
        with tf.control_dependencies(after):
            return grams(tensors[j], sigma, gammas, k_y=probe.k_y, base_width=base)

    def measure(index: int, *kernels: tf.Tensor) -> None:
        with tf.control_dependencies(after):
            measured[index] = entropies(joint(finite, *kernels), seed=index)
        after[:] = [measured[index][0]]

    k_out, width_out = gram(n_layers)
    measure(n_layers, k_out)
    widths = []
    for layer in range(n_layers):
        k_t, width = gram(layer)
        widths.append(width)
        measure(layer, k_t)
        measure(n_layers + 1 + layer, probe.k_x, k_t)
        measure(2 * n_layers + 1 + layer, k_t, k_out)
        if probe.k_y is not None:
            measure(3 * n_layers + 1 + layer, k_t, probe.k_y)
    h, error, codes = (tf.stack([measured[i][part] for i in sorted(measured)], axis=-1)
                       for part in range(3))  # (P, G, M) each  # fmt: skip
    return h, error, point_methods(error, codes), tf.stack([*widths, width_out], axis=2)
