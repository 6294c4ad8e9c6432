"""Developer tooling that makes the local control plane run real workloads: a process node and a local ingress.

kwok simulates nodes but runs nothing. The process node (`modelplane dev-node`) is a small kubelet for Modelplane's
own images: it runs each container of a pod scheduled onto it as a local process with its own loopback address.
The local ingress (`modelplane dev-ingress`) turns the cluster's Ingress, HTTPRoute and VirtualService objects into
an nginx configuration. The pure parts (planning, probes, addresses, routes) are separate from the I/O edges.
"""
