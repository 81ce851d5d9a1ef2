#include "tst_samplers.h"

QTEST_GUILESS_MAIN(TestSamplers)
