"""Running the standalone certificate checker the way a user does: ``python -I -S tools/check_certificate.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
CHECKER = TOOLS / "check_certificate.py"


def check(path, *extra) -> tuple[int, str]:
    """Run the checker isolated (-I: no user site, no PYTHONPATH; -S: no site packages): exit code and output."""
    out = subprocess.run(
        [sys.executable, "-I", "-S", str(CHECKER), str(path), *map(str, extra)], capture_output=True, text=True
    )
    return out.returncode, out.stdout + out.stderr


def write(tmp_path: Path, doc: dict, name: str = "t.json") -> Path:
    """A (tampered) certificate document written as a file."""
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path
