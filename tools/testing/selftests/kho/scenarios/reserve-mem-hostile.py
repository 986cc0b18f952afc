# SPDX-License-Identifier: GPL-2.0
"""Scenario reserve-mem-hostile: the previous kernel hands a reserve_mem
region over at an address that is not RAM (generation 1 -> 2), then at
RAM that it did not preserve (2 -> 3), through the debug hook
kexec_handover.test_subtree_u64.  Each next kernel refuses the region
with one log line, takes a fresh one, and boots."""

import re

from vmtest import Scenario

BAD = {2: ("0x7f0000000000", "the range is not RAM"),
       3: ("0x1000000", "the range was not preserved")}
MAPPED_RE = re.compile(r"Tracing: mapped boot instance boot_mapped at "
                       r"physical memory (0x[0-9a-f]+) ")
LINE = ("reserve_mem: not keeping trace from the previous kernel: %s; a "
        "fresh region")


def mapped(c, n):
    """Where generation n mapped its boot instance, or None."""
    g = c.run.gens.get(n)
    ms = [MAPPED_RE.search(m) for m in (g.msgs("Tracing: ") if g else [])]
    ms = [int(m.group(1), 16) for m in ms if m]
    return ms[0] if len(ms) == 1 else None


def c_hostile(c, sc, outdir):
    # the hook logs in the reboot path, after init's last look at the log
    edits = [line.split("] ", 1)[-1] for line in c.run.console
             if "KHO: test: subtree memblock: " in line]
    want = ["KHO: test: subtree memblock: /trace start set to %s" % a
            for a, _ in BAD.values()]
    c.ok(edits == want, "the kernels handed the region over at %s (%s)"
         % (" then ".join(a for a, _ in BAD.values()), edits))
    for n, (addr, why) in BAD.items():
        g = c.run.gens.get(n)
        lines = g.msgs("reserve_mem: ") if g else []
        c.ok(lines == [LINE % why], "generation %d: one line: %s (%s)"
             % (n, LINE % why, lines))
        # a fresh region: neither where the lie points nor the previous
        # kernel's own region, which stays reserved until KHO releases it
        old, new = mapped(c, n - 1), mapped(c, n)
        c.ok(new is not None and old is not None and
             new not in (int(addr, 16), old),
             "generation %d: the instance is in a fresh region (%s, was %s)"
             % (n, new if new is None else hex(new),
                old if old is None else hex(old)))


def corrupt(addr):
    return "khotest.set=test_subtree_u64:memblock:/trace:start=" + addr


BOOT = ["reserve_mem=8M:4096:trace",
        "trace_instance=boot_mapped^traceoff@trace"]
SCENARIO = Scenario("reserve-mem-hostile", "a reserve_mem region handed "
                    "over outside RAM, then at RAM not preserved: refused "
                    "with one line each, a fresh region each time",
                    gens=3, common=BOOT,
                    gen_params={1: [corrupt(BAD[2][0])],
                                2: [corrupt(BAD[3][0])]},
                    check=c_hostile)
