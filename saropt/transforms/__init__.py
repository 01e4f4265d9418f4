"""Transforms: synthetic clouds and haze, real cloud-probability maps."""

from saropt.transforms.functional import (
    add_clouds,
    apply_cloud_probability,
    cloud_opacity,
    lee_filter,
)
from saropt.transforms.modules import SyntheticClouds

__all__ = [
    "SyntheticClouds",
    "add_clouds",
    "apply_cloud_probability",
    "cloud_opacity",
    "lee_filter",
]
