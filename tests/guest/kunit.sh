#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/kunit.sh: the KUnit modules' suites (common.sh
# kunit_run: load, KTAP between markers, unload), then kmemleak.
. /guest/common.sh

kunit_run
kmemleak_check
finish
