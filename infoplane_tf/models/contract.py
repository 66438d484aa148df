"""What a subclassed model provides so that its information plane can be measured.

Subclassed Keras models have no ``layer.output`` (keras#18634), so they name their own
representations. Functional and Sequential models need nothing: their layers are read from
the graph (see ``infoplane_tf.readout``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable


@runtime_checkable
class MeasurableModel(Protocol):
    """The one method a subclassed model must have; the attributes below are optional.

    ``representations_and_output(x, training=False, noise=None)`` returns ``(mapping name →
    activations (batch, ...), output (batch, ...))`` from one forward pass, the
    representations in order. ``noise`` is only passed to models that declare
    ``noise_units``.

    Optional attributes, read with defaults:
        representation_names: the names in order (default: the keys returned on two probe
            rows).
        noise_units: width of the standard-normal noise of a sampled code (a VAE), so a
            measurement can fix it per point (default None: deterministic).
        bottleneck_name: the layer copied into Keras ``logs`` by default (default: the
            narrowest measured layer).
    """

    def representations_and_output(
        self, x, training: bool = False, noise=None
    ) -> tuple[Mapping[str, object], object]: ...
