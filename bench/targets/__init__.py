"""The baseline applications the workloads are compared with."""
