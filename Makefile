# Two commands a newcomer needs: `make run` and `make test`. Everything else is a detail of those.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean

# Large arrays on transparent huge pages (the Dockerfile says why): for every command below.
export GLIBC_TUNABLES ?= glibc.malloc.hugetlb=1

# The stamp files make a second `make` skip the install; they depend on the files that define it.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt --editable .
	touch $@

# The bot and the tests' tools in one install (one resolve, not two), which holds all that
# `make run` installs too.
$(BIN)/.installed-dev: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(BIN)/.installed $@

# The token is checked before the (slow) install so a missing one costs nothing.
run:
	@[ -n "$${TELEGRAM_BOT_TOKEN:-}" ] || { echo "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather, then run TELEGRAM_BOT_TOKEN=<token> make run" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(BIN)/.installed
	@# A failed fetch is not fatal: without the preview models the bot runs without previews, and
	@# without VGG19 it stops with one line saying what to set.
	-$(BIN)/nst-bot models fetch
	$(BIN)/nst-bot

lint: $(BIN)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

# Everything on TensorFlow (the default backend), then the engine's own tests again on JAX
# (test_backends.py already runs both backends, each in processes of its own, and shows they
# paint the same picture; so what the recipe achieves (`recipe` tests), where a run stands aside
# (pauses: Python between compiled programs) and the windows' exactness beyond prints' layers
# (the same window programs, a larger halo) are checked once, since JAX compiles each shape anew).
# In a new random order every run, printing the 25 slowest tests (docs/testing.md). Three
# pytest processes for TensorFlow's pass on two cores: the tests that kill processes or break
# Redis (two serial units) wait much of their time for processes and Redis, and the third takes
# that time.
test: lint
	$(BIN)/pytest -n 3 --durations=25
	KERAS_BACKEND=jax $(BIN)/pytest -n 2 --durations=25 -m "not recipe" tests/engine \
		--ignore=tests/engine/test_backends.py --ignore=tests/engine/test_pauses.py \
		--deselect tests/engine/test_tiles.py::test_the_tiled_gradient_is_exact_to_relu5_1_too \
		--deselect tests/engine/test_tiles.py::test_the_tiled_gradient_is_the_whole_canvases

bench: $(BIN)/.installed-dev
	$(BIN)/python benchmarks/engine.py --pairs anchors
	$(BIN)/python benchmarks/responsiveness.py
	$(BIN)/python benchmarks/remote.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
