"""scripts/demo_workspace.py: three campaigns on the sample, two measured from simulated outcomes, the loop
run by the CLI (the later plans use the earlier readouts as evidence)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from promo_core.workspace import open_workspace

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_workspace_has_a_history_of_campaigns_and_says_it_is_simulated(tmp_path):
    db = tmp_path / "demo.db"
    run = subprocess.run([sys.executable, "scripts/demo_workspace.py", "--workspace", str(db)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    ws = open_workspace(str(db))
    listed = ws.list_campaigns()
    assert len(listed) == 3
    status = dict(zip(listed["name"], listed["status"], strict=True))
    assert sorted(status.values()) == ["measured", "measured", "planned"]
    assert all("simulated" in n for n, s in status.items() if s == "measured")
    for name in status:
        detail = ws.campaign(name)
        assert detail.n_holdout > 0 and detail.n_targets > detail.n_holdout
    # run again: the campaigns are kept, not duplicated
    again = subprocess.run([sys.executable, "scripts/demo_workspace.py", "--workspace", str(db)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and len(open_workspace(str(db)).list_campaigns()) == 3
