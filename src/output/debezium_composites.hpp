// The Debezium renderings that read a structured text form: arrays ("{1,2,NULL}", nested,
// quoted elements), hstore ("\"k\"=>\"v\", \"n\"=>NULL") and point ("(x,y)").
// Errors: CdcError{ValueConversion} naming the column and the text (see debezium_values.hpp).
#pragma once

#include <string>
#include <string_view>

#include "output/debezium_types.hpp"

namespace sabot::output {

// A JSON array (nested for a multi-dimensional array) of the element type's renderings; NULL
// elements are null. A "[lower:upper]=" dimension prefix is dropped.
void append_array(std::string& out, const DebeziumType& array_type, std::string_view text,
                  std::string_view column);
// A JSON string holding a JSON object of the pairs, in the order PostgreSQL printed them.
void append_hstore(std::string& out, std::string_view text, std::string_view column);
// {"x":X,"y":Y,"wkb":BASE64,"srid":null}: wkb is the point as OGC Well-Known Binary
// (little-endian).
void append_point(std::string& out, std::string_view text, std::string_view column);

}  // namespace sabot::output
