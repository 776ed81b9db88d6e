"""Shared pytest policy: in CI a missing prerequisite is a failure, never a silent skip."""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip a test locally when `what` is missing; fail it in CI, where everything must be installed."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {what} is missing: .ci/run must install it", pytrace=False)
    pytest.skip(f"{what} is missing")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"the `{name}` command")
    return path  # type: ignore[return-value]
