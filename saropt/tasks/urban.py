"""Urban mapping (Hafner, Ban and Nascetti, "Investigating imbalances between SAR and optical
utilization for multi-modal urban mapping", JURSE 2023) as a LightningModule.

Any urban network (:mod:`saropt.models.urban`) is trained with the Power Jaccard loss
applied to each head's probability and summed over the heads (for the dual-stream U-Net:
L(y, p_sar) + L(y, p_opt)), by AdamW. Validation logs the F1 of the fused probability (the
heads' mean) at threshold 0.5, pooled over the validation pixels.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torchmetrics.classification import BinaryF1Score

from saropt.datasets.common import Batch
from saropt.losses.segmentation import power_jaccard
from saropt.metrics.segmentation import THRESHOLD
from saropt.models.registry import create_model
from saropt.models.urban import fused_probability


class UrbanTask(L.LightningModule):
    """Train an urban network.

    Args:
        model: Registry name ("dual_stream_unet" or "urban_unet").
        model_kwargs: Its arguments.
        lr, weight_decay: AdamW (the paper: 1e-4 and PyTorch's default 0.01).
    """

    def __init__(
        self, model: str, model_kwargs: dict[str, Any], *, lr: float = 1e-4,
        weight_decay: float = 0.01,
    ) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model_name, self.model_kwargs = model, dict(model_kwargs)
        self.model = create_model(model, **self.model_kwargs)
        self.val_f1 = BinaryF1Score(threshold=THRESHOLD)

    def forward(self, sar: torch.Tensor, optical: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.model(sar, optical)
        return out

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        logits = self(batch["sar"], batch["optical"])
        y, valid = batch["label"][:, 0], batch["valid"][:, 0]
        prob = torch.sigmoid(logits)
        loss = torch.stack(
            [power_jaccard(prob[:, k], y, valid) for k in range(prob.shape[1])]
        ).sum()
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        prob = fused_probability(self(batch["sar"], batch["optical"]))
        keep = batch["valid"][:, 0] > 0
        self.val_f1.update(prob[keep], batch["label"][:, 0][keep].long())
        self.log("val/f1", self.val_f1, batch_size=len(prob))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        h: Any = self.hparams
        return torch.optim.AdamW(self.model.parameters(), lr=h.lr, weight_decay=h.weight_decay)
