"""One way to run a Lightning fit for every experiment, with no global side effects."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import lightning as L

from saropt.datasets.datamodules import PatchDataModule
from saropt.experiments.config import TrainerConfig

#: Lightning messages that say nothing to a saropt user: its own pytree deprecation; the
#: advice to add loader workers (samples are generated in memory, workers only add start-up
#: time); that a task without a validation step skips the data module's validation pairs
#: (the experiment reports on them after training); and that the run folder is not empty
#: (it already holds the run's config.yaml, written first so an interrupted run keeps it).
QUIET = (
    r".*LeafSpec.*is deprecated",
    r".*does not have many workers.*",
    r".*but have no `val_dataloader`.*",
    r".*passed in a `val_dataloader` but have no `validation_step`.*",
    r".*Experiment logs directory .* exists and is not empty.*",
    r".*smaller than the logging interval.*",
)


@contextmanager
def quiet_lightning(progress: bool) -> Iterator[None]:
    """Within the block only: hide :data:`QUIET` warnings and, unless ``progress``,
    Lightning's start-up log (accelerator summary, tips). Both are restored on exit."""
    logger = logging.getLogger("lightning.pytorch")
    level = logger.level
    if not progress:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            for pattern in QUIET:
                warnings.filterwarnings("ignore", message=pattern)
            yield
    finally:
        logger.setLevel(level)


def fit(
    task: L.LightningModule,
    data: L.LightningDataModule,
    out: str | Path,
    trainer: TrainerConfig,
    *,
    resume: str | Path | None = None,
    progress: bool = False,
    callbacks: Sequence[L.Callback] = (),
) -> dict[str, float]:
    """Train ``task`` on ``data`` into ``out``; returns the last logged metrics.

    Writes ``metrics.csv`` (Lightning's CSV log) and ``checkpoints/last.ckpt`` (every epoch,
    so ``resume=`` continues an interrupted run). Seed with :func:`L.seed_everything` before
    building the task; the data module shuffles with its own epoch-seeded sampler.
    With ``callbacks``, training data are asked for anew each epoch, so a callback may
    change them (negatives mined with the model being trained).
    """
    out = Path(out)
    data.setup("fit")  # builds the datasets once; Lightning's own call then finds them
    validate = not (isinstance(data, PatchDataModule) and data.val is None)
    ckpt = L.pytorch.callbacks.ModelCheckpoint(
        dirpath=out / "checkpoints", save_last=True, save_top_k=0
    )
    with quiet_lightning(progress):
        run = L.Trainer(
            max_epochs=trainer.max_epochs,
            accelerator=trainer.accelerator,
            devices=1,
            logger=L.pytorch.loggers.CSVLogger(out, name="", version=""),
            precision=trainer.precision,
            callbacks=[ckpt, *callbacks],
            reload_dataloaders_every_n_epochs=1 if callbacks else 0,
            enable_progress_bar=progress,
            enable_model_summary=False,
            deterministic=True,
            num_sanity_val_steps=0,
            log_every_n_steps=50,  # tasks log per epoch: step logging would only cost time
            limit_val_batches=None if validate else 0,  # None: Lightning's default, silently
        )
        run.fit(task, datamodule=data, ckpt_path=str(resume) if resume else None)
    return {k: float(v) for k, v in run.callback_metrics.items()}
