"""Fixes: safe and unsafe rewrites of a results repository (``mlperf-repo-fix``)."""
