"""The local process set behind `make run` and the end-to-end tests."""
