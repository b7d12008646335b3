"""Docker and Kubernetes files: valid manifests (offline schemas), configs without drift, and a
Dockerfile whose set-up is the one CI runs."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
K8S = ROOT / "deployment" / "kubernetes"
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install -e '.[dev]'")


def _documents():
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def test_manifests_validate_against_the_kubernetes_schemas():
    kinds = set()
    for _, doc in _documents():
        kubernetes_validate.validate(doc, "1.30", strict=True)  # raises with the offending field
        kinds.add(doc["kind"])
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"}
    broken = next(doc for _, doc in _documents() if doc["kind"] == "Deployment")
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["prot"] = 8000
    with pytest.raises(kubernetes_validate.ValidationError):  # the validator does catch mistakes
        kubernetes_validate.validate(broken, "1.30", strict=True)


def test_deployment_probes_resources_and_configs():
    docs = {doc["kind"]: doc for _, doc in _documents()}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] in ("/", "/health")
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert pod["securityContext"]["runAsNonRoot"] is True
    mounted = {m["subPath"] for m in container["volumeMounts"] if m["name"] == "configs"}
    assert mounted == set(docs["ConfigMap"]["data"]) == {"model.yaml", "inference.yaml"}
    assert (
        docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"]
        == docs["Deployment"]["metadata"]["name"]
    )
    assert docs["Service"]["spec"]["selector"] == docs["Deployment"]["spec"]["selector"]["matchLabels"]


def test_configmap_carries_the_config_files_verbatim():
    data = {doc["kind"]: doc for _, doc in _documents()}["ConfigMap"]["data"]
    for name, text in data.items():
        assert text == (ROOT / "configs" / name).read_text(), f"{name} drifted: run make k8s-configmap"


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.cuda"])
def test_dockerfile_sets_up_like_ci_runs_as_non_root_and_checks_health(name):
    text = (ROOT / name).read_text()
    assert "RUN make setup" in text  # the step CI runs (.ci/run -> make test -> make setup)
    assert re.search(r"^USER avatar$", text, re.M) and "useradd" in text
    assert "HEALTHCHECK" in text and "/health" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "default_avatar()" in text  # the built-in avatar baked in
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["avatar"]["build"] == "."
