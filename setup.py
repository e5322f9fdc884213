"""The optional C extension beside pyproject.toml (which holds everything else).

storage._md5x (multi-buffer MD5, storage/_md5x.c) is optional: without a compiler (the Docker
image has none) the install goes on and storage falls back to hashlib's MD5."""

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
