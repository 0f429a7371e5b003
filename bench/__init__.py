"""Benchmarks of the read endpoint against a bare in-process pipeline and Orthanc (see README.md)."""
