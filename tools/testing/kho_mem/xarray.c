// SPDX-License-Identifier: GPL-2.0
/* lib/xarray.c, unchanged, on tools/testing/shared (without XA_DEBUG). */
#include "shared.h"

#include "../../../lib/xarray.c"
