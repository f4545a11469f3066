# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)

.PHONY: demo test install bench clean train-env

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/thermal-sar demo --out demo-output

test: install system-packages
	$(BIN)/python -m pytest -q

# Debian packages the tests need (chromium for the browser tests, postgresql for the storage tests).
.PHONY: system-packages
system-packages:
	bash scripts/install-system-packages.sh

bench: install
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) demo-output .pytest_cache

# Training environment (torch + ultralytics), kept apart from .venv: inference needs only onnxruntime.
# torch/torchvision first and pinned as a pair (torch 2.13.0 + PyPI torchvision fails: torchvision::nms).
# ultralytics goes in without its deps so it cannot pull opencv-python (GUI); the project's headless build serves.
# ultralytics runs offline from .yolo/ and needs a font there, or it tries to download Arial.ttf.
TRAIN_VENV := .venv-train
train-env:
	test -x $(TRAIN_VENV)/bin/python || $(PY) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(TRAIN_VENV)/bin/python -m pip install -q -e .
	$(TRAIN_VENV)/bin/python -m pip install -q --no-deps ultralytics==8.4.190
	$(TRAIN_VENV)/bin/python -m pip install -q onnx==1.23.2 ultralytics-thop==2.2.3 ultralytics-platform==0.1.99 \
		matplotlib==3.11.2 polars==2.1.0 psutil==7.2.2 requests==2.34.2 nvidia-ml-py==13.615.71
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || (apt-get update -q && apt-get install -y -q fonts-dejavu-core)
	mkdir -p .yolo
	cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf .yolo/Arial.ttf
	cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf .yolo/Arial.Unicode.ttf
