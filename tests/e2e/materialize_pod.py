#!/usr/bin/env python3
"""Lays out a rendered NGINX Pod under a test root, as the kubelet would.

    materialize_pod.py RENDERED.yaml ROOT OUT.json

For the Deployment or DaemonSet with a container "nginx": every volume the
nginx and epp-bridge containers mount becomes a directory ROOT/<mountPath>
(a ConfigMap's keys as files, an emptyDir empty), and every absolute path
under a mount point, in the containers' arguments and in the mounted files,
is moved under ROOT. Writes {"nginx": [argv...], "bridge": [argv...]} to
OUT.json (the bridge's argv without the image's entrypoint). Fails on a
mount of a volume or ConfigMap that the manifests do not have.
"""
import json
import os
import re
import sys

import yaml


def main():
    rendered, root, out = sys.argv[1:4]
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    workload = next(d for d in docs if d["kind"] in ("Deployment", "DaemonSet")
                    and any(c["name"] == "nginx" for c in d["spec"]["template"]["spec"]["containers"]))
    ns = workload["metadata"].get("namespace", "default")
    pod = workload["spec"]["template"]["spec"]
    containers = pod["containers"] + pod.get("initContainers", [])
    by_name = {c["name"]: c for c in containers}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    config_maps = {(d["metadata"].get("namespace", ns), d["metadata"]["name"]): d.get("data", {})
                   for d in docs if d["kind"] == "ConfigMap"}

    mounts = {}  # mountPath -> volume name, for both containers
    for name in ("nginx", "epp-bridge"):
        for m in by_name.get(name, {}).get("volumeMounts", []):
            path = m["mountPath"].rstrip("/") or "/"
            if mounts.get(path, m["name"]) != m["name"]:
                sys.exit(f"{path}: mounted from {mounts[path]} and {m['name']}")
            mounts[path] = m["name"]

    # One pass, longest mount paths first: /a/b wins over /a, and a path
    # already under ROOT is not moved twice.
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(
        re.escape(p) for p in sorted(mounts, key=len, reverse=True)) + r")(?=[/;,\s\"']|$)")

    def moved(text):
        return pattern.sub(lambda m: root + m.group(1), text)

    for path, name in mounts.items():
        if name not in volumes:
            sys.exit(f"volume {name} (mounted at {path}) is not in the Pod")
        v = volumes[name]
        target = root + path
        os.makedirs(target, exist_ok=True)
        sources = []
        if "configMap" in v:
            sources.append(v["configMap"])
        for s in v.get("projected", {}).get("sources", []):
            if "configMap" in s:
                sources.append(s["configMap"])
        for s in sources:
            data = config_maps.get((ns, s["name"]))
            if data is None:
                sys.exit(f"ConfigMap {ns}/{s['name']} (volume {name}) is not in the manifests")
            for key, text in data.items():
                with open(os.path.join(target, key), "w") as f:
                    f.write(moved(text))
        if "emptyDir" in v:
            os.chmod(target, 0o1777)

    def argv(c):
        return [moved(w) for w in c.get("command", []) + c.get("args", [])]

    json.dump({"nginx": argv(by_name["nginx"]),
               "bridge": argv(by_name["epp-bridge"]) if "epp-bridge" in by_name else []},
              open(out, "w"))


if __name__ == "__main__":
    main()
