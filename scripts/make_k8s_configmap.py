"""Write deployment/kubernetes/configmap.yaml from configs/model.yaml and configs/inference.yaml.

The ConfigMap carries the two files verbatim; tests/test_deployment.py fails when they drift.
    python scripts/make_k8s_configmap.py
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FILES = ("model.yaml", "inference.yaml")
HEADER = (
    "# configs/model.yaml and configs/inference.yaml, verbatim: regenerate with `make k8s-configmap`\n"
    "# (tests/test_deployment.py fails when they drift). deployment.yaml mounts them into /app/configs.\n"
)


class _Block(str):
    """A string dumped as a YAML literal block (|), so the files stay readable."""


def _block(dumper: yaml.Dumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


def render() -> str:
    yaml.add_representer(_Block, _block)
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "avatar-configs", "labels": {"app.kubernetes.io/name": "avatar"}},
        "data": {name: _Block((ROOT / "configs" / name).read_text()) for name in FILES},
    }
    return HEADER + yaml.dump(doc, sort_keys=False, width=200)


if __name__ == "__main__":
    (ROOT / "deployment" / "kubernetes" / "configmap.yaml").write_text(render())
