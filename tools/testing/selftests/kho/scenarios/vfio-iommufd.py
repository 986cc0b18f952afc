# SPDX-License-Identifier: GPL-2.0
"""Scenario vfio-iommufd: vfio-vtd with the edu opened through its cdev
(/dev/vfio/devices/vfioN) and attached to an iommufd IOAS that maps the
memfd at an IOVA that is not its physical address.  The retrieved cdev
file is bound to a new iommufd whose IOAS maps the memfd at the same
IOVA before the device is attached, so the device is never without a
mapping."""

import importlib.util
import os

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vfio-vtd.py")
_SPEC = importlib.util.spec_from_file_location("kho_scenario_vfio_vtd_checks",
                                               _PATH)
vtd = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(vtd)

SCENARIO = vtd.scenario("vfio-iommufd", "a vfio-pci device behind VT-d "
                        "(edu, cdev and iommufd IOAS) keeps translating "
                        "across the kexec, a DMA in flight lands at its "
                        "IOVA", "iommufd",
                        ["khotest.vfio=iommufd",
                         "iommufd.allow_unsafe_interrupts=1"])
