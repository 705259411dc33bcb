"""The container and deployment examples, checked for structure (`docker build`
cannot run here): a slim multi-stage image without build tools, a non-root user, a
health check, the data volume; Kubernetes with two replicas, probes, a Secret, an
Ingress with TLS and an image that `make push` publishes, every document validated
against the Kubernetes schemas (offline, in strict mode: an unknown field fails);
compose with a Redis that must be healthy first."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split by FROM."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    found: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            found.append([])
        found[-1].append(line)
    return found


def test_the_image_is_multi_stage_slim_and_runs_as_a_user() -> None:
    build, final = stages()
    assert build[0].startswith("FROM python:3.11-slim AS build")
    assert "RUN pip install --no-cache-dir --require-hashes -r requirements.lock" in build
    assert final[0] == "FROM python:3.11-slim"
    assert any(line.startswith("COPY --from=build /opt/venv") for line in final)
    assert not any(line.startswith("RUN pip") or "apt-get" in line for line in final)
    user = next(line for line in final if line.startswith("USER "))
    assert user.split()[1] not in ("root", "0")
    assert 'VOLUME ["/data"]' in final
    health = next(line for line in final if line.startswith("HEALTHCHECK"))
    assert "/healthz" in health
    assert final[-1] == 'ENTRYPOINT ["harness-logs-bot"]'
    assert any("BOT_STORE_URL=sqlite:////data/bot.db" in line for line in final)


def test_secrets_and_state_stay_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".env", ".venv", ".git", "data"):
        assert path in ignored


def documents(text: str | None = None) -> list[dict[str, Any]]:
    if text is None:
        text = (ROOT / "deploy" / "kubernetes.yaml").read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def kubernetes() -> dict[tuple[str, str], Any]:
    return {(d["kind"], d["metadata"]["name"]): d for d in documents()}


# The oldest Kubernetes release still maintained when this was written, and the newest
# the bundled schemas know.
VERSIONS = ("1.31", kubernetes_validate.utils.latest_version())


def schema_errors(docs: list[dict[str, Any]]) -> list[str]:
    """What the Kubernetes schemas find wrong with each document, at every version."""
    errors = []
    for doc in docs:
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = "/".join(str(p) for p in exc.path)
                errors.append(f"{doc['kind']}/{doc['metadata']['name']} {where}: {exc.message}")
    return errors


def test_every_kubernetes_document_is_valid_for_the_cluster_versions() -> None:
    docs = documents()
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "Ingress", "NetworkPolicy"}
    assert schema_errors(docs) == []


@pytest.mark.parametrize(
    ("change", "found"),
    [
        # A misspelt field (strict mode knows every field).
        (("imagePullPolicy: IfNotPresent", "imagePulPolicy: IfNotPresent"), "imagePulPolicy"),
        # A value of the wrong type.
        (("replicas: 2", "replicas: two"), "replicas"),
        # A required field left out.
        (("            pathType: Exact\n", ""), "pathType"),
    ],
)
def test_the_validation_finds_a_broken_manifest(change: tuple[str, str], found: str) -> None:
    text = (ROOT / "deploy" / "kubernetes.yaml").read_text()
    assert change[0] in text
    errors = schema_errors(documents(text.replace(change[0], change[1], 1)))
    assert errors and found in " ".join(errors)


def test_the_image_is_the_one_make_push_publishes_and_is_pulled_once() -> None:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for (kind, _name), doc in kubernetes().items():
        if kind != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            assert not container["image"].endswith(":latest")
            assert container.get("imagePullPolicy") != "Always"
    (bot,) = kubernetes()[("Deployment", "harness-logs")]["spec"]["template"]["spec"]["containers"]
    assert bot["image"] == f"registry.example.com/harness-logs:{version}"
    assert bot["imagePullPolicy"] == "IfNotPresent"
    # `make image` tags with the same version, under the REGISTRY it is given.
    binary = shutil.which("make")
    assert binary is not None
    make = subprocess.run(
        [binary, "-n", "push", "REGISTRY=registry.example.com"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"docker build -t {bot['image']} ." in make
    assert f"docker push {bot['image']}" in make


def test_slack_and_harness_reach_the_bot_through_an_ingress_with_tls() -> None:
    objects = kubernetes()
    service = objects[("Service", "harness-logs")]["spec"]
    assert service["type"] == "ClusterIP"
    ingress = objects[("Ingress", "harness-logs")]
    assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    (tls,) = ingress["spec"]["tls"]
    (rule,) = ingress["spec"]["rules"]
    assert tls["hosts"] == [rule["host"]] and tls["secretName"]
    paths = {p["path"]: p for p in rule["http"]["paths"]}
    # Exactly what Slack and Harness post to (DESIGN.md): never the probes or metrics.
    assert set(paths) == {"/slack/events", "/harness/webhook"}
    for path in paths.values():
        assert path["pathType"] == "Exact"
        assert path["backend"]["service"] == {"name": "harness-logs", "port": {"name": "http"}}
    (port,) = service["ports"]
    assert port["name"] == "http"
    # The manifest's request URLs name the same path as the Ingress.
    manifest = (ROOT / "manifest.yml").read_text()
    assert "/slack/events" in manifest


def test_kubernetes_runs_two_replicas_with_probes_a_secret_and_redis() -> None:
    objects = kubernetes()
    bot = objects[("Deployment", "harness-logs")]
    assert bot["spec"]["replicas"] == 2
    pod = bot["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
    assert ("Secret", refs[0]) in objects and ("ConfigMap", refs[1]) in objects
    secret = objects[("Secret", "harness-logs")]["stringData"]
    assert {"SLACK_BOT_TOKEN", "HARNESS_API_KEY"} <= set(secret)
    assert ("Service", "harness-logs-redis") in objects
    assert pod["terminationGracePeriodSeconds"] > 20  # the bot's SHUTDOWN_GRACE


def test_kubernetes_locks_the_bot_down_and_redis_needs_a_password_and_keeps_its_data() -> None:
    objects = kubernetes()
    pod = objects[("Deployment", "harness-logs")]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    env = {e["name"]: e for e in container["env"]}
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "REDIS_PASSWORD"
    assert env["BOT_STORE_URL"]["value"].startswith("redis://:$(REDIS_PASSWORD)@")
    assert "BOT_STORE_URL" not in objects[("ConfigMap", "harness-logs")]["data"]

    redis = objects[("Deployment", "harness-logs-redis")]["spec"]["template"]["spec"]
    (server,) = redis["containers"]
    assert server["args"][-2:] == ["--requirepass", "$(REDIS_PASSWORD)"]
    (volume,) = redis["volumes"]
    assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in objects
    policy = objects[("NetworkPolicy", "harness-logs-redis")]["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app": "harness-logs-redis"}
    (rule,) = policy["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app": "harness-logs"}}}]
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]


def test_compose_starts_the_bot_once_redis_is_healthy_and_redis_asks_for_a_password() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    bot = compose["services"]["bot"]
    password = "${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}"
    assert bot["environment"]["BOT_STORE_URL"] == f"redis://:{password}@redis:6379/0"
    assert bot["depends_on"] == {"redis": {"condition": "service_healthy"}}
    redis = compose["services"]["redis"]
    assert redis["command"][-2:] == ["--requirepass", password]
    # The health check authenticates (REDISCLI_AUTH) and needs a PONG, not just an answer:
    # without the password, redis-cli prints NOAUTH and still exits 0.
    assert redis["environment"]["REDISCLI_AUTH"] == password
    assert redis["healthcheck"]["test"] == ["CMD-SHELL", "redis-cli ping | grep -q PONG"]
    assert "redis-data:/data" in redis["volumes"]
    assert bot["env_file"] == "../.env"
    # /readyz and /metrics answer on HEALTH_PORT, which is not published.
    health = bot["environment"]["HEALTH_PORT"]
    assert all(not str(port).startswith(f"{health}:") for port in bot["ports"])
    assert "ports" not in compose["services"]["redis"]


def test_the_lock_pins_every_run_time_dependency_with_hashes() -> None:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", lock, re.M)}
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0].lower()
        assert name in pinned, f"{name} is not in requirements.lock: run make lock"
    assert lock.count("--hash=sha256:") >= len(pinned)
    assert "file:///" not in lock  # nothing of the machine it was made on
