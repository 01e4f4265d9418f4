"""Whole-scene tiled prediction with blended overlaps and streaming GeoTIFF output."""

from saropt.inference.classify import classify_patches, classify_scene
from saropt.inference.decloud import decloud_scene
from saropt.inference.runtime import Runtime, Timings
from saropt.inference.tiled import BatchPredictor, TiledOptions, blend_weights, predict_scene
from saropt.inference.translate import translate_scene

__all__ = [
    "BatchPredictor",
    "Runtime",
    "TiledOptions",
    "Timings",
    "blend_weights",
    "classify_patches",
    "classify_scene",
    "decloud_scene",
    "predict_scene",
    "translate_scene",
]
