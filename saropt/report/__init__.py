"""Figures (matplotlib) and the HTML report of a run."""

from saropt.report.html import Section, write_report
from saropt.report.quicklook import rgb, save_figure, save_png, stretch

__all__ = ["Section", "rgb", "save_figure", "save_png", "stretch", "write_report"]
