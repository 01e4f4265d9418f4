"""Cross-modal land-cover classification (Senchugova and Hänsch, "Cross-modal learning for
classification of optical and SAR imagery") as a LightningModule.

One :class:`~saropt.models.CrossModalClassifier` is trained on Sentinel-1 and Sentinel-2
patches drawn independently (no aligned pairs) with L = alpha L_T + beta L_C - L_M:

* ``losses="C"``: the KL loss on soft labels only (with one modality: the baseline);
* ``"CM"``: plus the modality discriminator behind gradient reversal;
* ``"CT"``: plus the cross-modal triplet loss;
* ``"CTM"``: all three, the paper's full model.

The reversal weight follows Ganin and Lempitsky's schedule (0 at the start, near
``reversal`` at the end) unless ``reversal_schedule`` is off. Validation runs on aligned
pairs and logs each modality's weighted F1 (a class predicted above probability 0.3,
present when its share is above 0) through torchmetrics.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import lightning as L
import torch
from torchmetrics.classification import MultilabelF1Score

from saropt.datasets.common import Batch
from saropt.layers.reversal import ganin_lambda
from saropt.losses.classification import cross_modal_triplet, modality_bce, soft_label_kl
from saropt.metrics.classification import THRESHOLD
from saropt.models.crossmodal import MODALITIES, CrossModalClassifier, Modality
from saropt.models.resnet import Stem

Losses = Literal["C", "CM", "CT", "CTM"]

#: Batch keys of each modality's images (aligned batches) and soft labels (unpaired ones).
IMAGE_KEY: dict[Modality, str] = {"s1": "sar", "s2": "optical"}
LABEL_KEY: dict[Modality, str] = {"s1": "sar_label", "s2": "optical_label"}


class CrossModalTask(L.LightningModule):
    """Train the cross-modal classifier in one of the paper's settings.

    Args:
        classes: Number of classes.
        s1_channels, s2_channels, backbone, width, stem, latent: The model
            (:class:`~saropt.models.CrossModalClassifier`).
        modalities: The modalities trained on; one for the baseline.
        losses: Which of the losses are on (see the module's docstring).
        alpha, beta: Weights of L_T and L_C (Eq. 4).
        reversal: Final weight of the gradient reversal (the paper's -L_M has weight 1).
        reversal_schedule: Ramp the reversal weight up with Ganin's schedule.
        similar, different, margin, negative_weight: The triplet loss
            (:func:`~saropt.losses.cross_modal_triplet`).
        lr, weight_decay: AdamW.
    """

    def __init__(
        self,
        classes: int,
        s1_channels: int = 2,
        s2_channels: int = 13,
        *,
        backbone: Literal["resnet18", "resnet50"] = "resnet50",
        width: int = 64,
        stem: Stem = "imagenet",
        latent: int = 1024,
        modalities: tuple[Modality, ...] = MODALITIES,
        losses: Losses = "CTM",
        alpha: float = 1.0,
        beta: float = 1.0,
        reversal: float = 1.0,
        reversal_schedule: bool = True,
        similar: float = 0.6,
        different: float = 0.2,
        margin: float = 1.0,
        negative_weight: float = 1.0,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if not modalities or any(m not in MODALITIES for m in modalities):
            raise ValueError(f"modalities must be a non-empty subset of {MODALITIES}")
        if losses != "C" and len(modalities) < 2:
            raise ValueError(f"losses {losses!r} need both modalities; the baseline is 'C'")
        #: The arguments that rebuild the model (``create_model("cross_modal_classifier")``).
        self.model_kwargs: dict[str, Any] = {
            "classes": classes, "s1_channels": s1_channels, "s2_channels": s2_channels,
            "backbone": backbone, "width": width, "stem": stem, "latent": latent,
        }  # fmt: skip
        self.model = CrossModalClassifier(**self.model_kwargs)
        self.modalities, self.losses = tuple(modalities), losses
        self.val_f1 = torch.nn.ModuleDict(
            {m: MultilabelF1Score(classes, threshold=THRESHOLD, average="weighted")
             for m in self.modalities}
        )  # fmt: skip

    def reversal_weight(self) -> float:
        """The gradient-reversal weight at this point of training."""
        h: Any = self.hparams
        if not h.reversal_schedule:
            return float(h.reversal)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        return float(h.reversal) * ganin_lambda(self.global_step / total)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        h: Any = self.hparams
        z = {m: self.model.embed(batch[IMAGE_KEY[m]], m) for m in self.modalities}
        y = {m: batch[LABEL_KEY[m]] for m in self.modalities}
        kl = torch.stack([soft_label_kl(self.model.classify(z[m]), y[m]) for m in z]).mean()
        loss = h.beta * kl
        n = len(next(iter(y.values())))
        logs = {"train/kl": kl}
        if "T" in self.losses:
            triplet = cross_modal_triplet(
                z["s1"], y["s1"], z["s2"], y["s2"], similar=h.similar, different=h.different,
                margin=h.margin, negative_weight=h.negative_weight,
            )  # fmt: skip
            loss = loss + h.alpha * triplet
            logs["train/triplet"] = triplet
        if "M" in self.losses:
            lam = self.reversal_weight()
            logits = torch.cat([self.model.modality_logit(z[m], lam) for m in MODALITIES])
            is_s2 = torch.cat([torch.zeros(len(z["s1"])), torch.ones(len(z["s2"]))])
            modality = modality_bce(logits, is_s2.to(logits.device))
            loss = loss + modality  # the reversal layer turns it into -L_M upstream
            logs["train/modality_bce"] = modality
            logs["train/modality_acc"] = (
                ((logits > 0).float() == is_s2.to(logits.device)).float().mean()
            )
        logs["train/loss"] = loss
        self.log_dict(logs, on_step=False, on_epoch=True, batch_size=n)
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        target = (batch["label"] > 0).long()
        for m in self.modalities:
            prob = torch.softmax(self.model(batch[IMAGE_KEY[m]], m), dim=1)
            metric = cast(MultilabelF1Score, self.val_f1[m])
            metric.update(prob, target)
            self.log(f"val/{m}_weighted_f1", metric, batch_size=len(prob))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        h: Any = self.hparams
        return torch.optim.AdamW(self.model.parameters(), lr=h.lr, weight_decay=h.weight_decay)
