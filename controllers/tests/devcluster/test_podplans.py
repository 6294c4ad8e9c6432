"""Covers devcluster.podplans (with volumes, sources and images): a KServe-like predictor pod with a storage
initializer, a projected ServiceAccount token and a PVC becomes the right processes, mounts and probes; the
launch command line; the runtime image's own environment (MODELPLANE_HTTP_HOST at the pod's IP, overridden by the
container's env); and the errors for pods the process node cannot run."""

from __future__ import annotations

import subprocess

import pytest
from modelplane.devcluster import errors, podplans, sources

SETTINGS = podplans.NodeSettings(
    venv_bin="/repo/.venv/bin",
    api_host="127.0.0.1",
    api_port=16443,
    claims_dir="/state/claims",
    program_paths=("/repo/.venv/bin",),
)
TOKEN = sources.TokenKey(audience="", expiration_seconds=3607)


def predictor_pod() -> dict:
    return {
        "metadata": {"name": "iris-predictor-0", "namespace": "models", "uid": "u-42"},
        "spec": {
            "serviceAccountName": "sa",
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 5,
            "initContainers": [
                {
                    "name": "storage-initializer",
                    "image": "modelplane/runtime:0.1.0",
                    "command": ["modelplane-storage-init"],
                    "args": ["s3://models/iris", "/mnt/models"],
                    "envFrom": [{"secretRef": {"name": "s3-creds"}}],
                    "volumeMounts": [{"name": "kserve-provision-location", "mountPath": "/mnt/models"}],
                }
            ],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "modelplane/runtime:0.1.0",
                    "args": [
                        "--model_name=iris",
                        "--model_dir=/mnt/models",
                        "--http_port=8080",
                        "--http_host",
                        "0.0.0.0",
                    ],
                    "ports": [{"name": "h2c", "containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/v1/models/iris", "port": "h2c"}, "periodSeconds": 2},
                    "livenessProbe": {"tcpSocket": {"port": 8080}, "failureThreshold": 5},
                    "volumeMounts": [
                        {"name": "kserve-provision-location", "mountPath": "/mnt/models", "readOnly": True},
                        {
                            "name": "kube-api-access",
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                            "readOnly": True,
                        },
                        {"name": "cache", "mountPath": "/mnt/cache", "subPath": "iris"},
                    ],
                }
            ],
            "volumes": [
                {"name": "kserve-provision-location", "emptyDir": {}},
                {"name": "cache", "persistentVolumeClaim": {"claimName": "model-cache"}},
                {
                    "name": "kube-api-access",
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                            {
                                "downwardAPI": {
                                    "items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                                }
                            },
                        ],
                    },
                },
            ],
        },
    }


FOUND = sources.Sources(
    configmaps={"kube-root-ca.crt": {"ca.crt": b"-----BEGIN CERTIFICATE-----"}},
    secrets={"s3-creds": {"AWS_ACCESS_KEY_ID": b"k"}},
    tokens={TOKEN: "header.payload.signature"},
)


def plan(pod: dict | None = None, found: sources.Sources = FOUND) -> podplans.PodPlan:
    return podplans.plan(
        pod or predictor_pod(), found=found, settings=SETTINGS, pod_ip="198.18.0.9", pod_dir="/state/pods/p"
    )


def test_wanted_lists_every_reference_of_the_pod() -> None:
    wanted = sources.wanted(predictor_pod())
    assert wanted.configmaps == {"kube-root-ca.crt"}
    assert wanted.secrets == {"s3-creds"}
    assert wanted.tokens == {TOKEN}


def test_predictor_pod_becomes_init_then_main_processes() -> None:
    planned = plan()
    (init,) = planned.init_containers
    (main,) = planned.containers
    assert init.argv == ("modelplane-storage-init", "s3://models/iris", "/mnt/models")
    assert dict(init.env)["AWS_ACCESS_KEY_ID"] == "k"
    assert main.argv[0] == "modelplane-runtime"
    assert main.argv[-2:] == ("--http_host", "198.18.0.9")
    env = dict(main.env)
    assert env["PATH"].startswith("/repo/.venv/bin:")
    assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == ("127.0.0.1", "16443")
    assert planned.grace_seconds == 5.0
    assert planned.restart_policy == "Always"


def test_the_runtime_images_env_listens_on_the_pod_ip_unless_the_container_says_otherwise() -> None:
    pod = predictor_pod()
    main = pod["spec"]["containers"][0]
    main["args"] = ["--model_name=iris", "--model_dir=/mnt/models", "--http_port=8080"]
    assert dict(plan(pod).containers[0].env)["MODELPLANE_HTTP_HOST"] == "198.18.0.9"

    main["env"] = [{"name": "MODELPLANE_HTTP_HOST", "value": "198.18.7.7"}]
    assert dict(plan(pod).containers[0].env)["MODELPLANE_HTTP_HOST"] == "198.18.7.7"


def test_volumes_map_to_host_folders_and_files() -> None:
    planned = {v.name: v for v in plan().volumes}
    assert planned["kserve-provision-location"].host_path == "/state/pods/p/volumes/kserve-provision-location"
    assert planned["kserve-provision-location"].files is None
    assert planned["cache"].host_path == "/state/claims/models/model-cache"
    access = planned["kube-api-access"]
    assert access.refreshed_tokens
    files = {f.path: (f.content, f.mode) for f in access.files or ()}
    assert files == {
        "token": (b"header.payload.signature", 420),
        "ca.crt": (b"-----BEGIN CERTIFICATE-----", 420),
        "namespace": (b"models", 420),
    }


def test_mounts_keep_in_cluster_paths_parents_first_with_sub_paths() -> None:
    (main,) = plan().containers
    assert [(m.target, m.read_only) for m in main.mounts] == [
        ("/mnt/cache", False),
        ("/mnt/models", True),
        ("/var/run/secrets/kubernetes.io/serviceaccount", True),
        ("/etc/hosts", True),
    ]
    assert main.mounts[-1].source == "/state/pods/p/hosts"
    assert main.mounts[0].source == "/state/claims/models/model-cache/iris"


def test_probes_resolve_named_ports_to_the_pod_ip() -> None:
    (main,) = plan().containers
    by_kind = {p.kind: p for p in main.probes}
    assert (by_kind["readiness"].host, by_kind["readiness"].port, by_kind["readiness"].path) == (
        "198.18.0.9",
        8080,
        "/v1/models/iris",
    )
    assert by_kind["readiness"].period == 2.0
    assert (by_kind["liveness"].action, by_kind["liveness"].failure_threshold) == ("tcpSocket", 5)


def test_launch_argv_bind_mounts_in_a_private_namespace_and_runs_the_command(tmp_path) -> None:
    container = podplans.Container(
        name="c",
        image="modelplane/runtime:0.1.0",
        argv=("echo", "it's", "$HOME"),
        env=(),
        workdir="/tmp",
        mounts=(podplans.Mount(source=str(tmp_path), target="/mnt/models", read_only=True),),
        probes=(),
        ports=(),
    )
    argv = podplans.launch_argv(container, pod_dir=str(tmp_path / "pod"))
    assert argv[:5] == ["unshare", "--mount", "--propagation", "private", "--"]
    script = argv[7]
    assert "mount --bind" in script
    assert "remount,bind,ro /mnt/models" in script
    assert argv[-3:] == ["echo", "it's", "$HOME"]
    # The script itself is valid shell (checked without running any mount).
    subprocess.run(["/bin/sh", "-n", "-c", script], check=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(lambda p: p["spec"]["containers"][0].update(image="nginx:1"), "does not run", id="foreign-image"),
        pytest.param(lambda p: p["spec"].update(hostNetwork=True), "hostNetwork", id="host-network"),
        pytest.param(
            lambda p: p["spec"]["volumes"].append({"name": "nfs", "nfs": {"server": "x", "path": "/"}}),
            "kind nfs is not supported",
            id="nfs-volume",
        ),
        pytest.param(
            lambda p: p["spec"]["containers"][0]["volumeMounts"].append({"name": "nope", "mountPath": "/x"}),
            "does not declare",
            id="unknown-volume",
        ),
        pytest.param(
            lambda p: p["spec"]["containers"][0]["volumeMounts"].append(
                {"name": "cache", "mountPath": "/y", "subPath": "../../etc"}
            ),
            "must stay inside",
            id="escaping-subpath",
        ),
        pytest.param(
            lambda p: p["spec"]["containers"][0]["volumeMounts"].append({"name": "cache", "mountPath": "/repo"}),
            "would hide /repo/.venv/bin",
            id="hides-the-programs",
        ),
        pytest.param(
            lambda p: p["spec"]["initContainers"][0].update(restartPolicy="Always"),
            "sidecar",
            id="native-sidecar",
        ),
    ],
)
def test_pods_the_node_cannot_run_are_explained(change, message: str) -> None:
    pod = predictor_pod()
    change(pod)
    with pytest.raises(errors.PlanError, match=message):
        plan(pod)


def test_missing_token_or_configmap_is_an_error_unless_optional() -> None:
    with pytest.raises(errors.PlanError, match="no ServiceAccount token"):
        plan(found=sources.Sources(configmaps=FOUND.configmaps, secrets=FOUND.secrets))
    pod = predictor_pod()
    pod["spec"]["volumes"].append({"name": "opt", "configMap": {"name": "absent", "optional": True}})
    assert {v.name: v.files for v in plan(pod).volumes}["opt"] == ()


def test_staging_avoids_folders_that_a_mount_hides() -> None:
    def container(*targets: str) -> podplans.Container:
        mounts = tuple(podplans.Mount(source="/s", target=t, read_only=False) for t in targets)
        return podplans.Container(name="c", image="i", argv=(), env=(), workdir="/", mounts=mounts, probes=(), ports=())

    assert podplans.stage_dir(container("/mnt/models"), pod_dir="/work/state/p") == "/work/state/p/stage-c"
    assert podplans.stage_dir(container("/work"), pod_dir="/work/state/p") == "/run/modelplane/stage-c"
    with pytest.raises(errors.PlanError, match="needs one of them free"):
        podplans.stage_dir(container("/work", "/run", "/var/lib"), pod_dir="/work/state/p")
