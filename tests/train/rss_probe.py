#!/usr/bin/env python3
"""Does this machine charge resident memory (VmRSS, VmHWM) page by page?

The memory tests compare titan's byte-exact plan with the peak RSS the kernel
reports. That comparison means something only where RSS grows by the pages a
process touches. Some sandboxes and kernels charge more: a whole 2 MiB unit
for one touched byte of an anonymous mapping (gVisor's private allocation
unit, transparent huge pages set to "always"), so every buffer titan maps
costs up to a few MiB more than its bytes. There the plan and the RSS differ
by an amount set by the machine, not by titan.

This probe measures it in a fresh process, with nothing of titan's:
  (1) one byte touched in each of 16 isolated pages of a private anonymous
      mapping, 8 MiB apart: RSS should grow by 16 pages;
  (2) 48 buffers of 0.3-3 MiB from malloc (titan's Views come from malloc),
      each written whole: RSS should grow by about their bytes.
It prints both figures and exits 0 when RSS is page-granular (1: at most
64 KiB per touch; 2: growth within 15% of the bytes), 77 when it is not
(CTest's skip code in the memory tests), 2 when /proc cannot be read.
Usage: rss_probe.py [--quiet]
"""
import ctypes
import mmap
import sys


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmRSS in /proc/self/status")


def isolated_touches(count=16, stride=8 << 20):
    m = mmap.mmap(-1, count * stride, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    before = rss_bytes()
    for i in range(count):
        m[i * stride + 4096 + 123] = 1  # one byte, away from the mapping's 2 MiB boundaries
    grown = rss_bytes() - before
    m.close()
    return grown / count


def malloc_growth(count=48):
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    sizes = [300_000 + (i * 2_750_000) // (count - 1) for i in range(count)]
    before = rss_bytes()
    blocks = []
    for s in sizes:
        p = libc.malloc(s)
        if not p:
            raise MemoryError("malloc failed")
        ctypes.memset(p, 1, s)
        blocks.append(p)
    grown = rss_bytes() - before
    for p in blocks:
        libc.free(p)
    return grown, sum(sizes)


def main():
    quiet = "--quiet" in sys.argv[1:]
    try:
        per_touch = isolated_touches()
        grown, wrote = malloc_growth()
    except OSError as e:
        print(f"rss_probe: cannot read this process's RSS: {e}", file=sys.stderr)
        return 2
    ratio = grown / wrote
    granular = per_touch <= 64 * 1024 and abs(ratio - 1) <= 0.15
    if not quiet or not granular:
        print(f"rss_probe: one touched byte costs {per_touch / 1024:.0f} KiB of RSS; "
              f"{wrote / 2**20:.1f} MiB written through malloc grew RSS by {grown / 2**20:.1f} MiB "
              f"({ratio:.2f}x): RSS is {'page-granular' if granular else 'NOT page-granular on this machine'}")
    return 0 if granular else 77


if __name__ == "__main__":
    sys.exit(main())
