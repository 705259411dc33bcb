"""The container and deployment examples, checked for structure (`docker build`
cannot run here): a slim multi-stage image without build tools, a non-root user, a
health check, the data volume; Kubernetes with two replicas, probes and a Secret;
compose with Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def kubernetes() -> dict[tuple[str, str], Any]:
    docs = yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text())
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


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


def test_compose_runs_the_bot_with_redis() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    bot = compose["services"]["bot"]
    assert bot["environment"]["BOT_STORE_URL"] == "redis://redis:6379/0"
    assert "redis" in compose["services"]
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
