"""The pieces `make manifests` (deploy/generate.py) builds the Kubernetes manifests from."""
