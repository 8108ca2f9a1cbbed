"""Machine-readable output for every room's CLI (a leaf: imports nothing of ilkit)."""

from __future__ import annotations

import json
from typing import Any

import click


def echo_json(data: Any) -> None:
    """Machine-readable output on stdout (logs and progress go to stderr)."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
