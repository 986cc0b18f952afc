# SPDX-License-Identifier: GPL-2.0
"""Scenario reserve-mem-trace: ftrace's persistent ring buffer in a
reserve_mem region across kexec.  Generation 1 records sched_switch events
and a marker in the boot-mapped instance; generation 2 asks for the same
region, gets the same physical range from the handover and finds the
previous kernel's events (KASLR on: another text offset); generation 3
asks for another size and generation 4 for an alignment the old address
does not meet: each gets a fresh region with one log line."""

import re

from vmtest import Scenario, check_run

PROG = "reserve_mem_trace"
MAPPED_RE = re.compile(r"Tracing: mapped boot instance boot_mapped at "
                       r"physical memory (0x[0-9a-f]+) of size (0x[0-9a-f]+)")
KEPT_RE = re.compile(r"reserve_mem: trace kept at (0x[0-9a-f]+) from the "
                     r"previous kernel")
FRESH = ("reserve_mem: trace was 8388608 bytes in the previous kernel, "
         "4194304 now: a fresh region")
ALIGN_RE = re.compile(r"^reserve_mem: trace was at (0x[0-9a-f]+) in the "
                      r"previous kernel, not aligned to 0x40000000: a fresh "
                      r"region$")
RECORDED_RE = re.compile(r"# recorded: boot_id=(\S+) events=(\d+)")
SEEN_RE = re.compile(r"# kept: boot_id=(\S+) marker=(\S+) events=(\d+)")


def mapped(c, n):
    g = c.run.gens.get(n)
    ms = [MAPPED_RE.search(m) for m in (g.msgs("Tracing: ") if g else [])]
    ms = [m.groups() for m in ms if m]
    c.ok(len(ms) == 1, "generation %d: the boot instance is mapped once (%s)"
         % (n, ms))
    return ms[0] if len(ms) == 1 else (None, None)


def run_line(c, n, regex):
    g = c.run.gens.get(n)
    r = g.runs.get(PROG) if g else None
    for line in (r["lines"] if r else []):
        m = regex.search(line)
        if m:
            return m
    return None


def c_trace(c, sc, outdir):
    check_run(c, 1, PROG, want=["global.record"])
    check_run(c, 2, PROG, want=["global.kept"])
    check_run(c, 3, PROG, want=["global.fresh"])
    a1, a2, a3 = (mapped(c, n) for n in (1, 2, 3))
    c.ok(a1[0] and a1 == a2, "generation 2: the instance is at generation "
         "1's address, same size (%s, %s)" % (a1, a2))
    g2 = c.run.gens.get(2)
    kept = [KEPT_RE.search(m) for m in (g2.msgs("reserve_mem: ") if g2
                                        else [])]
    kept = [int(m.group(1), 16) for m in kept if m]
    c.ok(a1[0] and kept == [int(a1[0], 16)], "generation 2: one line "
         "reserve_mem: trace kept at %s (%s)" % (a1[0], [hex(k) for k in kept]))
    rec, seen = run_line(c, 1, RECORDED_RE), run_line(c, 2, SEEN_RE)
    c.ok(rec and seen and seen.group(2) == rec.group(1) and
         seen.group(1) != rec.group(1),
         "generation 2 shows generation 1's marker (recorded in boot %s, "
         "seen from boot %s with marker %s)"
         % (rec and rec.group(1), seen and seen.group(1),
            seen and seen.group(2)))
    if seen:
        c.note("gen 2: %s sched_switch events of gen 1 before its marker "
               "(gen 1 counted %s)" % (seen.group(3), rec and rec.group(2)))
    delta = run_line(c, 2, re.compile(r"# last_boot_info: (.*)"))
    if delta:
        c.note("gen 2: last_boot_info: %s" % delta.group(1))
    g3 = c.run.gens.get(3)
    lines = g3.msgs("reserve_mem: ") if g3 else []
    c.ok(lines == [FRESH], "generation 3: one line: %s (%s)" % (FRESH, lines))
    c.ok(a3[0] and a3[0] != a1[0] and a3[1] == "0x400000",
         "generation 3: a fresh 4 MiB region (%s)" % (a3,))
    check_run(c, 4, PROG, want=["global.fresh"])
    a4 = mapped(c, 4)
    g4 = c.run.gens.get(4)
    lines = g4.msgs("reserve_mem: ") if g4 else []
    m = ALIGN_RE.match(lines[0]) if len(lines) == 1 else None
    c.ok(m and a3[0] and int(m.group(1), 16) == int(a3[0], 16),
         "generation 4: one line: trace was at %s ..., not aligned to "
         "0x40000000: a fresh region (%s)" % (a3[0], lines))
    c.ok(a4[0] and not int(a4[0], 16) & ((1 << 30) - 1),
         "generation 4: a fresh region aligned to 1 GiB (%s)" % (a4,))


BOOT = ["trace_instance=boot_mapped^traceoff@trace"]
SCENARIO = Scenario("reserve-mem-trace", "ftrace's boot-mapped instance in "
                    "a reserve_mem region keeps the previous kernel's events "
                    "across kexec; another size gets a fresh region",
                    gens=4, kaslr=True, common=BOOT,
                    gen_params={1: ["reserve_mem=8M:4096:trace",
                                    "khotest.run=/bin/%s:-t:record" % PROG],
                                2: ["reserve_mem=8M:4096:trace",
                                    "khotest.run=/bin/%s:-t:kept" % PROG],
                                3: ["reserve_mem=4M:4096:trace",
                                    "khotest.run=/bin/%s:-t:fresh" % PROG],
                                4: ["reserve_mem=4M:1G:trace",
                                    "khotest.run=/bin/%s:-t:fresh" % PROG]},
                    check=c_trace)
