# The two commands a fresh clone needs: `make serve` and `make test` (README.md).
VENV ?= .venv
PYTHON ?= python3
# The npm project of the aws-sdk-js client in the compat matrix (compat/clients/).
JS := compat/clients/js
# s3fs's own virtualenv (compat/clients/s3fs/): its aiobotocore pins botocore, which must not
# hold back the boto3 of $(VENV).
S3FS := compat/clients/s3fs
# Debian packages are installed as root; a developer who is not root gets sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test lint install bench clients rclone

# setup.py builds storage/_md5x.c in place (editable install): a changed C file is rebuilt.
$(VENV)/.installed: pyproject.toml setup.py storage/_md5x.c
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# `npm ci` installs exactly the committed package-lock.json; it empties node_modules first, so
# the stamp inside it is only there after a complete install.
$(JS)/node_modules/.installed: $(JS)/package.json $(JS)/package-lock.json
	cd $(JS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Rebuilt from scratch, so the stamp is only there after a complete install.
$(S3FS)/.venv/.installed: $(S3FS)/requirements.txt
	rm -rf $(S3FS)/.venv
	$(PYTHON) -m venv $(S3FS)/.venv
	$(S3FS)/.venv/bin/pip install --quiet --upgrade pip
	$(S3FS)/.venv/bin/pip install --quiet -r $(S3FS)/requirements.txt
	touch $@

# rclone from Debian's package when it is not on PATH; nothing to do (and no apt) when it is.
rclone:
	@command -v rclone >/dev/null || { \
	  echo "installing rclone (Debian package)"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends rclone >/dev/null; }
	@command -v rclone >/dev/null

# Every client the compat matrix runs: the Python ones come with the test extras, except s3fs.
clients: $(VENV)/.installed $(JS)/node_modules/.installed $(S3FS)/.venv/.installed rclone

install: $(VENV)/.installed clients

serve: $(VENV)/.installed
	$(VENV)/bin/s3mpu serve

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: clients lint
	$(VENV)/bin/pytest

# Not part of `make test` or CI: installs the peers into bench/.cache and takes a while.
# `make bench BENCH_ARGS=--quick` for small sizes.
bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench $(BENCH_ARGS)
