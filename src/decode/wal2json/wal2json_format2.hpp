// Format2Decoder: wal2json's format-version 2, one document per action (the grammar is at the
// top of wal2json_format2.cpp). Keeps the open transaction between documents: a change must come
// between the "B" and the "C" of its transaction.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "decode/decode_handler.hpp"
#include "decode/wal2json/wal2json_reader.hpp"

namespace sabot::decode::wal2json {

struct V2Doc;  // the fields of one document (wal2json_format2.cpp)

class Format2Decoder {
 public:
  // `reader` reads the documents; it must outlive this decoder.
  explicit Format2Decoder(DocumentReader& reader) : reader_(reader) {}

  // Decodes one parsed document completely, then calls `out`.
  void decode(od::document& doc, DecodeHandler& out);
  // Between a "B" and its "C".
  bool in_transaction() const { return in_tx_; }
  // Forgets the open transaction.
  void reset() {
    in_tx_ = false;
    begin_ = TxBegin{};
  }

 private:
  void read_field(od::field& field, V2Doc& doc);
  void read_columns(od::value& v, std::vector<Column>& out, std::string_view what);
  void read_pk(od::value& v, std::vector<std::string_view>& out);
  void dispatch(V2Doc& doc, DecodeHandler& out);
  ChangeEvent make_event(V2Doc& doc, Op op);

  DocumentReader& reader_;
  std::vector<std::string_view> pk_scratch_;  // the "pk" names of the document
  // Column count of the widest row seen, to size each row's vectors in one allocation.
  size_t columns_hint_ = kInitialColumnsHint;

  // The open transaction.
  bool in_tx_ = false;
  TxBegin begin_;
};

}  // namespace sabot::decode::wal2json
