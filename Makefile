# The README's two commands: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp

# A Python >= 3.12: python3.13, python3.12, python3 on PATH, or pyenv's installed versions.
define FIND_PYTHON
for c in python3.13 python3.12 python3 \
         $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  if command -v "$$c" >/dev/null 2>&1 && \
     "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
    command -v "$$c"; exit 0; fi; \
done; exit 1
endef
export FIND_PYTHON

.PHONY: demo test install install-test lint bench clean

$(PY):
	@py=$$(bash -c "$$FIND_PYTHON") || { \
	  echo "error: bayes_alliance needs Python >= 3.12 (PyMC 6 / ArviZ 1.x)."; \
	  echo "Install one (e.g. 'pyenv install 3.12' or your system's python3.12 package) and rerun."; \
	  exit 1; }; \
	echo "creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV) && $(PY) -m pip install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q -e .
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[test]"
	@touch $@

install: $(STAMP)
install-test: $(TEST_STAMP)

demo: $(STAMP)
	$(VENV)/bin/bayes-alliance demo

# pytest exit code 5 means "no tests collected": treat it as a failure with a message.
test: $(TEST_STAMP)
	@$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests"; exit 1; fi; exit $$rc

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check bayes_alliance tests

bench: $(STAMP)
	$(VENV)/bin/bayes-alliance bench

clean:
	rm -rf $(VENV) build dist *.egg-info
