"""The documented offline install: `pip install --no-build-isolation ./python` into a virtualenv
(Debian's setuptools and wheel through --system-site-packages; no index, no network)."""

import os
import subprocess
import sys

SOURCE_DIR = os.environ.get(
    "SABOT_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_pip_install_into_a_virtualenv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index",
         os.path.join(SOURCE_DIR, "python")],
        env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    probe = ("import sabot_cdc, decimal; c = sabot_cdc.PostgreSQLCDCConfig(tables=['public.x']);"
             "print(sabot_cdc.__file__); print(c.slot_name)")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", probe], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0].startswith(str(venv)) and out[1] == "sabot_cdc_slot"
