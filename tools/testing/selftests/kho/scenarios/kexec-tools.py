# SPDX-License-Identifier: GPL-2.0
"""Scenario kexec-tools: kexec with Debian's kexec-tools."""

from vmtest import MiB, Scenario, T, check_first, check_handover


def c_tools(c, sc, outdir):
    check_first(c)
    check_handover(c, 2, min_bytes=32 * MiB)
    g1 = c.run.gens.get(1)
    c.ok(g1 and "method=tools" in (g1.first("kexec") or ""),
         "generation 1 kexecs with kexec -s -l / kexec -e")


SCENARIO = Scenario("kexec-tools", "kexec -s -l / kexec -e from Debian's "
                    "kexec-tools", gens=2, common=["khotest.kexec=tools"],
                    gen_params={1: [T + "preserve_mb=64", T + "seed=4"]},
                    check=c_tools)
