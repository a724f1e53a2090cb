#!/usr/bin/env python3
"""Runs the PyTorch snippet of docs/checkpoint.md (the ```python block after
the line '<!-- tested: load-in-torch -->') on a checkpoint and checks what it
built: every tensor, its shape, and its mean against the saving run's report.
Usage: doc_snippet.py DOC.md CHECKPOINT_DIR REPORT.json"""
import json
import re
import sys

doc, ckpt, report = sys.argv[1:4]
text = open(doc).read()
m = re.search(r"<!-- tested: load-in-torch -->\s*```python\n(.*?)```", text, re.S)
assert m, "no tested snippet in " + doc
scope = {}
exec(m.group(1), scope)
state = scope["load_checkpoint"](ckpt)
r = json.load(open(report))
params = {p["fqn"]: p for p in r["parameters"]}
assert set(state) == set(params), (sorted(set(state) ^ set(params)))
for name, t in state.items():
    p = params[name]
    assert list(t.shape) == p["shape"], name
    mean = t.double().mean().item()
    assert abs(mean - p["mean"]) <= 1e-9 * max(1.0, abs(p["mean"])), (name, mean, p["mean"])
print("docs snippet: %d tensors loaded with torch %s, shapes and means match the report"
      % (len(state), scope["torch"].__version__))
