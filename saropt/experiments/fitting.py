"""One way to run a Lightning fit for every experiment, with no global side effects."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import lightning as L
import torch

from saropt.datasets.datamodules import PatchDataModule
from saropt.experiments.config import TrainerConfig
from saropt.io.atomic import write_text_atomic

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
            devices=trainer.devices,
            num_nodes=trainer.num_nodes,
            strategy=_strategy(trainer.strategy, task),
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
    if run.world_size > 1:
        average_buffers(run, task)
        check_ranks_agree(run, task, out)
        if not run.is_global_zero:
            # rank 0 goes on to evaluate and write the run's outputs; the others are done
            raise SystemExit(0)
    return {k: float(v) for k, v in run.callback_metrics.items()}


def _strategy(name: str, task: L.LightningModule) -> str:
    """The GAN tasks step two optimisers by hand, each leaving the other network's weights
    out of its loss: DDP must then look for unused parameters."""
    if name == "ddp" and not task.automatic_optimization:
        return "ddp_find_unused_parameters_true"
    return name


def average_buffers(run: L.Trainer, task: L.LightningModule) -> None:
    """Replace every floating-point buffer (batch norm's running statistics) by its mean
    over the ranks. DDP keeps the weights equal, but each rank's running statistics follow
    its own batches; SyncBatchNorm, which would share them, runs on GPUs only."""
    with torch.no_grad():
        for buf in task.buffers():
            if buf.is_floating_point():
                buf.copy_(run.strategy.reduce(buf.clone(), reduce_op="mean"))


def weights_digest(task: L.LightningModule) -> str:
    """SHA-256 of every parameter and buffer of ``task``, in state-dict order."""
    h = hashlib.sha256()
    for name, tensor in task.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def check_ranks_agree(run: L.Trainer, task: L.LightningModule, out: Path) -> None:
    """Gather each rank's :func:`weights_digest`; rank 0 writes ``ranks.json``.

    Raises:
        RuntimeError: The ranks ended with different weights (a broken strategy or a
            nondeterministic kernel under DDP); every rank raises, so no output is
            written from weights that disagree.
    """
    digest = weights_digest(task)
    mine = torch.tensor([int(digest[i : i + 8], 16) for i in range(0, 64, 8)], dtype=torch.int64)
    gathered = run.strategy.all_gather(mine.to(task.device)).reshape(run.world_size, 8).cpu()
    digests = ["".join(f"{int(v):08x}" for v in row) for row in gathered]
    agree = len(set(digests)) == 1
    if run.is_global_zero:
        record = {"world_size": run.world_size, "strategy": type(run.strategy).__name__,
                  "weights_sha256": digests, "agree": agree}  # fmt: skip
        write_text_atomic(out / "ranks.json", json.dumps(record, indent=1))
    if not agree:
        raise RuntimeError(f"the {run.world_size} ranks ended with different weights: {digests}")
