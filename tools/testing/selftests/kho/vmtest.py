#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""End-to-end Kexec HandOver (KHO) tests in QEMU (x86-64, TCG).

Boots the kernel built by build.sh with its test initramfs, lets init.c
kexec through a chain of generations of the same kernel, and checks what
each generation reports on the console ("KHOTEST: gen=N ..." lines, the
KHO core's and the test module's log lines, debugfs counters).

The scenarios are the files in scenarios/, one per scenario: each
defines SCENARIO, a Scenario with its check function, and imports what
it needs from this module.

Usage, with [-k KSRC] [-o OUTDIR] [--no-build] [-v] in every mode:
  [-s NAME]... [-j N]
                run the scenarios (default: all), N at a time (default: one
                per CPU), and print KTAP on stdout
  --list        list the scenarios
  --demo        preserve 1 GiB, kexec, verify, print a short report
  --bench       the blackout and early-boot reserve benchmark table

Environment:
  KSRC               kernel source tree (default: the tree holding this file)
  KHO_OUT            output directory of build.sh (default: ./kho-x86)
  RESULTS            if set, "qemu-kexec: P passed, F failed, S skipped"
                     is appended to this file
  QEMU               QEMU binary (default qemu-system-x86_64)
  KHO_JOBS           scenarios run at the same time (default: CPUs)
  KHO_TIMEOUT_SCALE  multiply every timeout (default 1)
  KHO_CMDLINE        extra kernel parameters for every boot
  KHO_BENCH_REPEAT   runs per benchmark row (default 3)
  KHO_DEMO_PARAMS    test module parameters of the demo's first kernel
                     (default "preserve_mb=1024")

Without CONFIG_KEXEC_HANDOVER in the kernel (a tree without KHO), only
the plain kexec chain runs and the KHO scenarios are skipped.

Debian packages: qemu-system-x86 kexec-tools device-tree-compiler (dtc,
optional) python3, plus those of build.sh.
"""

import argparse
import concurrent.futures
import base64
import importlib.util
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20

LINE_RE = re.compile(r"KHOTEST: gen=(\d+) (\S+)(?: (.*))?$")
HANDOVER_RE = re.compile(r"KHO: handover: reserved (\d+) ranges \((\d+) units, "
                         r"(\d+) bytes\) in (\d+) ns, metadata (\d+) bytes")
RELEASED_RE = re.compile(r"KHO: released (\d+) bytes of unclaimed memory")
PASS_RE = re.compile(r"test_kho: PASS: restored (\d+) folios, (\d+) bytes, "
                     r"verified")
TIMING_RE = re.compile(r"test_kho: tsc restored=(\d+) verified=(\d+) "
                       r"tsc_khz=(\d+)")
TSC_MHZ_RE = re.compile(r"tsc: (?:Refined TSC clocksource calibration|"
                        r"Detected|Marking TSC.*)[^0-9]*([0-9]+\.[0-9]+) MHz")
BAD_CONSOLE_RE = re.compile(r"Kernel panic|BUG: |WARNING: |Oops|"
                            r"general protection fault|Call Trace:|"
                            r"kernel BUG|Unable to handle")


def scale():
    return float(os.environ.get("KHO_TIMEOUT_SCALE", "1"))


class Gen:
    """What one generation (one boot) reported."""

    def __init__(self, n):
        self.n = n
        self.booted = False
        self.boot = {}
        self.kmsg = []            # (level, message)
        self.counters = {"in": {}, "out": {}}
        self.errors = []
        self.warnings = []
        self.timeouts = []
        self.other = {}           # key -> list of values
        self.fdt = {}             # tag -> bytes
        self.fdt_parts = {}
        self.done = False

    def add(self, key, val):
        if key == "boot":
            self.booted = True
            self.boot = dict(kv.split("=", 1) for kv in val.split()
                             if "=" in kv)
        elif key == "kmsg":
            m = re.match(r"<(\d)>(.*)", val)
            if m:
                self.kmsg.append((int(m.group(1)), m.group(2)))
        elif key == "counter":
            parts = val.split()
            if len(parts) >= 3:
                try:
                    self.counters.setdefault(parts[0], {})[parts[1]] = \
                        int(parts[2], 0)
                except ValueError:
                    pass
        elif key == "error":
            self.errors.append(val)
        elif key == "warning":
            self.warnings.append(val)
        elif key == "timeout":
            self.timeouts.append(val)
        elif key == "fdt-data":
            tag, data = val.split(" ", 1)
            self.fdt_parts.setdefault(tag, []).append(data)
        elif key == "fdt-end":
            tag = val.split()[0]
            try:
                self.fdt[tag] = base64.b64decode(
                    "".join(self.fdt_parts.get(tag, [])))
            except ValueError:
                self.fdt[tag] = b""
        elif key == "done":
            self.done = True
        else:
            self.other.setdefault(key, []).append(val)

    def first(self, key):
        vals = self.other.get(key)
        return vals[0] if vals else None

    def msgs(self, prefix):
        return [m for _, m in self.kmsg if m.startswith(prefix)]

    def match(self, regex):
        for _, m in self.kmsg:
            r = regex.search(m)
            if r:
                return r
        return None

    def tsc_khz(self):
        m = self.match(TIMING_RE)
        if m:
            return int(m.group(3))
        m = self.match(TSC_MHZ_RE)
        if m:
            return float(m.group(1)) * 1000
        return None

    def t0(self):
        t0 = self.boot.get("t0", "none")
        return int(t0) if t0.isdigit() else None

    def blackout_ms(self):
        """(to restore, to verified, to init) in ms since the reboot()."""
        t0, khz = self.t0(), self.tsc_khz()
        if not t0 or not khz:
            return None, None, None
        init = int(self.boot.get("tsc_init", "0"))
        m = self.match(TIMING_RE)
        res = [None, None, (init - t0) / khz if init else None]
        if m:
            res[0] = (int(m.group(1)) - t0) / khz
            res[1] = (int(m.group(2)) - t0) / khz
        return tuple(res)


class Run:
    """One QEMU run: a chain of generations."""

    def __init__(self, name):
        self.name = name
        self.gens = {}
        self.console = []
        self.timed_out = False
        self.exit_code = None
        self.seconds = 0.0
        self.log = None

    def gen(self, n):
        if n not in self.gens:
            self.gens[n] = Gen(n)
        return self.gens[n]

    def bad_console(self):
        return [l for l in self.console if BAD_CONSOLE_RE.search(l)]


class Scenario:
    def __init__(self, name, desc, gens, gen_params, mem="4G", numa=False,
                 smp=2, kaslr=False, kho=True, common=(), timeout=None,
                 check=None, data=None):
        self.name = name
        self.desc = desc
        self.gens = gens
        self.gen_params = gen_params      # {gen: [param, ...]}
        self.mem = mem
        self.numa = numa
        self.smp = smp
        self.kaslr = kaslr
        self.kho = kho
        self.common = list(common)
        self.timeout = timeout or (60 + 60 * gens)
        self.check = check
        self.data = data                  # what the check expects

    def cmdline(self):
        p = ["console=ttyS0", "panic=-1", "oops=panic", "retain_initrd",
             "khotest.scenario=" + self.name, "khotest.gens=%d" % self.gens]
        if self.kho:
            p.append("kho=on")
        if not self.kaslr:
            p.append("nokaslr")
        p += self.common
        p += os.environ.get("KHO_CMDLINE", "").split()
        for g in range(1, self.gens + 1):
            params = self.gen_params.get(g, [])
            for x in params:
                assert "," not in x and " " not in x, x
            if params:
                p.append("khotest.g%d=%s" % (g, ",".join(params)))
        p.append("khotest.gen=1")
        p += self.gen_params.get(1, [])
        return " ".join(p)


def qemu_cmd(outdir, sc):
    q = [os.environ.get("QEMU", "qemu-system-x86_64"), "-accel", "tcg",
         "-M", "pc", "-m", sc.mem, "-nodefaults",
         "-smp", "%d,sockets=%d,cores=1,threads=1" % (sc.smp, sc.smp),
         "-display", "none", "-no-reboot", "-serial", "stdio",
         "-kernel", os.path.join(outdir, "bzImage"),
         "-initrd", os.path.join(outdir, "initramfs.cpio"),
         "-append", sc.cmdline()]
    if sc.numa:
        total = parse_size(sc.mem)
        half = total // 2 // MiB
        q += ["-object", "memory-backend-ram,id=m0,size=%dM" % half,
              "-object", "memory-backend-ram,id=m1,size=%dM"
              % (total // MiB - half),
              "-numa", "node,nodeid=0,cpus=0,memdev=m0",
              "-numa", "node,nodeid=1,cpus=1-%d,memdev=m1"
              % max(1, sc.smp - 1)]
    return q


def parse_size(s):
    m = re.fullmatch(r"(\d+)([MG])", s)
    return int(m.group(1)) << (20 if m.group(2) == "M" else 30)


def run_qemu(outdir, sc, progress=None, verbose=False):
    """Boot the chain of scenario sc; returns a Run."""
    run = Run(sc.name)
    logdir = os.path.join(outdir, "logs")
    os.makedirs(logdir, exist_ok=True)
    run.log = os.path.join(logdir, sc.name + ".log")
    cmd = qemu_cmd(outdir, sc)
    timeout = sc.timeout * scale()
    t_start = time.monotonic()
    deadline = t_start + timeout
    with open(run.log, "w") as log:
        log.write("# " + " ".join("'%s'" % a if " " in a else a
                                  for a in cmd) + "\n")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        buf = b""
        done_at = None
        while True:
            now = time.monotonic()
            if now > deadline:
                run.timed_out = True
                break
            if done_at and now > done_at + 20:
                run.other_note = "QEMU did not power off after done"
                break
            r, _, _ = select.select([p.stdout], [], [], 1.0)
            if not r:
                if p.poll() is not None:
                    break
                continue
            data = os.read(p.stdout.fileno(), 65536)
            if not data:
                break
            buf += data
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                log.write(line + "\n")
                run.console.append(line)
                if verbose:
                    print(line, file=sys.stderr, flush=True)
                i = line.find("KHOTEST: ")
                if i < 0:
                    continue
                m = LINE_RE.match(line[i:])
                if not m:
                    continue
                g = run.gen(int(m.group(1)))
                g.add(m.group(2), m.group(3) or "")
                if m.group(2) == "done":
                    done_at = time.monotonic()
                if progress:
                    progress(g, m.group(2), m.group(3) or "")
        if buf:
            line = buf.decode("utf-8", "replace")
            log.write(line + "\n")
            run.console.append(line)
        if p.poll() is None:
            p.kill()
        p.wait()
        run.exit_code = p.returncode
        run.seconds = time.monotonic() - t_start
        log.write("# exit %s after %.1f s%s\n" %
                  (run.exit_code, run.seconds,
                   " (timeout)" if run.timed_out else ""))
    return run


class Checker:
    """Collects the checks of one scenario run."""

    def __init__(self, run):
        self.run = run
        self.items = []           # (ok, text)
        self.notes = []

    def ok(self, cond, text):
        self.items.append((bool(cond), text))
        return bool(cond)

    def note(self, text):
        self.notes.append(text)

    @property
    def passed(self):
        return self.items and all(ok for ok, _ in self.items)


def check_chain(c, sc):
    """Checks every scenario shares: each generation booted and ended."""
    run = c.run
    c.ok(not run.timed_out, "no timeout (%.0f s limit, took %.1f s)"
         % (sc.timeout * scale(), run.seconds))
    for n in range(1, sc.gens + 1):
        g = run.gens.get(n)
        if not c.ok(g and g.booted and g.boot.get("scenario") == sc.name,
                    "generation %d booted" % n):
            continue
        if n > 1:
            c.ok(g.t0() is not None, "generation %d got khotest.t0" % n)
        if g.errors:
            c.ok(False, "generation %d: init errors: %s"
                 % (n, "; ".join(g.errors)))
        if g.timeouts:
            c.ok(False, "generation %d: %s" % (n, "; ".join(g.timeouts)))
        for w in g.warnings:
            c.note("gen %d: %s" % (n, w))
    last = run.gens.get(sc.gens)
    c.ok(last and last.done, "last generation finished")
    extra = [n for n in run.gens if n > sc.gens]
    c.ok(not extra, "no generation beyond %d" % sc.gens)
    bad = run.bad_console()
    c.ok(not bad, "no panic, oops, BUG or WARNING on the console"
         + ("" if not bad else ": " + bad[0].strip()))
    for n in sorted(run.gens):
        g = run.gens[n]
        if n == 1:
            continue
        restore, verify, init = g.blackout_ms()
        parts = []
        if restore is not None:
            parts.append("restored %.1f ms" % restore)
        if verify is not None:
            parts.append("verified %.1f ms" % verify)
        if init is not None:
            parts.append("init %.1f ms" % init)
        if parts:
            c.note("blackout gen %d->%d: %s" % (n - 1, n, ", ".join(parts)))


def check_handover(c, n, min_bytes=0):
    """Generation n received a good handover and verified it."""
    g = c.run.gens.get(n)
    if not g:
        return c.ok(False, "generation %d: no report" % n)
    refused = g.msgs("KHO: refusing handover")
    c.ok(not refused, "generation %d: no refused handover%s"
         % (n, (": " + refused[0]) if refused else ""))
    h = [HANDOVER_RE.search(m) for m in g.msgs("KHO: handover:")]
    h = [m for m in h if m]
    if c.ok(len(h) == 1, "generation %d: one KHO handover line (%d)"
            % (n, len(h))):
        m = h[0]
        c.note("gen %d: handover %s ranges, %s units, %s bytes, reserve %.3f "
               "ms, metadata %s bytes" % (n, m.group(1), m.group(2),
                                          m.group(3), int(m.group(4)) / 1e6,
                                          m.group(5)))
        if int(m.group(4)) == 0:
            c.note("gen %d: the reserve step took 0 ns: was the clock "
                   "running yet?" % n)
    fails = g.msgs("test_kho: FAIL")
    c.ok(not fails, "generation %d: no test_kho FAIL%s"
         % (n, (": " + fails[0]) if fails else ""))
    p = g.match(PASS_RE)
    if c.ok(p, "generation %d: test_kho PASS: restored ... verified" % n):
        nbytes = int(p.group(2))
        c.note("gen %d: restored %s folios, %d MiB" % (n, p.group(1),
                                                      nbytes // MiB))
        if min_bytes:
            c.ok(nbytes >= min_bytes, "generation %d: restored >= %d MiB"
                 % (n, min_bytes // MiB))
    c.ok(g.match(TIMING_RE), "generation %d: test_kho timing line" % n)
    cin = g.counters.get("in", {})
    c.note("gen %d: counters in %s" % (n, " ".join(
        "%s=%d" % kv for kv in sorted(cin.items()))))
    c.ok(cin.get("preserved_in_bytes", 0) > 0,
         "generation %d: preserved_in_bytes > 0" % n)
    return g


def check_first(c, n=1):
    """Generation n booted without a handover and preserved something."""
    g = c.run.gens.get(n)
    if not g:
        return None
    c.ok(g.msgs("test_kho: no handover"),
         "generation %d: test_kho: no handover" % n)
    cout = g.counters.get("out", {})
    c.note("gen %d: counters out %s" % (n, " ".join(
        "%s=%d" % kv for kv in sorted(cout.items()))))
    c.ok(cout.get("preserved_out_bytes", 0) > 0,
         "generation %d: preserved_out_bytes > 0" % n)
    return g


def check_fdts(c, outdir):
    """Host side: dtc reads every FDT the guests dumped."""
    dtc = shutil.which("dtc")
    if not dtc:
        c.note("dtc not installed: FDTs not checked")
        return
    d = os.path.join(outdir, "logs", c.run.name + "-fdt")
    os.makedirs(d, exist_ok=True)
    count = 0
    for n, g in sorted(c.run.gens.items()):
        for tag, blob in sorted(g.fdt.items()):
            base = os.path.join(d, "gen%d-%s" % (n, tag.replace("/", "-")))
            with open(base + ".dtb", "wb") as f:
                f.write(blob)
            p = subprocess.run([dtc, "-q", "-I", "dtb", "-O", "dts", "-o",
                                base + ".dts", base + ".dtb"],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            c.ok(blob and p.returncode == 0,
                 "gen %d %s (%d bytes) is a valid FDT%s"
                 % (n, tag, len(blob), "" if p.returncode == 0 else
                    ": " + p.stdout.strip().splitlines()[-1:][0]
                    if p.stdout.strip() else ""))
            count += 1
    c.ok(count, "FDTs dumped from debugfs (%d)" % count)
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    if g1 and g2 and "out/fdt" in g1.fdt and "in/fdt" in g2.fdt:
        c.note("gen 2 in/fdt %s gen 1 out/fdt" %
               ("equals" if g1.fdt["out/fdt"] == g2.fdt["in/fdt"]
                else "differs from"))


# Helpers for the scenarios.  Parameters of the test module:
T = "test_kexec_handover."


def check_numa(c, nodes=2):
    for n, g in sorted(c.run.gens.items()):
        sysline = g.first("system") or ""
        c.ok("nodes=%d" % nodes in sysline, "generation %d: %d NUMA nodes "
             "(%s)" % (n, nodes, sysline))
        deferred = g.msgs("node ")
        if not any("deferred pages" in m for m in deferred):
            c.ok(False, "generation %d: deferred struct page init ran" % n)


def check_kaslr(c):
    texts, physs = [], []
    for n, g in sorted(c.run.gens.items()):
        k = g.first("kaslr") or ""
        c.note("gen %d: %s" % (n, k))
        m = re.search(r"text=(\S+) phys=(\S+)", k)
        if m:
            texts.append(m.group(1))
            physs.append(m.group(2))
    c.ok(len(set(physs)) > 1 or len(set(texts)) > 1,
         "KASLR moved the kernel between generations")


# Scenarios of a handover that must be refused, whole or in part.

def check_set(c, n, name, value):
    """Generation n set kexec_handover.<name> (khotest.set/refuse)."""
    g = c.run.gens.get(n)
    line = g.first("set") if g else None
    c.ok(line == "%s %s ok" % (name, value),
         "generation %d: kexec_handover.%s set to %s (%s)"
         % (n, name, value, line))


def check_refused_unchanged(c, n, why=""):
    """Generation n's refused kexec left preserved_out_bytes as it was."""
    g = c.run.gens.get(n)
    out = g.counters.get("out", {}).get("preserved_out_bytes") if g else None
    ref = g.counters.get("refused", {}).get("preserved_out_bytes") \
        if g else None
    c.ok(out is not None and out == ref,
         "generation %d: preserved_out_bytes after the refused kexec "
         "(%s) = before it (%s)%s" % (n, ref, out, why))


def meminfo_total(g):
    m = re.search(r"MemTotal:\s+(\d+) kB", (g.first("system") or "")) \
        if g else None
    return int(m.group(1)) if m else None


def check_refused(c, n, why):
    """Generation n refused the handover with one line naming @why and
    booted as a kernel without a handover."""
    g = c.run.gens.get(n)
    if not g:
        return c.ok(False, "generation %d: no report" % n)
    refused = g.msgs("KHO: refusing handover")
    c.ok(len(refused) == 1 and why in refused[0],
         "generation %d: exactly one 'KHO: refusing handover' line, about "
         "'%s' (%d)%s" % (n, why, len(refused),
                          (": " + refused[0]) if refused else ""))
    c.ok(not g.msgs("KHO: handover:"),
         "generation %d: no KHO handover line" % n)
    c.ok(g.msgs("test_kho: no handover"),
         "generation %d: test_kho: no handover" % n)
    c.ok(not g.match(PASS_RE) and not g.msgs("test_kho: FAIL"),
         "generation %d: nothing restored (no PASS/FAIL line)" % n)
    cin = g.counters.get("in", {})
    c.ok("preserved_in_bytes" in cin and cin["preserved_in_bytes"] == 0,
         "generation %d: kho/in/counters preserved_in_bytes = 0 (%s)"
         % (n, cin.get("preserved_in_bytes", "missing")))
    c.ok(g.msgs("KHO: enabled"),
         "generation %d: KHO enabled again, with fresh scratch areas" % n)
    return g


def c_refused(c, sc, outdir):
    """Generation 1 set a test parameter; generation 2 refused."""
    why, param, value = sc.data
    check_first(c)
    check_set(c, 1, param, value)
    check_refused(c, 2, why)


def c_refused_next(c, sc, outdir):
    """Generation 2 refused on its own, and gave back what it reserved."""
    why, gen2_line = sc.data
    check_first(c)
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    if gen2_line:
        c.ok(g2 and g2.msgs(gen2_line), "generation 2: '%s ...'"
             % gen2_line)
    check_refused(c, 2, why)
    t1, t2 = meminfo_total(g1), meminfo_total(g2)
    c.ok(t1 and t2 and t2 >= t1 - 16 * 1024,
         "generation 2: MemTotal %s kB, generation 1 %s kB: no preserved "
         "range stays reserved" % (t2, t1))


def c_bad_subtree(c, sc, outdir):
    """One subtree refused alone: the handover is taken, its owner gets
    -EINVAL and restores nothing."""
    mode, why = sc.data
    check_first(c)
    check_set(c, 1, "test_corrupt_subtree", mode)
    g2 = c.run.gens.get(2)
    if not g2:
        return
    c.ok(not g2.msgs("KHO: refusing handover"),
         "generation 2: the handover itself is taken")
    c.ok(g2.msgs("KHO: handover:"), "generation 2: KHO handover line")
    bad = g2.msgs("KHO: refusing subtree")
    c.ok(len(bad) == 1 and bad[0] == "KHO: refusing subtree test-kho: " + why,
         "generation 2: exactly one 'KHO: refusing subtree test-kho: %s' "
         "line (%d)%s" % (why, len(bad), (": " + bad[0]) if bad else ""))
    c.ok(g2.msgs("test_kho: FAIL: bad test-kho subtree: -22"),
         "generation 2: kho_retrieve_subtree() returns -EINVAL to its owner")
    c.ok(not g2.match(PASS_RE), "generation 2: nothing restored")
    cin = g2.counters.get("in", {})
    c.ok(cin.get("preserved_in_bytes", 0) > 0 and
         cin.get("restored_bytes", -1) == 0,
         "generation 2: memory handed over, none restored (%s)"
         % " ".join("%s=%d" % kv for kv in sorted(cin.items())))


def subtree_scenario(mode, why):
    return Scenario("subtree-" + mode, "a subtree pointer %s: that subtree "
                    "alone is refused, its owner gets -EINVAL" % mode,
                    gens=2, gen_params={1: [
                        T + "preserve_mb=32",
                        "khotest.set=test_corrupt_subtree:" + mode]},
                    check=c_bad_subtree, data=(mode, why))


def scratch_scenario(mode, why):
    return Scenario("scratch-" + mode, "a %s scratch array: one refusal, a "
                    "clean boot without handover" % mode, gens=2,
                    gen_params={1: [
                        T + "preserve_mb=32",
                        "khotest.set=test_corrupt_scratch:" + mode]},
                    check=c_refused, data=(why, "test_corrupt_scratch", mode))


def overlap_scenario(mode, why):
    return Scenario("overlap-" + mode, "preserved memory that the next "
                    "kernel finds %s is not RAM to hand over: refused" % mode,
                    gens=2, gen_params={1: [T + "preserve_mb=32"],
                                        2: ["kho_debug_overlap=" + mode]},
                    check=c_refused_next, data=(why, None))


SCENARIO_DIR = os.path.join(HERE, "scenarios")


def scenarios():
    """Every scenario: the SCENARIO of each scenarios/*.py, by file name."""
    # The scenario files import their helpers from this module, which may
    # be running as __main__; they are loaded without writing bytecode
    # into the source tree.
    sys.modules.setdefault("vmtest", sys.modules[__name__])
    sys.dont_write_bytecode = True
    s = []
    for fn in sorted(os.listdir(SCENARIO_DIR)):
        if not fn.endswith(".py") or fn.startswith((".", "_")):
            continue
        path = os.path.join(SCENARIO_DIR, fn)
        spec = importlib.util.spec_from_file_location(
            "kho_scenario_" + re.sub(r"\W", "_", fn[:-3]), path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sc = getattr(mod, "SCENARIO", None)
        if not isinstance(sc, Scenario) or sc.name != fn[:-3]:
            sys.exit("%s: must define SCENARIO = Scenario(\"%s\", ...)"
                     % (path, fn[:-3]))
        s.append(sc)
    return s


def evaluate(sc, run, outdir):
    c = Checker(run)
    check_chain(c, sc)
    if sc.check:
        sc.check(c, sc, outdir)
    return c


def build(args):
    cmd = [os.path.join(HERE, "build.sh"), "-k", args.ksrc, "-o", args.out]
    print("# build: " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    with open(os.path.join(args.out, "build.log"), "w") as f:
        f.write(p.stdout)
    for line in p.stdout.splitlines():
        if line.startswith("kho build:"):
            print("# " + line, flush=True)
    if p.returncode:
        for line in p.stdout.splitlines()[-30:]:
            print("# " + line)
    return p.returncode == 0


def kho_enabled(outdir):
    return os.path.exists(os.path.join(outdir, "kho-enabled"))


def append_results(passed, failed, skipped):
    line = "qemu-kexec: %d passed, %d failed, %d skipped" % (passed, failed,
                                                             skipped)
    path = os.environ.get("RESULTS")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")
    return line


def ktap_diag(text):
    for line in str(text).splitlines():
        print("# " + line)


def run_one(args, sc):
    run = run_qemu(args.out, sc, verbose=args.verbose)
    return run, evaluate(sc, run, args.out)


def cmd_test(args):
    all_sc = scenarios()
    if args.scenario:
        names = [s.name for s in all_sc]
        for n in args.scenario:
            if n not in names:
                sys.exit("unknown scenario %s (have: %s)"
                         % (n, " ".join(names)))
        all_sc = [s for s in all_sc if s.name in args.scenario]
    print("KTAP version 1")
    print("1..%d" % len(all_sc), flush=True)
    built = args.no_build or build(args)
    kho = built and kho_enabled(args.out)
    if built:
        print("# kernel %s KHO" % ("with" if kho else "without"))
    passed = failed = skipped = 0
    t_all = time.monotonic()
    # Each QEMU is one process that mostly waits on its vCPU threads: on
    # a machine with more cores than one guest keeps busy, a second one
    # at the same time finishes the list sooner.  Results are printed in
    # list order.
    jobs = 1 if args.verbose else max(1, args.jobs)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    runs = {}
    for i, sc in enumerate(all_sc, 1):
        if built and (kho or not sc.kho):
            runs[i] = pool.submit(run_one, args, sc)
    for i, sc in enumerate(all_sc, 1):
        if not built:
            print("not ok %d %s # build failed" % (i, sc.name), flush=True)
            failed += 1
            continue
        if sc.kho and not kho:
            print("ok %d %s # SKIP kernel without CONFIG_KEXEC_HANDOVER"
                  % (i, sc.name), flush=True)
            skipped += 1
            continue
        ktap_diag("%s: %s" % (sc.name, sc.desc))
        run, c = runs[i].result()
        for ok, text in c.items:
            if not ok or args.verbose:
                ktap_diag("%s %s" % ("ok:  " if ok else "FAIL:", text))
        for text in c.notes:
            ktap_diag(text)
        ktap_diag("%s: %.1f s, log %s" % (sc.name, run.seconds, run.log))
        if c.passed:
            passed += 1
            print("ok %d %s" % (i, sc.name), flush=True)
        else:
            failed += 1
            ktap_diag("last console lines:")
            for line in run.console[-25:]:
                ktap_diag("  " + line)
            print("not ok %d %s" % (i, sc.name), flush=True)
    pool.shutdown()
    ktap_diag("total QEMU time %.0f s" % (time.monotonic() - t_all))
    line = append_results(passed, failed, skipped)
    print("# " + line)
    print("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0"
          % (passed, failed, skipped))
    return 1 if failed else 0


def human(n):
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return "%.1f %s" % (n / div, unit)
    return "%d bytes" % n


def cmd_demo(args):
    if not args.no_build:
        print("demo: building the test kernel and initramfs (%s)" % args.out,
              flush=True)
        if not build(args):
            print("demo: build failed; see %s/build.log" % args.out)
            return 1
    if not kho_enabled(args.out):
        print("demo: the kernel in %s has no CONFIG_KEXEC_HANDOVER" % args.ksrc)
        return 1
    params = os.environ.get("KHO_DEMO_PARAMS", "preserve_mb=1024").split()
    sc = Scenario("demo", "demo", gens=2, mem="4G", timeout=600,
                  gen_params={1: [T + p for p in params]})

    def progress(g, key, val):
        if key == "boot":
            print("demo: generation %d booted" % g.n, flush=True)
        elif key == "kexec":
            print("demo: generation %d kexecs (kexec_file_load + reboot)"
                  % g.n, flush=True)
        elif key == "kmsg" and ("test_kho: " in val or "KHO: " in val):
            print("demo:   " + val.split(">", 1)[-1], flush=True)

    print("demo: QEMU (TCG), 4 GiB, 2 CPUs; generation 1 preserves %s"
          % " ".join(params), flush=True)
    run = run_qemu(args.out, sc, progress=progress, verbose=args.verbose)
    c = evaluate(sc, run, args.out)
    check_first(c)
    g2 = check_handover(c, 2)
    print()
    print("KHO demo report")
    g1 = run.gens.get(1)
    if g1:
        out = g1.counters.get("out", {})
        if "preserved_out_bytes" in out:
            print("  preserved by generation 1:  %s"
                  % human(out["preserved_out_bytes"]))
    if g2:
        m = g2.match(HANDOVER_RE)
        if m:
            print("  handed over:                %s in %s units, %s ranges"
                  % (human(int(m.group(3))), m.group(2), m.group(1)))
            print("  handover metadata:          %s" % human(int(m.group(5))))
            ns = int(m.group(4))
            print("  early-boot reserve step:    %s"
                  % ("%.3f ms" % (ns / 1e6) if ns else
                     "not measured (0 ns: the clock was not running yet)"))
        p = g2.match(PASS_RE)
        if p:
            print("  restored and verified:      %s folios, %s"
                  % (p.group(1), human(int(p.group(2)))))
        restore, verify, init = g2.blackout_ms()
        if restore is not None:
            print("  blackout reboot->restore:   %.1f ms" % restore)
            print("  blackout reboot->verified:  %.1f ms" % verify)
        if init is not None:
            print("  reboot->init (userspace):   %.1f ms" % init)
    print("  QEMU run:                   %.1f s (log %s)"
          % (run.seconds, run.log))
    if c.passed:
        print("  result:                     PASS")
        return 0
    print("  result:                     FAIL")
    for ok, text in c.items:
        if not ok:
            print("    failed: " + text)
    for line in run.console[-15:]:
        print("    | " + line)
    return 1


def cmd_bench(args):
    if not args.no_build and not build(args):
        print("bench: build failed; see %s/build.log" % args.out)
        return 1
    if not kho_enabled(args.out):
        print("bench: the kernel in %s has no CONFIG_KEXEC_HANDOVER"
              % args.ksrc)
        return 1
    repeat = int(os.environ.get("KHO_BENCH_REPEAT", "3"))
    rc = 0

    def one(name, i, mem, g1, common=()):
        sc = Scenario("bench-%s-%d" % (name, i), name, gens=2, mem=mem,
                      timeout=600, common=common, gen_params={1: list(g1)})
        run = run_qemu(args.out, sc, verbose=args.verbose)
        c = evaluate(sc, run, args.out)
        g = run.gens.get(2)
        if not c.passed or not g:
            print("# %s run %d did not pass (log %s)" % (name, i, run.log),
                  flush=True)
        return g

    def runs(name, mem, g1, common=()):
        return [g for g in (one(name, i, mem, g1, common)
                            for i in range(repeat)) if g]

    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    def fmt(x, unit="ms"):
        return "%.2f %s" % (x, unit) if x is not None else "n/a"

    print("KHO QEMU benchmark (TCG, %d CPUs on the host, median of %d)"
          % (os.cpu_count(), repeat), flush=True)
    # Nothing preserved.  If the test module prints no TSC stamps when
    # nothing was handed over, fall back to 1 MiB of order-0 pages.
    empty = ("nothing preserved", [T + "preserve_mb=0"])
    g = one("blackout-empty", 0, "6G", empty[1])
    if not g or g.blackout_ms()[0] is None:
        print("# no restore stamp with nothing preserved: the baseline is "
              "1 MiB of order-0 pages", flush=True)
        empty = ("1 MiB order-0 preserved", [T + "order0_mb=1"])
    full = ("1 GiB order-0 + 1 GiB 2 MiB", [T + "order0_mb=1024",
                                            T + "pmd_mb=1024"])
    base, big = [], []
    for i in range(repeat):         # interleaved: drifts hit both alike
        base.append(one("blackout-empty", i, "6G", empty[1]))
        big.append(one("blackout-2g", i, "6G", full[1]))
    base = [g for g in base if g]
    big = [g for g in big if g]

    def blackout(gs, i):
        return med([g.blackout_ms()[i] for g in gs])

    print()
    print("| row | value | target | |")
    print("|---|---|---|---|")
    b_restore = (blackout(base, 0), blackout(big, 0))
    for what, idx in (("restore", 0), ("verified", 1), ("init", 2)):
        for (label, _), gs in ((empty, base), (full, big)):
            print("| blackout reboot->%s, %s | %s | | |"
                  % (what, label, fmt(blackout(gs, idx))))
    if None not in b_restore and b_restore[0] > 0:
        ratio = b_restore[1] / b_restore[0]
        print("| blackout ratio (reboot->restore) | %.3f | <= 1.10 | %s |"
              % (ratio, "met" if ratio <= 1.10 else "missed"))
    else:
        print("| blackout ratio (reboot->restore) | n/a | <= 1.10 | no data |")
        rc = 1
    frag = runs("fragment", "8G", [T + "fragment_mb=4096"])
    naive = runs("fragment-naive", "8G", [T + "fragment_mb=4096"],
                 common=["kho_debug_naive_reserve"])

    def reserve(gs):
        vals = []
        for g in gs:
            m = g.match(HANDOVER_RE)
            if m and int(m.group(4)):
                vals.append(int(m.group(4)) / 1e6)
            elif m:
                print("# %s: reserve step of 0 ns ignored (clock not "
                      "running yet)" % g.boot.get("scenario"))
        return med(vals)

    r_fast = reserve(frag)
    r_naive = reserve(naive)
    units = ""
    for g in frag:
        m = g.match(HANDOVER_RE)
        if m:
            units = " (%s ranges, %s units)" % (m.group(1), m.group(2))
            break
    print("| early-boot reserve, fragment_mb=4096%s | %s | <= 5 ms | %s |"
          % (units, fmt(r_fast), "n/a" if r_fast is None else
             ("met" if r_fast <= 5 else "missed")))
    print("| early-boot reserve, naive (kho_debug_naive_reserve) | %s | | |"
          % fmt(r_naive))
    if r_fast and r_naive:
        print("| naive / ours | %.1f x | | |" % (r_naive / r_fast))
    else:
        rc = 1
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", "--ksrc", default=os.environ.get(
        "KSRC", os.path.normpath(os.path.join(HERE, "../../../.."))))
    ap.add_argument("-o", "--out", default=os.environ.get(
        "KHO_OUT", os.path.join(os.getcwd(), "kho-x86")))
    ap.add_argument("--no-build", action="store_true",
                    help="use what is in OUTDIR as it is")
    ap.add_argument("-s", "--scenario", action="append",
                    help="run only this scenario (repeatable)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("-j", "--jobs", type=int,
                    default=int(os.environ.get("KHO_JOBS", "0")) or
                    len(os.sched_getaffinity(0)),
                    help="scenarios run at the same time (default: the "
                    "number of CPUs, or $KHO_JOBS); the benchmark and the "
                    "demo always run one")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="console on stderr, every check in the KTAP")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    args.ksrc = os.path.abspath(args.ksrc)
    os.makedirs(args.out, exist_ok=True)
    if args.list:
        for s in scenarios():
            print("%-12s %s%s" % (s.name, s.desc,
                                  "" if s.kho else " (no KHO needed)"))
        return 0
    if args.demo:
        return cmd_demo(args)
    if args.bench:
        return cmd_bench(args)
    return cmd_test(args)


if __name__ == "__main__":
    sys.exit(main())
