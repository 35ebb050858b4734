#!/usr/bin/env python3
"""Holds every #include to the CMake dependency graph (docs/ARCHITECTURE.md, "Layers").

A file may include a header of its own target, or of a target its target links: directly, through
a PRIVATE link of its own, or through PUBLIC/INTERFACE links further down. The graph comes from
CMake itself (--graphviz), which target compiles which file from compile_commands.json, and a
header belongs to the target that compiles the sources of its folder. System headers of external
libraries (torch, Qt, CLI11, SQLite, ...) need a link to that library in the same way.

Usage: check_layering.py SOURCE_DIR CONFIGURED_BUILD_DIR  (the build dir configured with
--graphviz=<dir>/layering/graph.dot); prints each violation and exits 1 if there is any.
"""
import collections
import json
import os
import re
import sys

# External headers by prefix -> the link target that provides them (a prefix of the target name).
EXTERNAL = [
    (re.compile(r"(torch|ATen|c10|caffe2)/"), "torch"),
    (re.compile(r"CLI/"), "CLI11::"),
    (re.compile(r"Q[A-Za-z]+$|qcustomplot\.h$|Qt[A-Za-z]+/"), "Qt6::"),
    (re.compile(r"sqlite3\.h$"), "SQLite::"),
    (re.compile(r"onnx/"), "onnx"),
    (re.compile(r"sndfile\.h$"), "PkgConfig::SNDFILE"),
    (re.compile(r"samplerate\.h$"), "PkgConfig::SAMPLERATE"),
    (re.compile(r"libssh/"), "PkgConfig::LIBSSH"),
    (re.compile(r"httplib\.h$"), "PkgConfig::HTTPLIB"),
    (re.compile(r"stb_image|stb/"), "PkgConfig::STB"),
    (re.compile(r"sentencepiece"), "sentencepiece"),
    (re.compile(r"yaml-cpp/"), "yaml-cpp"),
    (re.compile(r"nlohmann/"), "nlohmann_json"),
    (re.compile(r"dnnl"), "/"),  # the oneDNN library, linked by path
    (re.compile(r"opencv2/"), "opencv_"),
]
CHECKED_ROOTS = ("app/", "backend/", "storage/", "ui/", "tests/", "bench/")
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)


def read_graph(dot_file):
    names, edges = {}, collections.defaultdict(list)
    for line in open(dot_file):
        m = re.match(r'\s*"(node\d+)" \[ label = "([^"]+)"', line)
        if m:
            names[m.group(1)] = m.group(2)
        m = re.match(r'\s*"(node\d+)" -> "(node\d+)"(?: \[ style = (\w+) \])?', line)
        if m:
            edges[m.group(1)].append((m.group(2), m.group(3) or "solid"))
    graph = collections.defaultdict(list)
    for src, outs in edges.items():
        for dst, style in outs:
            graph[names[src]].append((names[dst], style))
    return graph


def visible(graph, target):
    """The targets whose headers `target` may include: its direct links of every kind, then the
    PUBLIC (solid) and INTERFACE (dashed) links of those, transitively."""
    seen, todo = set(), [dst for dst, _ in graph.get(target, [])]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        todo.extend(dst for dst, style in graph.get(t, []) if style != "dotted")
    return seen


def source_targets(source_dir, build_dir):
    owner = {}
    for entry in json.load(open(os.path.join(build_dir, "compile_commands.json"))):
        output = re.search(r" -o (\S+)", entry["command"])
        m = output and re.search(r"CMakeFiles/([^/ ]+)\.dir/", output.group(1))
        path = os.path.relpath(entry["file"], source_dir)
        if m and not path.startswith(".."):
            owner[path] = m.group(1)
    return owner


def folder_targets(owner):
    """A folder's library: the target compiling most of its sources (tests: their own file)."""
    votes = collections.defaultdict(collections.Counter)
    for path, target in owner.items():
        votes[os.path.dirname(path)][target] += 1
    return {folder: c.most_common(1)[0][0] for folder, c in votes.items()}


def header_target(header, folders):
    folder = os.path.dirname(header)
    if folder.startswith(("tests/", "bench")):
        return None  # support code of the tests and benchmarks, for them only
    return folders.get(folder)


def main(source_dir, build_dir):
    graph = read_graph(os.path.join(build_dir, "layering", "graph.dot"))
    owner = source_targets(source_dir, build_dir)
    folders = folder_targets(owner)
    problems = []
    for root, _, files in os.walk(source_dir):
        for name in files:
            path = os.path.relpath(os.path.join(root, name), source_dir)
            if not path.startswith(CHECKED_ROOTS) or not name.endswith((".cpp", ".h")):
                continue
            if path.startswith(("tests/", "bench/")) and name.endswith(".h"):
                continue  # support headers: checked in the tests and benchmarks that include them
            target = owner.get(path) or folders.get(os.path.dirname(path))
            if target is None:
                problems.append(f"{path}: no target compiles this folder (add it to a CMakeLists.txt)")
                continue
            allowed = visible(graph, target) | {target}
            text = open(os.path.join(source_dir, path), encoding="utf-8").read()
            for kind, header in INCLUDE.findall(text):
                problems += check(path, target, allowed, kind, header, folders)
    for p in sorted(problems):
        print(p)
    if problems:
        print(f"check-layering: {len(problems)} include(s) against the dependency rule (docs/ARCHITECTURE.md)")
        return 1
    print(f"check-layering: {len(owner)} sources, every include follows the CMake dependency graph")
    return 0


def check(path, target, allowed, kind, header, folders):
    if kind == '"':
        if header.endswith(".moc") or header == "cmake/build_options.h":
            return []
        for support in ("tests/", "bench/"):
            if header.startswith(support):
                return [] if path.startswith(support) else [f"{path}: includes {header}, support code of {support}"]
        owner = header_target(header, folders)
        if owner is None:
            return [f"{path}: includes \"{header}\", which no target owns"]
        if owner not in allowed:
            return [f"{path} ({target}): includes \"{header}\" of {owner}, which {target} does not link"]
        return []
    for pattern, provider in EXTERNAL:
        if pattern.match(header) and not any(a.startswith(provider) or provider in a for a in allowed):
            return [f"{path} ({target}): includes <{header}> without linking {provider}"]
    return []


if __name__ == "__main__":
    sys.exit(main(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])))
