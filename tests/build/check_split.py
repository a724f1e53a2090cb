#!/usr/bin/env python3
"""Checks the host/device split (design §9) on the compiler's own dependency
files (the *.o.d files a Makefile build leaves beside each object):

1. no translation unit includes both a Kokkos header and toml++ (nvcc cannot
   compile toml++ 3.3 headers);
2. titan_host's translation units include no Kokkos header;
3. titan_core's translation units include no toml++ header;
4. src/titan/config/ includes nothing from src/titan/models/ or src/titan/modules/.

Usage: check_split.py BUILD_DIR SOURCE_DIR. Exit 0 when every rule holds."""
import json
import os
import sys


def is_kokkos(path):
    name = os.path.basename(path)
    return name.startswith("Kokkos") or "/kokkos" in path.lower() and name.startswith("Kokkos")


def is_toml(path):
    return "/toml++/" in path


def dependencies(depfile):
    """The source and headers of one depfile ("obj: src hdr1 hdr2 \\ ...")."""
    text = open(depfile, encoding="utf-8", errors="replace").read().replace("\\\n", " ")
    _, _, deps = text.partition(": ")
    return [d for d in deps.split() if d]


def current_depfiles(build_dir):
    """The depfile of every translation unit of the current build, from
    compile_commands.json (objects of sources since removed are ignored)."""
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        commands = json.load(f)
    for c in commands:
        args = c.get("command", "").split()
        if "-o" in args:
            obj = args[args.index("-o") + 1]
            yield os.path.join(c["directory"], obj + ".d")


def main(build_dir, source_dir):
    source_dir = os.path.realpath(source_dir)
    units = {}  # depfile -> (target dir, deps)
    for path in current_depfiles(build_dir):
        if os.path.exists(path):
            target = next((p for p in path.split(os.sep) if p.endswith(".dir")), "?")
            units[path] = (target, dependencies(path))
    failures = []
    counts = {"titan_host.dir": 0, "titan_core.dir": 0}
    for path, (target, deps) in sorted(units.items()):
        src = deps[0] if deps else "?"
        kokkos = [d for d in deps if is_kokkos(d)]
        toml = [d for d in deps if is_toml(d)]
        if target in counts:
            counts[target] += 1
        if kokkos and toml:
            failures.append(f"{src}: includes both Kokkos ({os.path.basename(kokkos[0])}) and toml++")
        if target == "titan_host.dir" and kokkos:
            failures.append(f"{src}: in titan_host but includes Kokkos ({kokkos[0]})")
        if target == "titan_core.dir" and toml:
            failures.append(f"{src}: in titan_core but includes toml++ ({toml[0]})")
        rel = os.path.relpath(os.path.realpath(src), source_dir)
        if rel.startswith("src/titan/config/"):
            for d in deps:
                r = os.path.relpath(os.path.realpath(d), source_dir)
                if r.startswith("src/titan/models/") or r.startswith("src/titan/modules/"):
                    failures.append(f"{rel}: config/ includes {r}")
    # The check must be able to fail: both libraries were seen, and the
    # detectors find what is known to be there.
    for target, n in counts.items():
        if n < 5:
            failures.append(f"only {n} translation units of {target} found under {build_dir} (a Makefile build is needed)")
    known = {"titan_core.dir/src/titan/init/fill.cpp.o.d": is_kokkos,
             "titan_host.dir/src/titan/config/deck.cpp.o.d": is_toml}
    for suffix, detector in known.items():
        match = [deps for p, (_, deps) in units.items() if p.endswith(suffix)]
        if not match or not any(detector(d) for d in match[0]):
            failures.append(f"self-check: expected the detector to find its header in {suffix}")
    print(f"check_split: {len(units)} translation units, titan_host {counts['titan_host.dir']}, "
          f"titan_core {counts['titan_core.dir']}")
    for f in failures:
        print("FAIL:", f)
    print("split holds" if not failures else f"{len(failures)} violations")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
