"""Experiments: paper reproductions, twin comparisons, ablations and real-data studies.

Each module reads one typed config (:mod:`saropt.experiments.config`), builds a task of
:mod:`saropt.tasks` and a data module of :mod:`saropt.datasets.datamodules`, fits it with
:func:`saropt.experiments.fitting.fit`, and writes its resolved config, metrics, weights
and results beside each other in the run folder. The layer sits above tasks, inference and
report, and below the command line.
"""
