"""A self-contained HTML report: sections of text, tables and images beside it."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from saropt.io.atomic import write_text_atomic

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{border-bottom:2px solid #446}h2{color:#335;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #bbb;padding:3px 8px}
th{background:#eef}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:.4em;text-align:center;vertical-align:top}
figure img{max-width:340px;border:1px solid #ccc;image-rendering:pixelated}
figure.wide img{max-width:1000px;image-rendering:auto}
figcaption{font-size:.85em;color:#555}
"""


@dataclass
class Section:
    """One part of a report: a heading, paragraphs, tables and images."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[Sequence[str], Sequence[Sequence[object]]]] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)
    wide_images: list[tuple[str, str]] = field(default_factory=list)


def _cell(v: object) -> str:
    if isinstance(v, float):
        return f'<td class="n">{v:.4g}</td>'
    if isinstance(v, int):
        return f'<td class="n">{v}</td>'
    return f"<td>{html.escape(str(v))}</td>"


def write_report(path: str | Path, title: str, sections: Sequence[Section]) -> Path:
    """Write an HTML report; image paths are relative to the report's folder."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for s in sections:
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        for header, rows in s.tables:
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header))
            parts += ["<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows]
            parts.append("</table>")
        for cls, images in (("", s.images), ("wide", s.wide_images)):
            for src, caption in images:
                parts.append(
                    f"<figure class='{cls}'><img src='{html.escape(src)}' "
                    f"alt='{html.escape(caption)}'><figcaption>{html.escape(caption)}"
                    "</figcaption></figure>"
                )
    parts.append("</body></html>")
    return write_text_atomic(path, "\n".join(parts))
