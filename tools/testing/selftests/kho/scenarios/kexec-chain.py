# SPDX-License-Identifier: GPL-2.0
"""Scenario kexec-chain: the plain kexec chain, without KHO."""

from vmtest import Scenario, check_kaslr, check_numa


def c_plain(c, sc, outdir):
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    c.ok(g1 and "method=syscall" in (g1.first("kexec") or ""),
         "generation 1 kexecs with kexec_file_load(2)")
    c.ok(g2 and "method=tools" in (g2.first("kexec") or ""),
         "generation 2 kexecs with kexec(8)")
    check_numa(c)
    check_kaslr(c)


SCENARIO = Scenario("kexec-chain", "plain kexec chain, no KHO: "
                    "kexec_file_load,"
                    " then kexec(8); 2 NUMA nodes, KASLR", gens=3, kho=False,
                    mem="1G", numa=True, kaslr=True,
                    gen_params={2: ["khotest.kexec=tools"]}, check=c_plain)
