"""Kubernetes manifests (deploy/k8s): every document valid against the Kubernetes schema, the production
overlay rendered and valid too, and the operational promises (probes, limits, non-root, graceful stop).

kustomize itself is not installable here, so ``render`` applies the small subset of kustomize that the
manifests use (resources, labels, namespace, images, strategic-merge patches of maps and scalars, JSON
6902 replace ops) and refuses anything else, so a manifest that outgrows it fails here instead of being
checked wrongly.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

K8S = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
BASE = K8S / "base"
PRODUCTION = K8S / "overlays" / "production"
KUBERNETES_VERSION = "1.30.0"
# Custom resources have no schema in kubernetes-validate; they are checked field by field below.
CUSTOM_KINDS = {"ServiceMonitor"}
CLUSTER_SCOPED = {"Namespace"}


def load_docs(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _validation_error() -> type[Exception]:
    from kubernetes_validate import ValidationError

    return ValidationError


def validate(doc: dict) -> None:
    """Raise kubernetes_validate's ValidationError if the document breaks the schema (unknown fields too)."""
    import kubernetes_validate  # loads the schemas' machinery: only when a manifest is checked

    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def _kustomization(folder: Path) -> dict:
    config = load_docs(folder / "kustomization.yaml")[0]
    known = {"apiVersion", "kind", "resources", "labels", "namespace", "images", "patches"}
    assert set(config) <= known, f"{folder}: kustomize features this test does not render: {set(config) - known}"
    return config


def _key(doc: dict) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def _merge(target: dict, patch: dict, where: str) -> None:
    """Strategic merge restricted to maps and scalars (lists would need kustomize's merge keys)."""
    for field, value in patch.items():
        assert not isinstance(value, list), f"{where}.{field}: list in a strategic-merge patch; use a JSON 6902 op"
        if isinstance(value, dict) and isinstance(target.get(field), dict):
            _merge(target[field], value, f"{where}.{field}")
        else:
            target[field] = copy.deepcopy(value)


def _json_patch(doc: dict, ops: list[dict]) -> None:
    for op in ops:
        assert op["op"] == "replace", f"JSON 6902 op {op['op']} is not rendered by this test"
        *parents, last = [p for p in op["path"].split("/") if p]
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = op["value"]
        else:
            assert last in node, f"replace of a missing field {op['path']}"
            node[last] = op["value"]


def _set_images(docs: list[dict], images: list[dict]) -> None:
    for image in images:
        matched = 0
        for doc in docs:
            pod = doc.get("spec", {}).get("template", {}).get("spec", {})
            for container in pod.get("initContainers", []) + pod.get("containers", []):
                if container["image"] == image["name"]:
                    container["image"] = f"{image['newName']}:{image['newTag']}"
                    matched += 1
        assert matched, f"images: {image['name']} names no container's image (kustomize would ignore it)"


def render(folder: Path) -> list[dict]:
    config = _kustomization(folder)
    docs: list[dict] = []
    for resource in config.get("resources", []):
        path = folder / resource
        docs += render(path) if path.is_dir() else load_docs(path)
    for entry in config.get("labels", []):
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(entry["pairs"])
    if "namespace" in config:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = config["namespace"]
    by_key = {_key(doc): doc for doc in docs}
    for patch in config.get("patches", []):
        content = load_docs(folder / patch["path"])
        if "target" in patch:
            target = patch["target"]
            _json_patch(by_key[(target["kind"], target["name"])], content[0])
        else:
            for part in content:
                assert _key(part) in by_key, f"{patch['path']}: patches {_key(part)}, which no resource defines"
                _merge(by_key[_key(part)], part, patch["path"])
    _set_images(docs, config.get("images", []))
    return docs


def _base_docs() -> list[dict]:
    return [doc for path in sorted(BASE.glob("*.yaml")) if path.name != "kustomization.yaml" for doc in load_docs(path)]


def _one(docs: list[dict], kind: str, name: str = "caoyuan") -> dict:
    found = [doc for doc in docs if _key(doc) == (kind, name)]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def test_every_base_document_is_valid_kubernetes() -> None:
    docs = _base_docs()
    assert len(docs) >= 9
    for doc in docs:
        if doc["kind"] not in CUSTOM_KINDS:
            validate(doc)


def test_the_secret_template_is_valid_and_outside_the_kustomization() -> None:
    docs = load_docs(K8S / "secret.example.yaml")
    assert {_key(doc) for doc in docs} == {("Secret", "caoyuan-secrets"), ("Secret", "caoyuan-alipay-keys")}
    for doc in docs:
        validate(doc)
    # Applying placeholders with every release would overwrite the real secrets.
    assert not [doc for doc in render(PRODUCTION) if doc["kind"] == "Secret"]


def test_every_kustomization_lists_existing_files() -> None:
    for folder in (BASE, PRODUCTION):
        config = _kustomization(folder)
        listed = config.get("resources", []) + [p["path"] for p in config.get("patches", [])]
        assert listed, folder
        for name in listed:
            assert (folder / name).exists(), f"{folder}/kustomization.yaml lists missing {name}"
        unused = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"} - set(listed)
        assert not unused, f"{folder}: files kustomize would ignore: {unused}"


def test_production_overlay_renders_to_valid_kubernetes() -> None:
    docs = render(PRODUCTION)
    for doc in docs:
        if doc["kind"] not in CUSTOM_KINDS:
            validate(doc)
        if doc["kind"] not in CLUSTER_SCOPED:  # the overlay's own Namespace carries neither
            assert doc["metadata"]["namespace"] == "caoyuan", _key(doc)
            assert doc["metadata"]["labels"]["app.kubernetes.io/name"] == "caoyuan", _key(doc)
    hpa = _one(docs, "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 8)
    assert hpa["spec"]["scaleTargetRef"]["name"] == "caoyuan"  # the patch merged, not replaced
    pods = [
        _one(docs, "Deployment")["spec"]["template"]["spec"],
        _one(docs, "Job", "caoyuan-migrate")["spec"]["template"]["spec"],
    ]
    images = {c["image"] for pod in pods for c in pod.get("initContainers", []) + pod["containers"]}
    assert images == {"registry.example.cn/caoyuan/caoyuan:REPLACE-ME"}
    ingress = _one(docs, "Ingress")
    assert ingress["spec"]["rules"][0]["host"] == ingress["spec"]["tls"][0]["hosts"][0]


@pytest.mark.parametrize(
    "breakage",
    ["misspelt field", "missing selector", "port as text", "unknown probe handler"],
)
def test_a_broken_document_is_refused(breakage: str) -> None:
    deployment = copy.deepcopy(_one(_base_docs(), "Deployment"))
    validate(deployment)  # intact, it passes: the refusal below is the breakage's doing
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    if breakage == "misspelt field":
        deployment["spec"]["replica"] = 2
    elif breakage == "missing selector":
        del deployment["spec"]["selector"]
    elif breakage == "port as text":
        container["ports"][0]["containerPort"] = "eight thousand"
    else:
        container["readinessProbe"] = {"httpGett": {"path": "/readyz", "port": "http"}}
    with pytest.raises(_validation_error()):
        validate(deployment)


def test_a_broken_patch_is_refused(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": [str(BASE)], "patches": [{"path": "bad.yaml"}]}), encoding="utf-8"
    )
    (overlay / "bad.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "caoyuan"},
                "spec": {"minReplicas": "three"},
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(_validation_error()):
        for doc in render(overlay):
            if doc["kind"] not in CUSTOM_KINDS:
                validate(doc)


def test_web_pods_probe_limit_and_stop_gracefully() -> None:
    pod = _one(_base_docs(), "Deployment")["spec"]["template"]["spec"]
    app = pod["containers"][0]
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert app["readinessProbe"]["httpGet"]["port"] == app["ports"][0]["name"]
    for container in pod["containers"] + pod["initContainers"]:
        assert set(container["resources"]) == {"requests", "limits"}, container["name"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), container["name"]
    assert pod["terminationGracePeriodSeconds"] > int(app["lifecycle"]["preStop"]["exec"]["command"][-1])
    mounts = {m["mountPath"]: m["name"] for m in app["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_every_container_runs_as_non_root_on_a_read_only_root() -> None:
    docs = _base_docs()
    for kind, name in (("Deployment", "caoyuan"), ("Job", "caoyuan-migrate")):
        pod = _one(docs, kind, name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        # Key files readable by the app's group only (mode 0440, written in decimal in the manifest).
        assert [v["secret"]["defaultMode"] for v in pod["volumes"] if "secret" in v] == [0o440]
        for container in pod.get("initContainers", []) + pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
            assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}, container["name"]


def test_migrations_run_once_in_a_job_before_the_pods_serve() -> None:
    docs = _base_docs()
    job = _one(docs, "Job", "caoyuan-migrate")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["caoyuan", "db", "upgrade"]
    # The web pods wait for the Job rather than migrating themselves (replicas would race).
    waits = _one(docs, "Deployment")["spec"]["template"]["spec"]["initContainers"]
    assert [
        "upgrade" not in " ".join(c["command"]) and "caoyuan db current" in " ".join(c["command"]) for c in waits
    ] == [True]


def test_disruption_budget_and_autoscaler_select_the_web_pods() -> None:
    docs = _base_docs()
    deployment = _one(docs, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert "replicas" not in deployment["spec"]  # the autoscaler owns the count
    pdb = _one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    hpa = _one(docs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"]
    service = _one(docs, "Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_ingress_keeps_live_feed_sockets_open_past_the_heartbeat() -> None:
    from storefront.services.catalogue import MAX_IMAGE_BYTES
    from streaming.feed import HEARTBEAT_S

    annotations = _one(_base_docs(), "Ingress")["metadata"]["annotations"]
    for name in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{name}"]) >= 3 * HEARTBEAT_S
    body = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert body.endswith("m") and int(body[:-1]) * 1024 * 1024 > MAX_IMAGE_BYTES


def test_service_monitor_scrapes_metrics_on_the_app_port() -> None:
    docs = _base_docs()
    monitor = _one(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    service = _one(docs, "Service")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "bearerTokenSecret"}
    # /metrics refuses a scrape without the token: the monitor sends the one the pods read.
    secret = yaml.safe_load_all((K8S / "secret.example.yaml").read_text(encoding="utf-8"))
    names = {doc["metadata"]["name"]: doc for doc in secret if doc}
    token = endpoint["bearerTokenSecret"]
    assert token["key"] == "CAOYUAN_METRICS_TOKEN" and token["key"] in names[token["name"]]["stringData"]
