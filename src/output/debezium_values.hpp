// Column values as Debezium's PostgreSQL connector writes them under Kafka Connect's
// JsonConverter (schemas.enable=false) with its defaults, except decimal.handling.mode=string:
// time.precision.mode=adaptive, binary.handling.mode=bytes (base64 in JSON),
// interval.handling.mode=numeric, hstore.handling.mode=json. debezium_types.hpp says which
// mapping a type gets; README "Debezium format" lists them and where we differ.
//
// Errors: a value whose text does not have the form the mapping reads (which our connections'
// DateStyle/IntervalStyle settings rule out) throws CdcError{ValueConversion} naming the column,
// its type and the text.
#pragma once

#include <string>
#include <string_view>

#include "output/debezium_types.hpp"
#include "sabot/change_event.hpp"

namespace sabot::output {

// What Debezium writes for an unchanged TOAST value (unavailable.value.placeholder's default).
inline constexpr std::string_view kDebeziumUnavailableValue = "__debezium_unavailable_value";

// Appends the JSON value of `column`: null for NULL, the placeholder (in the column type's
// shape) for an unchanged TOAST value.
void append_debezium_value(std::string& out, const Column& column);

// Appends the JSON value of one non-NULL text form of `type` (an array element, a column).
// `column_name` is only named in errors.
void append_debezium_text(std::string& out, const DebeziumType& type, std::string_view text,
                          std::string_view column_name);

// Standard base64 (RFC 4648, with padding), as Kafka's JsonConverter writes BYTES.
void append_base64(std::string& out, std::string_view bytes);

}  // namespace sabot::output
