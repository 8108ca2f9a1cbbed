"""Shared fixtures of the training tests: one small expert dataset per test module."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def dataset_root(request, tmp_path_factory):
    """One small expert dataset (10 episodes) of the module's ``ENV``, shared by its tests."""
    from ilkit.datasets import generate

    root = tmp_path_factory.mktemp("minari")
    before = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(root)
    try:
        generate(request.module.ENV, n_episodes=10, seed=0, progress=False)
    finally:
        if before is None:
            os.environ.pop("MINARI_DATASETS_PATH")
        else:
            os.environ["MINARI_DATASETS_PATH"] = before
    return root


@pytest.fixture()
def data(dataset_root, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(dataset_root))
