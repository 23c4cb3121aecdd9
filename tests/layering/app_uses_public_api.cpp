// Must compile: the control for the tests above — an application including the public API.
#include "sabot/admin.hpp"
#include "sabot/jsonl.hpp"
#include "sabot/sabot.hpp"
