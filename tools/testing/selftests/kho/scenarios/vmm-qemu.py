# SPDX-License-Identifier: GPL-2.0
"""Scenario vmm-qemu: Debian's QEMU runs a tiny guest whose RAM is a
shared memfd; the update pauses it, migrates only its device state (the
x-ignore-shared capability), and luo-hold keeps the RAM memfd and the
state across the kexec.  After it, luo-hold restore starts a new QEMU on
the same RAM with the state as its -incoming stream, and the guest goes
on counting from where it was, its RAM at the same PFNs, never copied."""

from vmtest import Scenario, check_qemu_vmm, qemu_vmm_rows

QEMU = "/usr/bin/qemu-system-x86_64"


def c_qemu(c, sc, outdir):
    rep = check_qemu_vmm(c)
    if rep:
        for label, val in qemu_vmm_rows(rep):
            c.note("%s %s" % (label, val))


SCENARIO = Scenario("vmm-qemu", "QEMU keeps its guest across the host kexec: "
                    "RAM in a memfd held by luo-hold, device state migrated "
                    "with x-ignore-shared", gens=2, mem="2G", timeout=900,
                    initrd="initramfs-qemu.cpio", gen_params={},
                    common=["liveupdate=on",
                            "khotest.run=/bin/luo_qemu:-k:-q:" + QEMU],
                    check=c_qemu)
