"""Rényi entropies of unit-trace PSD matrices from their spectra, in bits."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import tensorflow as tf

from infoplane_tf.estimator.kernels import normalize_kernels


def spectral_entropy(a: tf.Tensor, alpha: float, eigvalsh=tf.linalg.eigvalsh) -> tf.Tensor:
    """Rényi α-entropy in bits of unit-trace symmetric PSD matrices a (..., n, n) → (...,).

    S_α(A) = log2(Σ λ_i^α) / (1 - α), with the von Neumann limit -Σ λ log2 λ at α = 1 and
    Σ λ² = ||A||_F² at α = 2 (no eigendecomposition). Negative eigenvalues (rounding noise of a
    collapsed representation) are clamped to 0 and the spectrum renormalized, so the result is
    finite for every finite input.

    Args:
        a: normalized matrices (see ``normalize_kernels``).
        alpha: the order α > 0, a Python float (it selects the code path when traced).
        eigvalsh: the eigenvalue routine, (..., n, n) → (..., n): ``tf.linalg.eigvalsh`` or
            ``eigvalsh_one_at_a_time``. Never under XLA (TF issues #50017, #62461).
    """
    if alpha == 2.0:
        return -tf.math.log(tf.reduce_sum(tf.square(a), axis=[-2, -1])) / math.log(2.0)
    return spectrum_entropy(eigvalsh(a), alpha)


def spectrum_entropy(eigenvalues: tf.Tensor, alpha: float) -> tf.Tensor:
    """Rényi α-entropy in bits of the spectra (..., m) of unit-trace PSD matrices → (...).

    Negative eigenvalues are clamped to 0 and each spectrum renormalized (see
    ``spectral_entropy``); zeros add nothing, so a spectrum may be padded with them.
    """
    eigenvalues = tf.maximum(eigenvalues, 0.0)
    eigenvalues = eigenvalues / tf.reduce_sum(eigenvalues, axis=-1, keepdims=True)
    if alpha == 1.0:
        tiny = tf.constant(np.finfo(eigenvalues.dtype.as_numpy_dtype).tiny, eigenvalues.dtype)
        plogp = eigenvalues * tf.math.log(tf.maximum(eigenvalues, tiny))
        return -tf.reduce_sum(plogp, axis=-1) / math.log(2.0)
    power_sum = tf.reduce_sum(tf.pow(eigenvalues, alpha), axis=-1)
    return tf.math.log(power_sum) / ((1.0 - alpha) * math.log(2.0))


def block_diagonal_entropy(
    blocks: tf.Tensor, alpha: float, eigvalsh=tf.linalg.eigvalsh
) -> tf.Tensor:
    """Rényi α-entropy in bits of unit-trace block-diagonal PSD matrices given by their
    diagonal blocks (..., C, b, b) → (...).

    The spectrum of a block-diagonal matrix is the union of its blocks' spectra: C small
    eigenproblems instead of one of C·b (see ``kernels.diagonal_blocks``; blocks padded with
    zero rows and columns add zero eigenvalues, which add nothing). ``eigvalsh``: as for
    ``spectral_entropy``; ``eigvalsh_one_at_a_time`` takes one matrix's blocks per op.
    """
    if alpha == 2.0:
        return -tf.math.log(tf.reduce_sum(tf.square(blocks), axis=[-3, -2, -1])) / math.log(2.0)
    if eigvalsh is eigvalsh_one_at_a_time:
        eigvalsh = partial(eigvalsh_one_at_a_time, group_dims=1)
    eigenvalues = eigvalsh(blocks)
    shape = tf.concat([tf.shape(eigenvalues)[:-2], [-1]], axis=0)
    return spectrum_entropy(tf.reshape(eigenvalues, shape), alpha)


def entropy_of_kernels(kernels: tf.Tensor, alpha: float) -> tf.Tensor:
    """Rényi α-entropy in bits of PSD kernel matrices (..., n, n), each normalized to unit
    trace first; (...,) values in [0, log2 n], finite for every finite input."""
    return spectral_entropy(normalize_kernels(kernels), alpha)


def eigvalsh_one_at_a_time(matrices: tf.Tensor, group_dims: int = 0) -> tf.Tensor:
    """Eigenvalues of symmetric matrices (..., n, n) with static shape, one after another.

    A batched ``eigvalsh`` shares its matrices out over every core; a chain of single-matrix
    ops (each waits for the one before) runs on one thread, so a background estimator leaves
    the other cores to training. ``group_dims`` trailing batch axes go to one op together
    (the small diagonal blocks of one matrix: one op each would cost more to trace than to run).
    """
    group = matrices.shape[matrices.shape.rank - 2 - group_dims :]
    flat = tf.reshape(matrices, [-1, *group])
    spectra = []
    for i in range(flat.shape[0]):
        with tf.control_dependencies(spectra[-1:]):
            spectra.append(tf.linalg.eigvalsh(flat[i]))
    return tf.reshape(tf.stack(spectra), matrices.shape[:-1])
