# SPDX-License-Identifier: GPL-2.0
"""Scenario vmm-qemu-hugetlb: vmm-qemu with the guest RAM in 2 MiB huge
pages (memory-backend-memfd,hugetlb=on,hugetlbsize=2M), as hypervisors
back their guests, and the device state migrated straight into a memfd
that QEMU gets by SCM_RIGHTS (getfd, then migrate fd:state) instead of a
file; the next kernel's hugetlb pool counts the preserved pages, and the
new QEMU maps them through memory-backend-file."""

from vmtest import HUGETLB_BOOT_RE, Scenario, check_qemu_vmm, qemu_vmm_rows

QEMU = "/usr/bin/qemu-system-x86_64"


def c_qemu(c, sc, outdir):
    rep = check_qemu_vmm(c)
    if rep:
        c.ok(rep.get("huge_kb") == 2048, "the guest RAM was in 2 MiB pages")
        for label, val in qemu_vmm_rows(rep):
            c.note("%s %s" % (label, val))
    g2 = c.run.gens.get(2)
    boot = [HUGETLB_BOOT_RE.search(m) for m in (g2.msgs("HugeTLB: ") if g2
                                                 else [])]
    boot = [m.groups() for m in boot if m]
    c.ok(boot == [("64", "2.00 MiB", "0")], "generation 2: the boot pool "
         "counted the 64 preserved 2 MiB pages as allocated (%s)" % boot)


SCENARIO = Scenario("vmm-qemu-hugetlb", "vmm-qemu with the guest RAM in a "
                    "hugetlb memfd of 2 MiB pages, the device state "
                    "migrated into a memfd", gens=2, mem="2G",
                    timeout=900, initrd="initramfs-qemu.cpio", gen_params={},
                    common=["liveupdate=on", "hugepagesz=2M", "hugepages=64",
                            "khotest.run=/bin/luo_qemu:-k:-f:-H:2M:-q:" + QEMU],
                    check=c_qemu)
