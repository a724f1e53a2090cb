#!/usr/bin/env python3
"""Writes a fixed token batch for the training tests: a safetensors file
with one I64 tensor 'tokens' of shape [B, T] (or [S, B, T] with --steps S),
ids drawn uniformly from [0, V) by Python's random.Random(seed) (no NumPy
needed).
usage: write_tokens.py OUT.safetensors V B T [--steps S] [--seed 0]"""
import argparse
import json
import random
import struct

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("vocab", type=int)
p.add_argument("batch", type=int)
p.add_argument("seq_len", type=int)
p.add_argument("--steps", type=int, default=0)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
shape = ([a.steps] if a.steps else []) + [a.batch, a.seq_len]
n = 1
for s in shape:
    n *= s
rng = random.Random(a.seed)
data = struct.pack("<%dq" % n, *(rng.randrange(a.vocab) for _ in range(n)))
header = json.dumps({"tokens": {"dtype": "I64", "shape": shape, "data_offsets": [0, len(data)]}}).encode()
header += b" " * (-len(header) % 8)
with open(a.out, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + data)
