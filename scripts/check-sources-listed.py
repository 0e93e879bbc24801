#!/usr/bin/env python3
"""Fails when a source file of ours is not part of the build.

CMake lists every source, test and .proto explicitly (no globs), so a file that no CMake file names is
silently left out: its tests never run and its code is never compiled. This script finds such files.

Rule (run from anywhere; paths are relative to the repository root):
  * Every .cc and .proto file under src/, testing/, bench/, integration_tests/ and proto/ must be named
    by a CMakeLists.txt or *.cmake file. A name counts when it resolves to the file's path relative to
    the directory of the CMake file that names it (how add_library / add_executable read it; an
    include()d *.cmake file resolves against its own directory, as CMAKE_CURRENT_SOURCE_DIR does) or,
    with a ${PROJECT_SOURCE_DIR}/ or ${CMAKE_SOURCE_DIR}/ prefix, against the root.
  * A .h file passes when a CMake file names it, or when a passing file (a listed .cc, or a passing
    header) includes it with #include "path/from/the/root.h" (or a path relative to the includer).
    A header nothing compiled includes is dead code or a forgotten test double: it fails too.

Prints each unlisted file and exits 1; prints nothing and exits 0 when every file is listed.
Usage: scripts/check-sources-listed.py [repository root, default: the parent of this script's folder]
"""

import os
import re
import sys

SCANNED_DIRS = ("src", "testing", "bench", "integration_tests", "proto")
LISTED_SUFFIXES = (".cc", ".proto")
HEADER_SUFFIX = ".h"
CMAKE_TOKEN = re.compile(r'[^\s()"]+')
# A line comment: a file named only in a comment (commented out) is not listed.
CMAKE_COMMENT = re.compile(r'#.*$', re.MULTILINE)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
ROOT_PREFIXES = ("${PROJECT_SOURCE_DIR}/", "${CMAKE_SOURCE_DIR}/")
CURRENT_DIR_PREFIX = "${CMAKE_CURRENT_SOURCE_DIR}/"


def walk_files(root):
    """Yields every file under the scanned folders, as a path relative to root."""
    for top in SCANNED_DIRS:
        for folder, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(files):
                yield os.path.relpath(os.path.join(folder, name), root)


def cmake_files(root):
    """Yields the CMake files of the repository (CMakeLists.txt and *.cmake), relative to root."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.startswith("build"))
        for name in sorted(files):
            if name == "CMakeLists.txt" or name.endswith(".cmake"):
                yield os.path.relpath(os.path.join(folder, name), root)


def names_in_cmake(root):
    """Returns the set of root-relative paths that some CMake file names."""
    named = set()
    for cmake in cmake_files(root):
        base = os.path.dirname(cmake)
        with open(os.path.join(root, cmake), encoding="utf-8") as f:
            text = CMAKE_COMMENT.sub("", f.read())
        for token in CMAKE_TOKEN.findall(text):
            if not token.endswith(LISTED_SUFFIXES + (HEADER_SUFFIX,)):
                continue
            if token.startswith(ROOT_PREFIXES):
                path = token.split("/", 1)[1]
            else:
                path = os.path.join(base, token[len(CURRENT_DIR_PREFIX):] if token.startswith(CURRENT_DIR_PREFIX)
                                    else token)
            named.add(os.path.normpath(path))
    return named


def included_headers(root, path):
    """Returns the root-relative paths of the existing files that `path` includes with #include "..."."""
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        text = f.read()
    found = []
    for include in INCLUDE.findall(text):
        for candidate in (include, os.path.join(os.path.dirname(path), include)):
            candidate = os.path.normpath(candidate)
            if os.path.isfile(os.path.join(root, candidate)):
                found.append(candidate)
                break
    return found


def unlisted_files(root):
    """Returns the files that break the rule in the module docstring, sorted."""
    files = list(walk_files(root))
    named = names_in_cmake(root)
    unlisted = [p for p in files if p.endswith(LISTED_SUFFIXES) and p not in named]
    passing = [p for p in files if p.endswith(LISTED_SUFFIXES + (HEADER_SUFFIX,)) and p in named]
    reached = set(passing)
    while passing:
        for header in included_headers(root, passing.pop()):
            if header not in reached:
                reached.add(header)
                passing.append(header)
    unlisted += [p for p in files if p.endswith(HEADER_SUFFIX) and p not in reached]
    return sorted(unlisted)


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    unlisted = unlisted_files(root)
    if not unlisted:
        return 0
    print("Files no CMakeLists.txt / *.cmake names (a .h: that nothing listed includes); add them to the "
          "build or delete them:", file=sys.stderr)
    for path in unlisted:
        print(f"  {path}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
