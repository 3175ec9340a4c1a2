"""Issue 17's "one option": the CLI on a real Spark standalone cluster (a master and a worker in their own JVMs,
started here from PySpark's own spark-class), giving the in-memory core's quality report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(path: Path, text: str, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (scripts/test.sh installs it)")
    import pyspark
    home = Path(pyspark.__file__).parent
    folder = tmp_path_factory.mktemp("spark-cluster")
    port, ui_master, ui_worker = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_WORKER_DIR": str(folder),
           "PYSPARK_PYTHON": sys.executable}
    cls = str(home / "bin" / "spark-class")
    procs = []
    try:
        master_log = folder / "master.log"
        procs.append(subprocess.Popen(
            [cls, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
             "--webui-port", str(ui_master)], env=env, stdout=master_log.open("w"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True))
        assert _wait_for(master_log, "I have been elected leader", 180), master_log.read_text()[-2000:]
        url = f"spark://127.0.0.1:{port}"
        procs.append(subprocess.Popen(
            [cls, "org.apache.spark.deploy.worker.Worker", url, "--cores", "2", "--memory", "2g",
             "--webui-port", str(ui_worker)], env=env, stdout=(folder / "worker.log").open("w"),
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))
        assert _wait_for(master_log, "Registering worker", 180), master_log.read_text()[-2000:]
        yield url, master_log, env
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)


def test_validate_on_a_standalone_spark_cluster_equals_the_in_memory_report(cluster, tmp_path):
    url, master_log, env = cluster
    out = {}
    for name, extra in (("cluster", ["--spark-master", url]), ("pandas", ["--engine", "pandas"])):
        path = tmp_path / f"{name}.json"
        run = subprocess.run([sys.executable, "-m", "promo_core", "validate", str(SAMPLE / "events.csv.gz"), *extra,
                              "--out", str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Traceback" not in run.stderr
        out[name] = json.loads(path.read_text())
    got, want = out["cluster"], out["pandas"]
    assert got["engine"] == f"spark (master={url})"
    for key in ("rows_read", "rows_kept", "users", "items", "orders", "event_mix", "first_event", "last_event"):
        assert got[key] == want[key], key
    assert [(s["step"], s["rows_dropped"]) for s in got["steps"]] == [(s["step"], s["rows_dropped"])
                                                                     for s in want["steps"]]
    log = master_log.read_text()
    assert "Registering app PromoScope" in log and "Launching executor" in log  # the work ran on the worker
