"""Re-run every evidence snippet of reports/conformance.md and compare its output.

Each finding there is a ```python block followed by a plain ``` block holding the
output it printed. This script runs every python block in a fresh interpreter and
reports whether stdout still matches, so the findings can be re-verified after a
library upgrade with one command:

    python reports/verify_findings.py [reports/conformance.md]

Exit status 0 when every snippet reproduces its recorded output, 1 otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

_BLOCK = re.compile(r"^### (?P<title>.+?)$|^```python\n(?P<code>.*?)^```\n```\n(?P<out>.*?)^```$",
                    re.S | re.M)


def snippets(text: str) -> list[tuple[str, str, str]]:
    """(finding title, code, recorded output) for every evidence snippet."""
    found, title = [], "?"
    for match in _BLOCK.finditer(text):
        if match.group("title"):
            title = match.group("title")
        else:
            found.append((title, match.group("code"), match.group("out")))
    return found


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("conformance.md")
    failures = 0
    for title, code, recorded in snippets(path.read_text(encoding="utf-8")):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        same = run.returncode == 0 and run.stdout.strip() == recorded.strip()
        failures += not same
        print(f"{'reproduced' if same else 'CHANGED   '}  {title}")
        if not same:
            print(f"--- recorded\n{recorded.rstrip()}\n--- now (exit {run.returncode})\n"
                  f"{run.stdout.rstrip()}\n{run.stderr.strip()[-2000:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
