# SPDX-License-Identifier: GPL-2.0
"""Scenario liveupdate-refused: a file handler's freeze refuses the kexec,
three times; then the kexec carries everything over."""

from vmtest import Scenario, check_run


def c_refused(c, sc, outdir):
    check_run(c, 1, "luo_refused",
              want=["refused.handler_refuses_kexec"],
              may_skip=["global.carried_over"])
    check_run(c, 2, "luo_refused", want=["global.carried_over"],
              may_skip=["refused.handler_refuses_kexec"])
    g1 = c.run.gens.get(1)
    lines = g1.msgs("liveupdate: freeze failed") if g1 else []
    want = ["liveupdate: freeze failed for token 0x3 (handler "
            "liveupdate-test-v1): -71",
            "liveupdate: freeze failed for token 0x3 (handler "
            "liveupdate-test-v1): -11",
            "liveupdate: freeze failed for token 0x1 (handler "
            "liveupdate-test-v1): -18"]
    c.ok(lines == want, "generation 1: one 'freeze failed' line per refused "
         "kexec, with the handler's errno (%s)" % "; ".join(lines))
    g2 = c.run.gens.get(2)
    claims = g2.msgs("test_liveupdate: claimed") if g2 else []
    c.ok(len(claims) == 4, "generation 2: the test handler claimed its 4 "
         "files (%d)" % len(claims))


SCENARIO = Scenario("liveupdate-refused", "a file handler's freeze fails: "
                    "the kexec is refused with its errno and everything is "
                    "unfrozen; then the real kexec carries the state over",
                    gens=2, timeout=900, gen_params={},
                    common=["liveupdate=on", "khotest.run=/bin/luo_refused"],
                    check=c_refused)
