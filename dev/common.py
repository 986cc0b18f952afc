"""Shared helpers for the repo tooling in dev/ (not part of the kernel tree)."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Top-level kernel directories whose (new) files form the overlay.
OVERLAY_DIRS = ("arch block certs crypto Documentation drivers fs include init "
                "io_uring ipc kernel lib LICENSES mm net samples security sound "
                "tools usr virt").split()

BASE_PKG = "linux-source-6.12"
BASE_TARBALL = "/usr/src/linux-source-6.12.tar.xz"
BASE_TAG = "kho-base"
BASE_AUTHOR = ("Linux 6.12 base", "kho-base@example.org")
FIXED_DATE = "2024-11-17 00:00:00 +0000"


def out_dir():
    """$OUT (default: <repo>/out), relative paths are relative to the repo root."""
    out = os.environ.get("OUT") or "out"
    return os.path.normpath(os.path.join(ROOT, out))


def linux_dir():
    return os.path.join(out_dir(), "linux")


def die(msg, code=1):
    sys.stderr.write("error: %s\n" % msg)
    sys.exit(code)


def warn(msg):
    sys.stderr.write("warning: %s\n" % msg)


def run(cmd, cwd=None, env=None, check=True, capture=False, input=None):
    """Run a command; returns CompletedProcess.  Output is text."""
    e = None
    if env:
        e = dict(os.environ)
        e.update(env)
    p = subprocess.run(cmd, cwd=cwd, env=e, input=input, text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None)
    if check and p.returncode != 0:
        msg = "command failed (%d): %s" % (p.returncode, " ".join(cmd))
        if capture and p.stderr:
            msg += "\n" + p.stderr.rstrip()
        die(msg)
    return p


def git(args, cwd, env=None, check=True, capture=True, input=None):
    return run(["git"] + args, cwd=cwd, env=env, check=check, capture=capture,
               input=input)


def base_version():
    p = run(["dpkg-query", "-W", "-f=${Version}", BASE_PKG], check=False,
            capture=True)
    if p.returncode != 0 or not p.stdout.strip():
        die("%s is not installed (run dev/deps)" % BASE_PKG)
    return p.stdout.strip()


def overlay_files():
    """New kernel files at their kernel paths (tracked or untracked, not ignored)."""
    p = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard",
             "--"] + OVERLAY_DIRS, cwd=ROOT)
    files = sorted(set(f for f in p.stdout.split("\0")
                       if f and os.path.isfile(os.path.join(ROOT, f))))
    return files


def read_series():
    """Patch names from patches/series (quilt style, '#' comments)."""
    path = os.path.join(ROOT, "patches", "series")
    if not os.path.exists(path):
        return []
    names = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name = line.split()[0]   # ignore quilt options like -p1
            if not os.path.isfile(os.path.join(ROOT, "patches", name)):
                die("patches/series lists %s but patches/%s does not exist"
                    % (name, name))
            if name in names:
                die("patches/series lists %s twice" % name)
            names.append(name)
    return names


def base_files(linux):
    """Set of paths in the pristine base tree."""
    p = git(["ls-tree", "-r", "-z", "--name-only", BASE_TAG], cwd=linux)
    return set(f for f in p.stdout.split("\0") if f)


def check_overlay_vs_base(overlay, base):
    bad = [f for f in overlay if f in base]
    if bad:
        die("overlay file(s) already exist in the base tree (edits to existing "
            "files must be patches in patches/): " + " ".join(bad))


def our_dirs(overlay):
    """Directories of overlay .c files under lib/ kernel/ mm/ drivers/."""
    dirs = set()
    for f in overlay:
        if f.endswith(".c") and f.split("/", 1)[0] in ("lib", "kernel", "mm",
                                                         "drivers"):
            dirs.add(os.path.dirname(f) + "/")
    return sorted(dirs)


def files_equal(path, data):
    """True if the file at path exists and has exactly the bytes in data."""
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            return False
        if os.path.getsize(path) != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def write_file(path, data, mode=None):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    if os.path.lexists(path) and not os.path.isfile(path):
        run(["rm", "-rf", path])
    tmp = path + ".kho-tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def append_result(name, passed, failed, skipped=0):
    """Append 'name: P passed, F failed, S skipped' to $RESULTS (if set)."""
    path = os.environ.get("RESULTS")
    line = "%s: %d passed, %d failed, %d skipped" % (name, passed, failed,
                                                      skipped)
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")
    return line


def reset_worktree(linux, wt):
    """(Re)create worktree wt of linux detached at kho-base, clean."""
    if os.path.isdir(os.path.join(wt, ".git")) or \
            os.path.isfile(os.path.join(wt, ".git")):
        git(["am", "--abort"], cwd=wt, check=False)
        p = git(["checkout", "-q", "-f", "--detach", BASE_TAG], cwd=wt,
                check=False)
        if p.returncode == 0:
            git(["clean", "-q", "-f", "-d", "-x"], cwd=wt)
            return
    if os.path.lexists(wt):
        run(["rm", "-rf", wt])
    git(["worktree", "prune"], cwd=linux)
    git(["worktree", "add", "-q", "-f", "--detach", wt, BASE_TAG], cwd=linux)


RESULT_RE = re.compile(r"^(?P<name>.*): (?P<p>\d+) passed, (?P<f>\d+) failed"
                       r"(?:, (?P<s>\d+) skipped)?\s*$")


def kunitconfigs(files=None):
    """The KUnit configs `make test` runs: the directory of every overlay
    .kunitconfig (kunit.py takes a directory and merges repeated
    --kunitconfig options)."""
    files = overlay_files() if files is None else files
    return sorted(os.path.dirname(f) for f in files
                  if os.path.basename(f) == ".kunitconfig")


def bench_configs(files=None):
    """The benchmark configs `make bench` runs (tools/testing/kunit/configs/
    *_bench.config of the overlay, one per benchmark suite)."""
    files = overlay_files() if files is None else files
    return sorted(f for f in files
                  if f.startswith("tools/testing/kunit/configs/")
                  and f.endswith("_bench.config"))


def build_env():
    """os.environ plus the ccache settings every build uses (unless set):
    one fixed cache under ~/.ccache shared by every checkout, paths relative
    to a base directory holding the source and build trees so that the
    checkout's location does not matter, and a size limit."""
    env = dict(os.environ)
    env.setdefault("CCACHE_DIR", os.path.expanduser("~/.ccache/kho"))
    env.setdefault("CCACHE_BASEDIR", os.path.commonpath([ROOT, out_dir()]))
    env.setdefault("CCACHE_NOHASHDIR", "1")
    env.setdefault("CCACHE_MAXSIZE", "8G")
    return env


def jobs():
    return int(os.environ.get("JOBS") or len(os.sched_getaffinity(0)))
