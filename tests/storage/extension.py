"""The optional C extension in tests: where it could be built it must have been."""

from __future__ import annotations

import importlib
import shutil
import sysconfig
from types import ModuleType

import pytest


def md5x_or_skip() -> ModuleType:
    """storage._md5x, for a test module that needs it. setup.py builds it optionally, so an
    install without a C compiler (the Docker image) goes on with hashlib's MD5: there its tests
    are skipped. Where a compiler is (CI, developers' machines) a missing extension means its
    build failed, which fails the suite instead of skipping the tests that would show it."""
    try:
        return importlib.import_module("storage._md5x")
    except ImportError:
        compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
        if shutil.which(compiler) is None:
            pytest.skip("no C compiler: storage._md5x is not built", allow_module_level=True)
        pytest.fail(
            f"storage._md5x is not built although {compiler} is here: see `make install`",
            pytrace=False,
        )
