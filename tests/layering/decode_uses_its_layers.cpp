// Must compile: the decode layer sees its own headers and those of the layers it links.
#include "base/byte_reader.hpp"
#include "decode/decode_handler.hpp"
#include "spill/held_event_store.hpp"
