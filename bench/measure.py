#!/usr/bin/env python3
"""Runs one command; prints its wall time and the peak resident memory of that process as JSON.

Node cannot read a child's rusage; Python's getrusage(RUSAGE_CHILDREN) can, and each call of this
script has exactly one child, so ru_maxrss is that command's own peak.
"""
import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "code": proc.returncode,
    "wall": wall,
    "maxrss_kb": usage.ru_maxrss,
    "stderr": proc.stderr[-4000:].decode("utf-8", "replace"),
}))
