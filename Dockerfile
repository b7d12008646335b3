# CPU image of the avatar service: docker build -t avatar . && docker run -p 8000:8000 avatar
# Two stages: the first builds the wheel as `make wheel` does (the wheel CI installs and runs in
# `make wheel-check`); the second installs that wheel, without -e, into a venv of its own.
FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml setup.py README.md LICENSE ./
COPY avatar ./avatar
COPY configs ./configs
RUN python3 -m pip wheel -q --no-deps -w dist .

FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AVATAR_HOME=/home/avatar/.cache/avatar \
    AVATAR_SERVER__HOST=0.0.0.0

# libGL and GLib for OpenCV and MediaPipe (photo enrollment)
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 avatar
WORKDIR /app
RUN chown avatar:avatar /app
USER avatar

# PyPI's default torch wheel carries CUDA (gigabytes): take the CPU build of the pinned version first.
RUN python3 -m venv .venv && .venv/bin/pip install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY --from=wheel --chown=avatar:avatar /src/dist/ ./dist/
RUN .venv/bin/pip install -q dist/avatar-*.whl && rm -rf dist
# Bake in what the first request would otherwise make: the built-in avatar's enrollment.
# (The lip-sync and motion weights ship inside the package, checked by SHA-256 at load.)
RUN .venv/bin/python -c "from avatar.portrait import default_avatar; default_avatar()"

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD .venv/bin/python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
CMD [".venv/bin/avatar", "serve"]
