"""Generated co-registered SAR and optical scenes: the embedded default for demos and tests."""

from saropt.synth.export import write_scene
from saropt.synth.noise import fractal_noise, perlin
from saropt.synth.pairs import generated_pair
from saropt.synth.scene import LandCover, Scene, SceneConfig, generate_scene

__all__ = [
    "LandCover",
    "Scene",
    "SceneConfig",
    "fractal_noise",
    "generate_scene",
    "generated_pair",
    "perlin",
    "write_scene",
]
