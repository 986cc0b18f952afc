# SPDX-License-Identifier: GPL-2.0
"""Scenario liveupdate-hugetlb: hugetlb memfds of 1 GiB and 2 MiB pages
across one kexec (tools/testing/selftests/liveupdate/luo_hugetlb.c): the
same huge pages with the same bytes, holes and seals, the pool counters
of the first kernel in the second, unretrieved pages back in the pool,
zeroed."""

import re

from vmtest import (HUGETLB_BOOT_RE, HUGETLB_POOL, Scenario, check_run,
                    hugetlb_taken, run_msgs, selftest_tests)

PRESERVED_RE = re.compile(r"luo_hugetlb: preserved (\d+)kB folios=(\d+) "
                          r"unretrieved=(\d+)")
# hugepages= of HUGETLB_POOL, by page size in kB
POOL = {1 << 20: 4, 2048: 64}
SIZE = {1 << 20: "1.00 GiB", 2048: "2.00 MiB"}


def c_hugetlb(c, sc, outdir):
    for n in (1, 2):
        want = selftest_tests("luo_hugetlb.c", "stage%d" % n)
        c.ok(want, "stage %d has tests" % n)
        check_run(c, n, "luo_hugetlb", want=want)
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    kept = {}
    for line in run_msgs(g1, "luo_hugetlb", "luo_hugetlb: "):
        m = PRESERVED_RE.search(line)
        if m:
            kept[int(m.group(1))] = int(m.group(2))
        elif " pool " in line or "pfn of folio" in line:
            c.note("gen 1: " + line)
    if not c.ok(kept.get(1 << 20) and kept.get(2048),
                "generation 1: luo_hugetlb preserved 1 GiB and 2 MiB folios "
                "(%s)" % kept):
        return
    for line in run_msgs(g2, "luo_hugetlb", "luo_hugetlb: "):
        if any(w in line for w in (" pool ", "pfns_same", "finish",
                                   "new ", "pfn of folio")):
            c.note("gen 2: " + line)
    if not g2:
        return
    # The boot pool counts the preserved pages as allocated already.
    boot = {}
    for msg in g2.msgs("HugeTLB: "):
        m = HUGETLB_BOOT_RE.search(msg)
        if m:
            boot.setdefault(m.group(2), []).append(
                (int(m.group(1)), int(m.group(3))))
            c.note("gen 2: " + msg)
    for kb in (1 << 20, 2048):
        lines = boot.get(SIZE[kb], [])
        want = (kept[kb], POOL[kb] - kept[kb])
        if kb == 2048 and not lines:
            continue        # 2 MiB pages come from the buddy allocator
        c.ok(lines == [want], "generation 2: 'HugeTLB: %d of page size %s "
             "preserved across kexec, %d allocated' (%s)"
             % (want[0], SIZE[kb], want[1], lines))
    taken = hugetlb_taken(g2)
    if c.ok(len(taken) == 1, "generation 2: one 'preserved huge pages taken "
            "into the pool' line (%d)" % len(taken)):
        t = taken[0]
        a, b = t["sizes"].get(SIZE[2048]), t["sizes"].get(SIZE[1 << 20])
        c.ok((t["n"], a, b) == (kept[2048] + kept[1 << 20], kept[2048],
                                kept[1 << 20]),
             "generation 2: %d huge pages taken, %s of 2 MiB and %s of 1 GiB "
             "(stage 1 preserved %d and %d)" % (t["n"], a, b, kept[2048],
                                                 kept[1 << 20]))
        c.ok(t["hvo"] == t["n"], "generation 2: every preserved huge page "
             "vmemmap-optimized (%d of %d)" % (t["hvo"], t["n"]))
        c.note("gen 2: %d preserved huge pages taken into the pool in %d us"
               % (t["n"], t["us"]))
    for what in ("hugetlb_kho: refusing",):
        bad = g2.msgs(what)
        c.ok(not bad, "generation 2: no '%s' line%s"
             % (what, (": " + bad[0]) if bad else ""))
    unclaimed = [m for m in g2.msgs("hugetlb_kho: ") if "unclaimed" in m]
    c.ok(all(m.startswith("hugetlb_kho: 0 ") for m in unclaimed),
         "generation 2: every preserved huge page was claimed by its file%s"
         % ((": " + unclaimed[0]) if unclaimed else ""))
    for n, g in ((1, g1), (2, g2)):
        bad = [m for lvl, m in (g.kmsg if g else [])
               if lvl <= 3 and (m.startswith("liveupdate:") or
                                m.startswith("hugetlb_kho:") or
                                m.startswith("HugeTLB"))]
        c.ok(not bad, "generation %d: no LUO or hugetlb error%s"
             % (n, (": " + bad[0]) if bad else ""))


SCENARIO = Scenario("liveupdate-hugetlb", "memfds of 1 GiB and 2 MiB huge "
                    "pages kept across a kexec: same pages, bytes, holes, "
                    "seals and pool counters; unretrieved pages back in the "
                    "pool, zeroed",
                    gens=2, mem="8G", cpu="max", timeout=1500, gen_params={},
                    common=["liveupdate=on"] + HUGETLB_POOL +
                    ["khotest.run=/bin/luo_hugetlb"],
                    check=c_hugetlb)
