"""spatial.errors: the moved error classes keep their bases and their old import paths."""

from __future__ import annotations

import pytest

from accessplan.data.errors import AccessplanError
from accessplan.spatial import errors, network_cache, od_store
from accessplan.spatial.errors import NetworkCacheError, NetworkError, ODFingerprintError


@pytest.mark.parametrize(
    ("module", "name"),
    [(network_cache, "NetworkCacheError"), (od_store, "ODFingerprintError")],
)
def test_old_modules_re_export_the_same_class(module, name):
    assert name in module.__all__ and name in errors.__all__
    assert getattr(module, name) is getattr(errors, name)


def test_bases_unchanged():
    # the CLI turns any AccessplanError into exit code 2; callers catch ValueError/NetworkError
    assert NetworkCacheError.__bases__ == (NetworkError,)
    assert ODFingerprintError.__bases__ == (ValueError, AccessplanError)
    for cls in (NetworkCacheError, ODFingerprintError):
        assert issubclass(cls, ValueError) and issubclass(cls, AccessplanError)
