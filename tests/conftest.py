"""Shared fixtures for the accessplan test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets in ``../shared/data``; a missing folder fails the test (never skips)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"real test data not found at {SHARED_DATA}: these tests need ../shared/data "
            "beside the repository (see README, 'Tests')"
        )
    return SHARED_DATA
