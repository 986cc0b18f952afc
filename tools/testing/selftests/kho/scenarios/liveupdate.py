# SPDX-License-Identifier: GPL-2.0
"""Scenario liveupdate: the uAPI selftest of /dev/liveupdate, no kexec."""

from vmtest import Scenario, check_run, selftest_tests


def c_liveupdate(c, sc, outdir):
    want = selftest_tests("liveupdate.c", "liveupdate")
    c.ok(len(want) >= 20, "%d tests in liveupdate.c" % len(want))
    t = check_run(c, 1, "liveupdate", want=want)
    if t:
        c.ok(len(t.results) == len(want), "every test ran (%d of %d)"
             % (len(t.results), len(want)))
    g = c.run.gens.get(1)
    errs = [m for lvl, m in (g.kmsg if g else [])
            if lvl <= 3 and m.startswith("liveupdate:")]
    c.ok(not errs, "no LUO error in the kernel log%s"
         % (": " + errs[0] if errs else ""))


SCENARIO = Scenario("liveupdate", "the /dev/liveupdate uAPI: every ioctl and "
                    "errno, size rules, memfd preserve and unpreserve, "
                    "10,000 sessions and 100,000 files (no kexec)",
                    gens=1, gen_params={}, timeout=2400,
                    common=["liveupdate=on", "khotest.run=/bin/liveupdate"],
                    check=c_liveupdate)
