#!/usr/bin/env python3
"""Resolve the Debian packages of the apps bundle (scripts/apps-rootfs.sh):
the ROOTS for ARCH and their runtime dependencies, from apt's lists.

  scripts/apps_resolve.py ARCH ROOT...

Prints one line per package, "package filename sha256" (the candidate
version's .deb file name and SHA-256 from apt's index), and on stderr the
set and what was left out.

Every Depends/Pre-Depends of a chosen ARCH package is followed: of
alternatives the first, of a virtual package its first provider.
Architecture-independent packages (readline-common: inputrc and docs) are
left out and not followed: programs load no code from them, and their own
dependencies are their maintainer scripts' tools (install-info, dpkg).
Two apt-cache calls (each parses apt's whole lists, seconds here): the
dependency graph, then the candidate records of its nodes. Exit status 1
with the reason when a package has no candidate.
"""
import subprocess
import sys


def apt(*args):
    p = subprocess.run(["apt-cache", *args], capture_output=True, text=True)
    if p.returncode != 0 and not p.stdout:
        sys.exit(f"apps-resolve: apt-cache {args[0]} failed: {p.stderr.strip()} "
                 "(apt-get update? scripts/setup.sh)")
    return p.stdout


def graph_of(text):
    """node -> list of alternative groups, each a list of entries; an entry
    is [name] or, for a "<virtual>", the list of its providers."""
    graph, groups, cont, prov = {}, [], False, None
    for line in text.splitlines():
        if not line.startswith(" "):
            groups = graph.setdefault(line, [])
            cont, prov = False, None
        elif line.startswith("    "):  # a provider of the virtual just named
            if prov is not None:
                prov.append(line.strip())
        else:
            kind, _, name = line.strip().partition(": ")
            if kind.lstrip("|") not in ("Depends", "PreDepends"):
                prov, cont = None, False
                continue
            virtual = name.startswith("<")
            entry = [] if virtual else [name]
            prov = entry if virtual else None
            if cont:
                groups[-1].append(entry)
            else:
                groups.append([entry])
            cont = kind.startswith("|")
    return graph


def records_of(text):
    """(package, architecture) -> the record's fields."""
    records = {}
    for rec in text.split("\n\n"):
        f = dict(l.split(": ", 1) for l in rec.splitlines()
                 if ": " in l and not l.startswith(" "))
        if "Package" in f and "Architecture" in f:
            records[(f["Package"], f["Architecture"])] = f
    return records


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: apps_resolve.py ARCH ROOT...")
    arch, roots = sys.argv[1], sys.argv[2:]
    graph = graph_of(apt("depends", "--recurse", "--no-recommends", "--no-suggests",
                         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                         *[r + ":" + arch for r in roots]))
    nodes = sorted({n for n in graph if not n.startswith("<")})
    records = records_of(apt("show", "--no-all-versions", *nodes))
    chosen, skipped, seen = [], [], set()
    todo = [r + ":" + arch for r in roots]
    while todo:
        name = todo.pop(0)
        base = name.split(":")[0]
        if base in seen:
            continue
        seen.add(base)
        r = records.get((base, arch)) or records.get((base, "all"))
        if r is None:
            sys.exit(f"apps-resolve: {name}: no candidate in apt's lists "
                     "(apt-get update? scripts/setup.sh)")
        if r["Architecture"] == "all":
            skipped.append(base)
            continue
        if "Filename" not in r or "SHA256" not in r:
            sys.exit(f"apps-resolve: {name}: no Filename/SHA256 in apt's index")
        chosen.append(r)
        for group in graph.get(base + ":" + arch, graph.get(base, [])):
            for entry in group:
                if entry:
                    todo.append(entry[0])
                    break
    for r in chosen:
        print(r["Package"], r["Filename"].rsplit("/", 1)[-1], r["SHA256"])
    print("apps-resolve: " + " ".join(r["Package"] for r in chosen) +
          " (left out, architecture all: " + (" ".join(skipped) or "none") + ")",
          file=sys.stderr)


if __name__ == "__main__":
    main()
