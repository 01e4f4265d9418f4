"""torch Datasets, one per layout, and patch/pair samplers."""

from saropt.datasets.bigearthnet import BigEarthNetMM
from saropt.datasets.dream import DreamDataset
from saropt.datasets.samplers import PairSampler, PairSpec, grid_patches, random_patches
from saropt.datasets.sen1_2 import SEN12Pairs
from saropt.datasets.sen12ms import SEN12MS, SEN12MSCR

__all__ = [
    "SEN12MS",
    "SEN12MSCR",
    "BigEarthNetMM",
    "DreamDataset",
    "PairSampler",
    "PairSpec",
    "SEN12Pairs",
    "grid_patches",
    "random_patches",
]
