"""Deployment: Kubernetes manifests, the container image, and the local process set."""
