"""LightningModules, one per capability; with cli/, the only place that imports lightning."""
