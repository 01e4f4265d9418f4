"""torchmetrics wrappers: the metrics tasks log during training, accumulated over an epoch.

Where torchmetrics has the metric (RMSE, MAE, PSNR, SSIM, AUROC) the tasks log it through
these; the hand-written functions of :mod:`saropt.metrics.functional` stay as the checked
reference (tests compare both on the same data) and cover what torchmetrics lacks
(metrics on masked cloudy/clear pixels, SAM in degrees, matching rates at a fixed FPR).
"""

from __future__ import annotations

from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection
from torchmetrics.classification import BinaryAUROC
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure


def image_metric_collection(prefix: str = "val/", *, data_range: float = 1.0) -> MetricCollection:
    """RMSE, MAE, PSNR and SSIM (11 x 11 Gaussian window, sigma 1.5) of images in
    ``[0, data_range]``, keyed ``{prefix}rmse`` and so on.

    torchmetrics' SSIM averages over the whole image, computing its 5 px border on a
    reflect-padded copy, where :func:`saropt.metrics.functional.ssim` averages the valid
    region only: the two agree inside the border and differ slightly overall (tested).
    """
    return MetricCollection(
        {
            "rmse": MeanSquaredError(squared=False),
            "mae": MeanAbsoluteError(),
            "psnr": PeakSignalNoiseRatio(data_range=data_range),
            "ssim": StructuralSimilarityIndexMeasure(data_range=data_range),
        },
        prefix=prefix,
    )


def error_metric_collection(prefix: str, unit: str) -> MetricCollection:
    """MAE and RMSE keyed ``{prefix}mae_{unit}`` and ``{prefix}rmse_{unit}``."""
    return MetricCollection(
        {f"mae_{unit}": MeanAbsoluteError(), f"rmse_{unit}": MeanSquaredError(squared=False)},
        prefix=prefix,
    )


def match_auroc() -> BinaryAUROC:
    """Area under the ROC curve of match probabilities against pair labels."""
    return BinaryAUROC()
