#include "tst_llm.h"

QTEST_GUILESS_MAIN(TestLlm)
