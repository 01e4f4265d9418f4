"""Optical <-> SAR translation experiments (DREAM section 3.2; Merkle et al., IEEE JSTARS
2018): train the cGAN of :class:`saropt.tasks.translation.TranslationTask` on a generated
scene (validated on another) or on a database's train tiles (validated on its val tiles),
export the EMA generator."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import lightning as L

from saropt.datasets.datamodules import TranslationDataModule
from saropt.datasets.translation import Direction, database_layout
from saropt.experiments.config import (
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    check_patch,
    config_dict,
    save_config,
)
from saropt.experiments.fitting import fit
from saropt.io.sentinel import S1_BANDS, S2_BANDS, S2_QUANTIFICATION, SYMMETRIC_NORMALIZATION
from saropt.losses.gan import GanMode
from saropt.models import save_model
from saropt.tasks.translation import TranslationTask


@dataclass
class Pix2PixModel:
    """The ``model:`` section of every pix2pix experiment: the generator, the PatchGAN and
    their training (see :class:`~saropt.tasks.pix2pix.Pix2PixTask`; tiny CPU defaults)."""

    width: PositiveInt = 16
    depth: PositiveInt = 5
    dropout: float = 0.4
    disc_width: PositiveInt = 16
    lr: PositiveFloat = 2e-4
    l1_weight: float = 100.0
    gan_mode: GanMode = "bce"
    ema_decay: float = 0.99
    fused_adam: bool = False


#: The translation experiment's ``model:`` section is the pix2pix one as it is.
TranslationModel = Pix2PixModel


@dataclass
class TranslationData:
    """The ``data:`` section (see :class:`TranslationDataModule`): ``source: dream`` and
    ``root: DB`` train on a ``saropt db build`` database (``optical: s2_registered`` after
    ``--register``); ``bands`` then picks Sentinel-2 bands, and another optical image (an
    aerial RGB+NIR) is used with all its bands."""

    direction: Direction = "opt2sar"
    source: Literal["generated", "dream"] = "generated"
    root: str | None = None
    optical: Literal["s2", "s2_registered"] = "s2"
    scene_size: PositiveInt = 384
    patch_size: PositiveInt = 64
    train_length: PositiveInt = 256
    val_length: PositiveInt = 64
    bands: tuple[str, ...] = S2_BANDS
    batch_size: PositiveInt = 8


@dataclass
class TranslationConfig:
    """A translation experiment (``configs/translation_tiny.yaml`` holds the defaults)."""

    model: TranslationModel = field(default_factory=TranslationModel)
    data: TranslationData = field(default_factory=TranslationData)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(max_epochs=10))
    seed_everything: int = 0

    def __post_init__(self) -> None:
        scene = self.data.scene_size if self.data.source == "generated" else None
        check_patch(self.data.patch_size, 2**self.model.depth, "data.patch_size", scene)


def train_translation(
    cfg: TranslationConfig,
    out: str | Path,
    *,
    resume: str | Path | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """Train on one generated scene (or a database's train tiles), validate on another (its
    val tiles), export the EMA generator.

    Writes ``config.yaml``, ``metrics.csv``, ``checkpoints/last.ckpt`` and
    ``generator.safetensors`` (with its JSON) into ``out``; returns the last metrics.
    """
    out = Path(out)
    d = cfg.data
    data = TranslationDataModule(
        d.direction, source=d.source, root=d.root, optical=d.optical,
        scene_size=d.scene_size, patch_size=d.patch_size, train_length=d.train_length,
        val_length=d.val_length, bands=tuple(d.bands), batch_size=d.batch_size,
        seed=cfg.seed_everything,
    )  # fmt: skip
    bands, sar_bands, scale = tuple(d.bands), S1_BANDS, S2_QUANTIFICATION
    if d.source == "dream":  # the database says which bands the network sees
        bands, sar_bands, scale = database_layout(str(d.root), bands)
        data.setup("fit")  # a database without train or val tiles stops here
    save_config(cfg, out)
    L.seed_everything(cfg.seed_everything, workers=True, verbose=False)
    n_opt, n_sar = len(bands), len(sar_bands)
    cin, cout = (n_opt, n_sar) if d.direction == "opt2sar" else (n_sar, n_opt)
    task = TranslationTask(cin, cout, d.direction, **config_dict(cfg.model))
    metrics = fit(task, data, out, cfg.trainer, resume=resume, progress=progress)
    m = cfg.model
    save_model(
        task.ema,
        out / "generator",
        "translation_generator",
        {"in_channels": cin, "out_channels": cout, "width": m.width, "depth": m.depth,
         "dropout": m.dropout},
        direction=d.direction,
        bands=list(bands),
        sar_bands=list(sar_bands),
        optical_scale=scale,
        normalization=SYMMETRIC_NORMALIZATION,
        config=config_dict(cfg),
        metrics=metrics,
    )  # fmt: skip
    return metrics
