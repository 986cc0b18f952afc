# SPDX-License-Identifier: GPL-2.0
"""Scenario luo-hold: the selftest of luo-hold (tools/liveupdate/), no
kexec: usage and exit codes, every kind of source, names refused before
anything is preserved, the holder keeping the session (and killing it
releasing it), restore without a session."""

from vmtest import Scenario, check_run, selftest_tests


def c_luo_hold(c, sc, outdir):
    want = (selftest_tests("luo_hold.c", "usage") +
            selftest_tests("luo_hold.c", "luo_hold"))
    c.ok(len(want) >= 12, "%d tests in luo_hold.c" % len(want))
    t = check_run(c, 1, "luo_hold", want=want)
    if t:
        c.ok(len(t.results) == len(want), "every test ran (%d of %d)"
             % (len(t.results), len(want)))


SCENARIO = Scenario("luo-hold", "luo-hold preserves memfds, /proc/PID/fd/N, "
                    "copied files and stdin in a held LUO session; its usage "
                    "errors and exit codes (no kexec)",
                    gens=1, gen_params={}, timeout=600,
                    common=["liveupdate=on", "khotest.run=/bin/luo_hold"],
                    check=c_luo_hold)
