// Format1Decoder: wal2json's format-version 1, one document per transaction, written at commit
// (the grammar is at the top of wal2json_format1.cpp). A document is a whole transaction, so
// nothing stays open between documents.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "decode/decode_handler.hpp"
#include "decode/wal2json/wal2json_reader.hpp"

namespace sabot::decode::wal2json {

class Format1Decoder {
 public:
  // `reader` reads the documents; it must outlive this decoder.
  explicit Format1Decoder(DocumentReader& reader) : reader_(reader) {}

  // Decodes one parsed document completely, then calls `out`.
  void decode(od::document& doc, DecodeHandler& out);

 private:
  // Which of a column's fields a parallel array ("columnnames", "keyvalues", ...) holds.
  enum class Part { Name, Type, TypeOid, Value };

  // One "change" element, before the transaction around it is known.
  void read_change(od::value& v, ChangeEvent& event);
  // Fills `part` of columns[0..n) from the array, adding columns as needed; returns n.
  size_t read_parallel(od::value& v, std::vector<Column>& columns, Part part,
                       std::string_view what);
  void read_old_keys(od::value& v, ChangeEvent& event);
  void read_pk(od::value& v, std::vector<std::string_view>& out);
  void check_counts(std::vector<Column>& columns, size_t names, size_t values,
                    std::optional<size_t> types, std::optional<size_t> oids, std::string_view what);

  DocumentReader& reader_;
  std::vector<std::string_view> pk_scratch_;  // the "pknames" of the change being read
  // The events of the transaction being decoded (reused across calls).
  std::vector<ChangeEvent> events_;
};

}  // namespace sabot::decode::wal2json
