"""Datasets: the paper's image sets as flat float32 arrays, found offline whenever possible."""

from infoplane_tf.data.datasets import (
    Dataset,
    DatasetFormatError,
    DatasetInfo,
    DatasetUnavailableError,
    Probe,
    default_dataset_name,
    load_dataset,
    load_default_dataset,
)

__all__ = [
    "Dataset",
    "DatasetFormatError",
    "DatasetInfo",
    "DatasetUnavailableError",
    "Probe",
    "default_dataset_name",
    "load_default_dataset",
    "load_dataset",
]
