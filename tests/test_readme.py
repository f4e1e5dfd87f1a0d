"""README.md opens with the commands a newcomer runs, and CI runs the same test command."""

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def opening_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_opens_with_install_main_job_and_tests():
    install, main_job, tests = opening_commands()
    assert shlex.split(install)[:4] == ["python", "-m", "pip", "install"]
    assert "-e" in install and "[test,all]" in install
    assert main_job == "initcheck run"
    assert shlex.split(tests)[:3] == ["python", "-m", "pytest"]


def test_ci_runs_exactly_the_readme_test_command_after_installing():
    install, _, tests = opening_commands()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci_lines
    install_at = next(i for i, line in enumerate(ci_lines) if "pip install" in line)
    assert "'.[test,all]'" in ci_lines[install_at]
    assert install_at < ci_lines.index(tests)
