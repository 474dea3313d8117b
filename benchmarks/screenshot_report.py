"""Open a report.html in headless Chromium, check it loads cleanly, and save a screenshot.

Usage::

    python benchmarks/screenshot_report.py results/quickstart/<run>/report.html --out report.png

The page is loaded twice: once with ``--dump-dom`` to read the console and the
``data-images-loaded`` attribute the report sets once its figures decode and the
verdict paragraph as rendered, once with ``--screenshot``. Exit status 0 when there are no console errors, every
embedded figure decoded and the screenshot was written; 1 otherwise; 2 when
Chromium is not installed. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium executable: the given path, /usr/bin/chromium, or one on PATH."""
    for candidate in (explicit, "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _browser(chromium: str, extra: list[str], url: str, timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="tsbench-chromium-") as profile:
        cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def check_report(report: Path, out: Path, chromium: str, width: int = 1200, height: int = 4000,
                 timeout: float = 120.0) -> dict:
    """Load ``report`` and screenshot it to ``out``; return what was observed."""
    url = report.resolve().as_uri()
    dom = _browser(chromium, ["--enable-logging=stderr", "--v=0", "--dump-dom"], url, timeout)
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    errors = [line for line in console if re.search(r"error|uncaught|failed", line, re.IGNORECASE)]
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom.stdout)
    decoded, total = (int(loaded.group(1)), int(loaded.group(2))) if loaded else (0, -1)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    shot = _browser(chromium, [f"--window-size={width},{height}", f"--screenshot={out.resolve()}"], url, timeout)
    summary = {
        "report": str(report), "screenshot": str(out), "screenshot_written": out.exists(),
        "screenshot_bytes": out.stat().st_size if out.exists() else 0,
        "images_decoded": decoded, "images_total": total, "console_errors": errors,
        "verdict": _verdict_of(dom.stdout),
        "dom_exit": dom.returncode, "screenshot_exit": shot.returncode,
    }
    summary["ok"] = bool(summary["screenshot_written"] and not errors and total > 0 and decoded == total)
    return summary


def _verdict_of(dom: str) -> str | None:
    """The text of the page's verdict paragraph as the browser rendered it, or None."""
    import html

    found = re.search(r'<p id="verdict">(.*?)</p>', dom, re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="path to report.html")
    parser.add_argument("--out", type=Path, default=Path("report.png"), help="screenshot to write (PNG)")
    parser.add_argument("--chromium", default=None, help="Chromium executable (default /usr/bin/chromium)")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=4000)
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("chromium not found: install it (Debian: apt-get install -y chromium) or pass --chromium", file=sys.stderr)
        return 2
    if not args.report.exists():
        print(f"report {args.report} does not exist", file=sys.stderr)
        return 1
    summary = check_report(args.report, args.out, chromium, args.width, args.height)
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
