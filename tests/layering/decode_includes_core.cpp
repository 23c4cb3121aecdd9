// Must not compile: core builds on decode, never the other way round (no core <-> decode cycle).
#include "core/transaction_assembler.hpp"
