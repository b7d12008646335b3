# Set-up is part of each target: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= output.mp4
WHEEL_VENV ?= build/wheel-check

.PHONY: setup demo test wheel wheel-check lint fixtures eval bench bench-cli serve k8s-configmap clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

## main job on the built-in default: the astronaut speaks the shipped sample clip (+ its curves)
demo: setup
	$(VENV)/bin/avatar generate -o $(OUT) --blendshapes $(basename $(OUT)).csv

## the test suite, then the wheel check: what CI runs (.ci/run -> make test)
test: setup
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory wheel-check

## dist/avatar-VERSION-py3-none-any.whl: what wheel-check installs and the Docker images ship
wheel: setup
	rm -rf dist
	$(PY) -m pip wheel -q --no-deps -w dist .

## the wheel as a user gets it: installed without -e into a fresh venv and run from a folder
## outside the checkout (so the checkout cannot be imported), with an empty AVATAR_HOME
wheel-check: wheel
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q dist/avatar-*.whl
	bin="$(abspath $(WHEEL_VENV))/bin" && cd "$$(mktemp -d)" && export AVATAR_HOME="$$PWD/home" \
	  && "$$bin/python" -c "import avatar, sys; sys.exit('site-packages' not in avatar.__file__)" \
	  && "$$bin/avatar" --version \
	  && "$$bin/avatar" blendshapes -o x.csv \
	  && "$$bin/avatar" generate -o x.mp4 -q \
	  && test -s x.csv && test -s x.mp4 && rm -rf "$$PWD" && echo "wheel-check: the installed wheel runs"

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

## regenerate the committed test fixtures and sample clip (needs Debian's TTS voices)
fixtures: setup
	apt-get install -y -q espeak-ng flite festival festvox-kallpc16k festvox-us-slt-hts >/dev/null
	$(PY) scripts/make_fixtures.py

## figures on the real recordings in ../shared/data (not part of the tests)
eval: setup
	$(PY) scripts/eval_alignment.py
	$(PY) scripts/check_shared_speech.py
	$(PY) scripts/eval_renderer.py
	$(VENV)/bin/avatar eval lipsync ../shared/data/video/grid/*.mpg \
		--transcripts ../shared/data/video/grid/transcripts.tsv --report out/grid
	$(VENV)/bin/avatar eval speech ../shared/data/speech/librivox/*.wav
	$(PY) scripts/eval_silence.py
	$(PY) scripts/eval_motion.py

bench: setup
	$(PY) scripts/bench_phonetic.py
	$(PY) scripts/bench_generate.py

## start-up time of the avatar command (--version, --help)
bench-cli: setup
	$(PY) scripts/bench_cli.py

## the HTTP service on http://127.0.0.1:8000 (web page /ui/, API docs /docs)
serve: setup
	$(VENV)/bin/avatar serve

## deployment/kubernetes/configmap.yaml from configs/ (a test fails when they drift)
k8s-configmap: setup
	$(PY) scripts/make_k8s_configmap.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info build dist
