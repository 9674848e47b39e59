"""The modeler's JavaScript unit tests (lint rules, timer values, the form editor's model) under Node's runner."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_javascript_unit_tests_pass():
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "bpmnlint").is_dir():
        pytest.skip("node or node_modules missing (make install)")
    files = sorted(str(p) for p in (ROOT / "tests" / "modeler" / "js").glob("*.test.mjs"))
    run = subprocess.run([node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=300)
    summary = [line for line in run.stdout.splitlines() if line.startswith(("# pass", "# fail", "not ok"))]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in summary and any(line.startswith("# pass ") and line != "# pass 0" for line in summary)
