import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def _isolated_minari(tmp_path, monkeypatch):
    """Every test gets its own Minari data directory, never the user's."""
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    # SB3 models that learn() without a logger make a folder here, not in /tmp itself
    monkeypatch.setenv("SB3_LOGDIR", str(tmp_path / "sb3-logs"))


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)
