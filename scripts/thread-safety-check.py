#!/usr/bin/env python3
"""Runs clang's thread-safety analysis over every translation unit of ours in a built tree.

Reads BUILD_DIR/compile_commands.json (the release build, which has generated the protobuf headers), and for
each of our source files (not generated code) runs clang++ with the same flags plus -fsyntax-only
-Wthread-safety -Werror=thread-safety-analysis: the ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations
are checked on every file, with no code generated. Other warnings are not errors here (GCC builds the
binaries; clang may warn differently). Exits 1 on any finding, 2 on usage errors.

Usage: scripts/thread-safety-check.py [BUILD_DIR]   (default: build)
"""
import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.path.abspath(os.path.join(root, sys.argv[1] if len(sys.argv) > 1 else "build"))
    clang = shutil.which("clang++-14") or shutil.which("clang++")
    db = os.path.join(build, "compile_commands.json")
    if not clang or not os.path.exists(db):
        print(f"thread-safety-check: need clang++ and {db}", file=sys.stderr)
        return 2
    jobs = []
    for entry in json.load(open(db)):
        path = entry["file"]
        if not path.startswith(root + os.sep) or path.startswith(build) or "/gen/" in path:
            continue
        args = shlex.split(entry["command"])
        # Drop the launcher (ccache) and the compiler; keep flags; drop -o OUT and -c.
        while args and not args[0].startswith("-"):
            args = args[1:]
        flags, skip = [], False
        for a in args:
            if skip:
                skip = False
            elif a == "-o":
                skip = True
            elif a != "-c":
                flags.append(a)
        command = [clang] + flags + ["-fsyntax-only", "-Wno-error", "-Wno-unknown-warning-option",
                                     "-Wthread-safety", "-Werror=thread-safety-analysis", path]
        jobs.append((entry["directory"], path, command))

    def run(job):
        directory, path, command = job
        r = subprocess.run(command, cwd=directory, capture_output=True, text=True)
        return path, r.returncode, r.stderr

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path, code, stderr in pool.map(run, jobs):
            if code != 0:
                failed += 1
                print(f"--- {os.path.relpath(path, root)}\n{stderr}", file=sys.stderr)
    print(f"thread-safety-check: {len(jobs)} files, {failed} with findings ({clang})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
