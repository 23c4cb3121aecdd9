#include "slot_polling.hpp"

#include <optional>
#include <stdexcept>

namespace sabot::test {

namespace {

std::string slot_column(const LocalPostgres& pg, const std::string& column,
                        const std::string& slot) {
  return pg.sql("SELECT " + column + " FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
}

}  // namespace

Lsn confirmed_flush_lsn(const LocalPostgres& pg, const std::string& slot) {
  const std::string text = slot_column(pg, "confirmed_flush_lsn", slot);
  const std::optional<Lsn> lsn = Lsn::parse(text);
  if (!lsn) {
    throw std::runtime_error("slot " + slot + " has no confirmed_flush_lsn ('" + text + "')");
  }
  return *lsn;
}

bool slot_is_active(const LocalPostgres& pg, const std::string& slot) {
  return slot_column(pg, "active", slot) == "t";
}

}  // namespace sabot::test
