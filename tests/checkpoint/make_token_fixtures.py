#!/usr/bin/env python3
"""Writes the hostile tokens files of issue 19 class 7 / class 11 into DIR
(standard library only, so the bytes are written independently of titan's
codec):

  overflow.safetensors   'tokens' I64 [2^40, 2^24]: 2^64 elements, a count
                         that wraps to 0 in unchecked 64-bit arithmetic
  promise_10g.safetensors 'tokens' I64 [1048576, 1280] (10 GiB) in a file of
                         a few hundred bytes: must be refused from its size,
                         never read (or allocated) whole
  batch_over_cap.safetensors 'tokens' I64 [2097152, 2], all 32 MiB present:
                         more sequences than [forward] batch allows
  header_huge.safetensors a header length prefix of 2^62
  sparse_16g.safetensors 'tokens' I64 [1048576, 2048], 16 GiB of data that
                         are really there (a sparse file: zeros, no disk):
                         within every cap, but more than a node can hold on
                         each rank; must be refused before it is read
  fifo.safetensors       a FIFO: refused, never opened for a blocking read

Usage: make_token_fixtures.py DIR"""
import json
import os
import struct
import sys


def write(path, header, data=b""):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def tokens(shape, nbytes):
    return {"tokens": {"dtype": "I64", "shape": shape, "data_offsets": [0, nbytes]}}


def main(out):
    os.makedirs(out, exist_ok=True)
    # 2^40 * 2^24 * 8 bytes = 2^67: the header cannot even state the byte
    # count, so its offsets claim 0 (what the wrapped product would be).
    write(f"{out}/overflow.safetensors", tokens([2**40, 2**24], 0))
    n = 1048576 * 1280 * 8
    write(f"{out}/promise_10g.safetensors", tokens([1048576, 1280], n))
    b = 2097152
    write(f"{out}/batch_over_cap.safetensors", tokens([b, 2], b * 2 * 8), bytes(b * 2 * 8))
    with open(f"{out}/header_huge.safetensors", "wb") as f:
        f.write(struct.pack("<Q", 2**62) + b"{}      ")
    b, t = 1048576, 2048
    path = f"{out}/sparse_16g.safetensors"
    write(path, tokens([b, t], b * t * 8))
    with open(path, "r+b") as f:
        f.seek(0, 2)
        f.truncate(f.tell() + b * t * 8)
    fifo = f"{out}/fifo.safetensors"
    if os.path.exists(fifo):
        os.remove(fifo)
    os.mkfifo(fifo)


if __name__ == "__main__":
    main(sys.argv[1])
