"""Data loading for the workbench: readers of public formats, the paper's protocol, named datasets.

Typical use::

    from workbench.data import load_dataset
    data = load_dataset("ml-1m")          # the ∞-AE paper's exact split when its files are present
    mine = open_dataset("my_log.csv")     # a name or a path to your own CSV/TSV/parquet
    print(data)                           # users / items / interactions / density per split
    data.train, data.validation, data.test  # binary float32 CSR matrices, n_users × n_items
"""

from __future__ import annotations

from workbench.data.dataset import Dataset, DatasetStatistics, SplitStatistics, build_dataset
from workbench.data.interactions import Interactions
from workbench.data.locations import resolve_data_dir
from workbench.data.registry import (
    DATASET_NAMES,
    DatasetAvailability,
    available_datasets,
    data_file_name,
    dataset_name,
    load_data_file,
    load_dataset,
    open_dataset,
)

__all__ = [
    "DATASET_NAMES",
    "Dataset",
    "DatasetAvailability",
    "DatasetStatistics",
    "Interactions",
    "SplitStatistics",
    "available_datasets",
    "build_dataset",
    "data_file_name",
    "dataset_name",
    "load_data_file",
    "load_dataset",
    "open_dataset",
    "resolve_data_dir",
]
