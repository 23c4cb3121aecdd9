// Must not compile: applications see include/sabot only, never the library's layers.
#include "engine/plugin_setup.hpp"
