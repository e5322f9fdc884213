"""The optional C extension beside pyproject.toml (which holds everything else).

storage._md5x (multi-buffer MD5, storage/_md5x.c) is optional: without a compiler the install
goes on and storage falls back to hashlib's MD5. The Dockerfile's build stage, which has one,
refuses a wheel without it."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "storage._md5x",
            ["storage/_md5x.c"],
            extra_compile_args=["-O3", "-std=c11", "-fno-tree-reassoc"],
            optional=True,
        )
    ]
)
