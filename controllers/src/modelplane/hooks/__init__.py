"""Helm hook jobs: the work Helm itself cannot do, run by the controller image as `modelplane hook ...`.

Pure parts (what a CRD upgrade may do, certificates, how to read a webhook probe's answer, which
ClusterServingRuntimes a release's hook owns) live in `crds`, `certificates`, `probes` and `runtimesets`; the thin
I/O edges that talk to the API server are the gerund modules (`upgrading`, `certifying`, `waiting`, `verifying`,
`syncing`), each built on one `connecting.Cluster`.
"""
