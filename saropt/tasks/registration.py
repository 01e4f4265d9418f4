"""Learned SAR-optical registration (the DREAM paper's PWC-multimodal, Colin Koeniguer et al.,
IGARSS 2021) as a LightningModule.

The network is trained with PWC-Net's multi-scale end-point loss
(:func:`~saropt.models.registration.multiscale_epe_loss`) by Adam with L2 weight decay
(PWC-Net's 4e-4); validation logs the mean end-point error of the full-resolution flow.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from saropt.datasets.common import Batch
from saropt.models.registration import PWCMultimodal, multiscale_epe_loss
from saropt.models.registry import create_model


class RegistrationTask(L.LightningModule):
    """Train a flow network on deformed pairs (keys ``sar``, ``optical``, ``target``).

    Args:
        model: Registry name ("pwc_multimodal").
        model_kwargs: Its arguments.
        lr: Adam learning rate.
        weight_decay: L2 weight decay (PWC-Net: 4e-4).
    """

    def __init__(
        self, model: str, model_kwargs: dict[str, Any], *, lr: float = 1e-4,
        weight_decay: float = 4e-4,
    ) -> None:  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.model_name, self.model_kwargs = model, dict(model_kwargs)
        net = create_model(model, **self.model_kwargs)
        if not isinstance(net, PWCMultimodal):
            raise TypeError(f"{model} is not a flow network")
        self.model = net

    def forward(self, fixed: torch.Tensor, moving: torch.Tensor) -> torch.Tensor:
        return self.model(fixed, moving)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        flows = self.model.pyramid_flows(batch["sar"], batch["optical"])
        loss = multiscale_epe_loss(flows, batch["target"])
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(flows[0]))
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        flow = self(batch["sar"], batch["optical"])
        epe = (flow - batch["target"]).norm(dim=1).mean()
        self.log("val/epe", epe, batch_size=len(flow))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        h: Any = self.hparams
        return torch.optim.Adam(self.model.parameters(), lr=h.lr, weight_decay=h.weight_decay)
