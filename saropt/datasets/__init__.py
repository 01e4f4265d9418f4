"""torch Datasets, one per layout, and patch/pair samplers."""

from saropt.datasets.bigearthnet import BigEarthNetMM
from saropt.datasets.cloud_removal import SyntheticCloudDataset
from saropt.datasets.dream import DreamDataset
from saropt.datasets.samplers import (
    EpochShuffleSampler,
    PairSampler,
    PairSpec,
    grid_patches,
    random_patches,
)
from saropt.datasets.sen1_2 import SEN12Pairs
from saropt.datasets.sen12ms import SEN12MS, SEN12MSCR

__all__ = [
    "SEN12MS",
    "SEN12MSCR",
    "BigEarthNetMM",
    "DreamDataset",
    "EpochShuffleSampler",
    "PairSampler",
    "PairSpec",
    "SEN12Pairs",
    "SyntheticCloudDataset",
    "grid_patches",
    "random_patches",
]
