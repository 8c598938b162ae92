"""The Dockerfile, compose.yaml and the Kubernetes manifests agree with each other and with the app."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "kubernetes"


def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def exposed_port() -> int:
    (port,) = re.findall(r"^EXPOSE\s+(\d+)", dockerfile(), flags=re.M)
    return int(port)


def manifest(kind: str, name: str = "chainrule") -> dict:
    docs = [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]
    (found,) = [doc for doc in docs if doc.get("kind") == kind and doc["metadata"]["name"] == name]
    return found


def container() -> dict:
    (c,) = manifest("Deployment")["spec"]["template"]["spec"]["containers"]
    return c


def code_dirs() -> set[str]:
    """Top-level directories the app runs from: its packages, plus templates/ and static/."""
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    return {p.split(".")[0] for p in packages} | {"templates", "static"}


def test_image_copies_every_code_directory_after_installing_dependencies() -> None:
    text = dockerfile()
    copied = set(re.findall(r"^COPY\s+(\w+)/\s", text, flags=re.M))
    assert copied == code_dirs()
    install = text.index("pip install")
    first_code_copy = min(text.index(f"COPY {d}/") for d in copied)
    assert text.index("COPY pyproject.toml") < install < first_code_copy


def test_dockerignore_lets_in_only_the_code_and_pyproject() -> None:
    lines = [ln for ln in (REPO / ".dockerignore").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "*"
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    assert allowed == code_dirs() | {"pyproject.toml"}


def test_image_runs_uvicorn_as_a_numeric_non_root_user_on_the_exposed_port() -> None:
    text = dockerfile()
    (user,) = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    uid = int(user.split(":")[0])
    assert uid != 0
    assert f"--uid {uid}" in text
    (cmd,) = re.findall(r"^CMD\s+(\[.*\])$", text, flags=re.M)
    argv = yaml.safe_load(cmd)  # exec form is a JSON array
    assert argv[:2] == ["uvicorn", "app.main:app"]
    assert argv[argv.index("--host") + 1] == "0.0.0.0"
    assert int(argv[argv.index("--port") + 1]) == exposed_port()
    assert "--proxy-headers" in argv
    assert "--workers" not in argv, "workers come from WEB_CONCURRENCY"
    # idle connections are closed, and a flood of connections gets 503 instead of memory growth
    assert int(argv[argv.index("--timeout-keep-alive") + 1]) <= 5
    assert int(argv[argv.index("--limit-concurrency") + 1]) > 0


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def test_deployment_probes_healthz_on_the_image_port_with_requests_and_limits() -> None:
    c = container()
    (port,) = c["ports"]
    assert port["containerPort"] == exposed_port()
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    for bound in ("requests", "limits"):
        assert set(c["resources"][bound]) == {"cpu", "memory"}
    user = re.findall(r"^USER\s+(\d+)", dockerfile(), flags=re.M)[0]
    pod = manifest("Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == int(user)


def test_service_and_autoscaler_point_at_the_deployment() -> None:
    deployment = manifest("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = manifest("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} == {p["name"] for p in container()["ports"]}
    target = manifest("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])


def test_compose_publishes_the_image_port_and_both_set_workers_from_the_environment() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    service = compose["services"]["chainrule"]
    assert service["ports"] == [f"{exposed_port()}:{exposed_port()}"]
    assert "WEB_CONCURRENCY" in service["environment"]
    assert "WEB_CONCURRENCY" in {e["name"] for e in container()["env"]}


def test_image_is_slim_python_with_debians_graphviz_and_a_python_healthcheck() -> None:
    text = dockerfile()
    bases = re.findall(r"^FROM\s+(\S+)", text, flags=re.M)
    assert bases and all(re.fullmatch(r"python:3\.1[1-9]-slim", b) for b in bases), bases
    assert re.search(r"apt-get install -y --no-install-recommends graphviz\b", text)
    assert "rm -rf /var/lib/apt/lists/*" in text
    (check,) = re.findall(r"^HEALTHCHECK\s.*?CMD\s+(\[[^\n]*\])$", text, flags=re.M | re.S)
    argv = yaml.safe_load(check)
    assert argv[:2] == ["python", "-c"]  # the slim image has no curl
    compile(argv[2], "healthcheck", "exec")  # it is Python
    assert f"http://127.0.0.1:{exposed_port()}/healthz" in argv[2]
    assert re.search(r"^ENV WEB_CONCURRENCY=1$", text, flags=re.M)


def test_chainrule_reaches_a_redis_service_for_live_lessons_in_compose_and_kubernetes() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    chainrule = compose["services"]["chainrule"]
    assert chainrule["environment"]["CHAINRULE_REDIS_URL"] == "redis://redis:6379/0"
    assert "redis" in chainrule["depends_on"]
    assert "ports" not in compose["services"]["redis"], "Redis is for chainrule only, never published"
    env = {e["name"]: e.get("value") for e in container()["env"]}
    service = manifest("Service", "redis")
    (port,) = service["spec"]["ports"]
    assert env["CHAINRULE_REDIS_URL"] == f"redis://{service['metadata']['name']}:{port['port']}/0"
    redis = manifest("Deployment", "redis")
    assert service["spec"]["selector"].items() <= redis["spec"]["template"]["metadata"]["labels"].items()
    (c,) = redis["spec"]["template"]["spec"]["containers"]
    assert {p["name"] for p in c["ports"]} == {port["targetPort"]}
    assert redis["spec"]["replicas"] == 1
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
