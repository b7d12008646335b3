"""Docker, Kubernetes and the wheel: valid manifests (offline schemas), configs without drift, a
wheel that holds the whole package, and Docker images that install the wheel CI checks."""

import re
import shutil
import subprocess
import sys
import zipfile
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


def _named() -> dict[tuple[str, str], dict]:
    """(kind, name) -> the manifest."""
    return {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in _documents()}


def test_manifests_validate_against_the_kubernetes_schemas():
    kinds = set()
    for _, doc in _documents():
        kubernetes_validate.validate(doc, "1.30", strict=True)  # raises with the offending field
        kinds.add(doc["kind"])
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"}
    broken = _named()["Deployment", "avatar"]
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["prot"] = 8000
    with pytest.raises(kubernetes_validate.ValidationError):  # the validator does catch mistakes
        kubernetes_validate.validate(broken, "1.30", strict=True)


def test_deployment_probes_resources_and_configs():
    docs = {kind: doc for (kind, name), doc in _named().items() if name in ("avatar", "avatar-configs")}
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


def _labels_match(selector: dict[str, str], deployment: dict) -> bool:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return all(labels.get(k) == v for k, v in selector.items())


def test_every_replica_shares_the_redis_of_the_manifests():
    docs = _named()
    avatar, redis = docs["Deployment", "avatar"], docs["Deployment", "avatar-redis"]
    env = {e["name"]: e for e in avatar["spec"]["template"]["spec"]["containers"][0]["env"]}
    host, port = env["AVATAR_REDIS_URL"]["value"].removeprefix("redis://").split("/")[0].split(":")
    service = docs["Service", host]  # the URL names the Redis Service and its port
    assert int(port) in {p["port"] for p in service["spec"]["ports"]}
    selector = service["spec"]["selector"]
    assert _labels_match(selector, redis) and not _labels_match(selector, avatar)
    front = docs["Service", "avatar"]["spec"]["selector"]
    assert _labels_match(front, avatar) and not _labels_match(front, redis)  # clients never reach Redis pods
    args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"  # a bundle is never evicted
    assert redis["spec"]["replicas"] == 1 and redis["spec"]["strategy"]["type"] == "Recreate"
    assert redis["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    mounts = avatar["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert all(m["name"] == "configs" for m in mounts)  # no per-pod folder of enrolled avatars


def test_configmap_carries_the_config_files_verbatim():
    data = _named()["ConfigMap", "avatar-configs"]["data"]
    for name, text in data.items():
        assert text == (ROOT / "configs" / name).read_text(), f"{name} drifted: run make k8s-configmap"


def _recipe(target: str) -> str:
    """The recipe of a Makefile target (its tab-indented lines)."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.M)
    assert match, f"no Makefile target {target}"
    return match.group(1)


def test_ci_runs_the_tests_then_checks_the_installed_wheel():
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    assert "wheel-check" in _recipe("test")
    check = _recipe("wheel-check")
    assert "-m venv" in check and "--system-site-packages" not in check
    assert re.search(r"pip install -q dist/avatar-\*\.whl", check) and " -e " not in check
    assert 'cd "$$(mktemp -d)"' in check  # run from outside the checkout, which cannot be imported then
    for command in ('avatar" --version', 'avatar" blendshapes -o x.csv', 'avatar" generate -o x.mp4'):
        assert command in check, command


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.cuda"])
def test_dockerfile_installs_the_wheel_as_non_root_and_checks_health(name):
    text = (ROOT / name).read_text()
    build = re.search(r"pip (wheel .*)", _recipe("wheel")).group(1)
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) == 2 and stages[0].split()[:3][1:] == ["AS", "wheel"]
    assert f"pip {build}" in stages[0]  # the wheel as `make wheel` (and so CI) builds it
    runtime = stages[1]
    assert "COPY --from=wheel" in runtime and re.search(r"pip install -q dist/avatar-\*\.whl", runtime)
    assert "pip install -e" not in text and "make setup" not in text
    assert re.search(r"^USER avatar$", runtime, re.M) and "useradd" in runtime
    assert "HEALTHCHECK" in runtime and "/health" in runtime
    assert "default_avatar()" in runtime  # the built-in avatar baked in
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["avatar"]["build"] == "."


def _shipped_files() -> set[str]:
    """What a wheel must hold: every module and data file under avatar/, and configs/ as avatar/configs/."""
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "avatar").rglob("*") if p.is_file()}
    files |= {f"avatar/configs/{p.name}" for p in (ROOT / "configs").iterdir() if p.is_file()}
    return {f for f in files if "__pycache__" not in f}


@pytest.mark.slow
def test_the_wheel_holds_every_package_and_data_file(tmp_path):
    """The wheel pip builds from this tree (a copy of it, so its build/ folder stays out of the way)."""
    setuptools = pytest.importorskip("setuptools", reason="the wheel is built without isolation")
    assert int(setuptools.__version__.split(".")[0]) >= 77
    src = tmp_path / "src"
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        (src / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    for folder in ("avatar", "configs"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    proc = subprocess.run([*command, "-w", str(tmp_path), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("avatar-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = _shipped_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)[:10]}"
    assert {"avatar/stream/core.py", "avatar/cli/__init__.py", "avatar/configs/inference.yaml"} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "avatar = avatar.cli:main" in archive.read(entry_points).decode()
