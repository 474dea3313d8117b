"""A self-contained HTML page: tables as HTML, figures embedded as base64 PNG, no external assets."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["table_html", "image_html", "page_html", "paragraph", "details_html"]

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{margin-top:20px}
table{border-collapse:collapse;margin:8px 0;font-size:13px;display:block;overflow-x:auto;max-width:100%}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
td.txt{text-align:left}td.better{background:#dff0d8}td.worse{background:#f8dede}p.note{font-size:12px;color:#555}
img{max-width:100%;display:block;margin:6px 0}.grid{display:flex;flex-wrap:wrap;gap:16px}
.grid>div{flex:1 1 480px;min-width:0}.meta{font-size:13px;color:#444}
#verdict{font-size:15px;line-height:1.5;background:#f6f8fa;border-left:4px solid #4a7bb7;padding:10px 14px}
details{margin:8px 0}summary{cursor:pointer;font-size:13px;color:#333}
"""


def _cell(value) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.4e}"
    return str(value)


def table_html(table: pd.DataFrame, classes: pd.DataFrame | None = None, table_id: str | None = None) -> str:
    """Render a result frame as an HTML table; ``classes`` (same shape) adds a CSS class per cell."""
    attr = f' id="{html.escape(table_id)}"' if table_id else ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = []
    for i, row in enumerate(table.itertuples(index=False)):
        cells = []
        for j, value in enumerate(row):
            css = classes.iat[i, j] if classes is not None else ""
            css = css or ("txt" if isinstance(value, str) else "")
            cls = f' class="{html.escape(css)}"' if css else ""
            cells.append(f"<td{cls}>{html.escape(_cell(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def image_html(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG embedded as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def page_html(title: str, meta: Sequence[str], sections: Sequence[tuple[str, str]], header: str = "") -> str:
    """The whole page: a title, a line of metadata, ``header`` (HTML), and ``(heading, html)`` sections."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<p class="meta">' + " · ".join(html.escape(m) for m in meta) + "</p>",
        header,
    ]
    for heading, content in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>\n{content}")
    # Lets a headless browser check that every embedded figure decoded (see benchmarks/screenshot_report.py).
    parts.append("<script>window.addEventListener('load',function(){var i=Array.from(document.images);"
                 "document.body.setAttribute('data-images-loaded',i.filter(function(x){return x.complete&&"
                 "x.naturalWidth>0}).length+'/'+i.length);});</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def paragraph(text: str) -> str:
    """An escaped note paragraph."""
    return f'<p class="note">{html.escape(text)}</p>'


def details_html(summary: str, content: str) -> str:
    """A folded block: ``summary`` (escaped) always shown, ``content`` (HTML) on a click."""
    return f"<details><summary>{html.escape(summary)}</summary>{content}</details>"
