"""Fixtures of the Python tests: the ML-100K data (skipped when absent), the CLI binary, and one
model trained by the CLI that every test shares."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("HYBRIDREC_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def _ml100k():
    """$HYBRIDREC_DATA_MIRROR/ml-100k, else the shared data folder beside the checkout."""
    candidates = []
    if os.environ.get("HYBRIDREC_DATA_MIRROR"):
        candidates.append(Path(os.environ["HYBRIDREC_DATA_MIRROR"]) / "ml-100k")
    candidates.append(SOURCE_DIR.parent / "shared" / "data" / "ml-100k")
    for c in candidates:
        if (c / "u.data").exists() and (c / "u.item").exists():
            return c
    return None


@pytest.fixture(scope="session")
def ml100k():
    path = _ml100k()
    if path is None:
        pytest.skip("ML-100K not found: set HYBRIDREC_DATA_MIRROR to a folder holding ml-100k/")
    return path


@pytest.fixture(scope="session")
def cli():
    exe = os.environ.get("HYBRIDREC_CLI") or str(SOURCE_DIR / "build" / "hybridrec")
    if not Path(exe).exists():
        pytest.skip(f"hybridrec CLI not found at {exe} (set HYBRIDREC_CLI)")
    return exe


def run_cli(cli, *args, check=True):
    p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"hybridrec {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def cli_json(cli, *args):
    return json.loads(run_cli(cli, *args, "--json").stdout)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory, cli, ml100k):
    out = tmp_path_factory.mktemp("model") / "ml-100k"
    run_cli(cli, "train", "--data", ml100k, "--out", out, "--encoder", "lsa", "--quiet")
    yield out
    shutil.rmtree(out, ignore_errors=True)
