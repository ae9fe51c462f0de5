#!/usr/bin/env python3
"""only_reached_by.py ONLY.lcov OTHERS.lcov REPO_ROOT [--show]

The lines (and branch outcomes) of core/ and native/ that ONLY.lcov's tests
reach and OTHERS.lcov's do not, grouped in runs within one function
(tools/sanitizer-coverage)."""
import collections
import re
import subprocess
import sys


def parse(path):
    lines = collections.defaultdict(dict)
    functions = collections.defaultdict(list)
    branches = collections.defaultdict(dict)
    source = None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("SF:"):
            source = line[3:]
        elif line.startswith("DA:"):
            number, count = line[3:].split(",")[:2]
            lines[source][int(number)] = max(lines[source].get(int(number), 0), int(count))
        elif line.startswith("FN:"):
            number, name = line[3:].split(",", 1)
            functions[source].append((int(number), name))
        elif line.startswith("BRDA:"):
            number, block, branch, count = line[5:].split(",")
            key = (int(number), block, branch)
            branches[source][key] = branches[source].get(key, 0) + (0 if count == "-" else int(count))
    return lines, functions, branches


def main():
    only_path, others_path, root = sys.argv[1:4]
    show = "--show" in sys.argv[4:]
    root = root.rstrip("/") + "/"
    lines, functions, branches = parse(only_path)
    other_lines, _, other_branches = parse(others_path)
    # Demangled, without parameters or namespaces, for the report.
    mangled = sorted({name.split(":", 1)[1] if re.match(r"^[\w./-]+\.(cc|h):", name) else name
                      for source in functions for _, name in functions[source]})
    demangled = subprocess.run(["llvm-cxxfilt"], input="\n".join(mangled), capture_output=True, text=True).stdout
    readable = {}
    for name, plain in zip(mangled, demangled.split("\n")):
        plain = re.sub(r"\(.*", "", plain).replace("anomalens::", "").replace("(anonymous namespace)::", "")
        readable[name] = plain

    def function_at(source, number):
        starts = [(start, name) for start, name in functions.get(source, []) if start <= number]
        if not starts:
            return "?"
        name = max(starts)[1]
        return readable.get(name.split(":", 1)[1] if re.match(r"^[\w./-]+\.(cc|h):", name) else name, name)

    total = 0
    for source in sorted(lines):
        if not (source.startswith(root + "core/") or source.startswith(root + "native/")):
            continue
        only = sorted(n for n, c in lines[source].items() if c > 0 and other_lines.get(source, {}).get(n, 0) == 0)
        only_branches = sorted(k for k, c in branches.get(source, {}).items()
                               if c > 0 and other_branches.get(source, {}).get(k, 0) == 0)
        if not only and not only_branches:
            continue
        total += len(only)
        print(f"{source[len(root):]}: {len(only)} lines, {len(only_branches)} branch outcomes")
        runs = []
        for n in only:
            if runs and n - runs[-1][1] <= 3 and function_at(source, n) == function_at(source, runs[-1][0]):
                runs[-1][1] = n
            else:
                runs.append([n, n])
        text = open(source).read().split("\n") if show else []
        for first, last in runs:
            print(f"  {first}-{last}  {function_at(source, first)}")
            for n in range(first, last + 1) if show else ():
                print(f"    {n}: {text[n - 1]}")
        if only_branches:
            print("  branch outcomes at lines", sorted({k[0] for k in only_branches}))
    print(f"lines of core/ and native/ only the first set reaches: {total}")


if __name__ == "__main__":
    main()
