// Example 01 — basic CDC: stream ex01.products and print every insert, update (as a
// column-by-column diff of old and new) and delete, with its transaction id and LSN.
//
//   basic_cdc --dsn "host=... dbname=..." [--plugin pgoutput|wal2json] [--slot ex01_slot]
//
// It runs until Ctrl-C, the --end-lsn, or the workload's done message.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <sabot/sabot.hpp>

#include "change_printer.hpp"
#include "cli_args.hpp"
#include "stream_flags.hpp"
#include "transactions.hpp"

using namespace sabot;
using namespace sabot::examples;

int main(int argc, char** argv) {
  CLI::App app("Example 01: print each change of ex01.products with its transaction and LSN");
  StreamFlags flags("ex01_slot", "ex01_pub");
  flags.add_to(app);
  if (const auto status = parse_arguments(app, argc, argv)) return *status;

  try {
    PostgresCdcConfig config = flags.config();
    config.tables = {"ex01.products"};
    if (flags.check_args) return 0;
    PostgresCdcConnector connector(config);
    stop_on_signals(connector);
    connector.open();
    std::printf("Streaming slot %s (%s); Ctrl-C to stop.\n", config.slot_name.c_str(),
                flags.plugin.c_str());
    std::fflush(stdout);

    size_t transactions = 0;
    size_t changes = 0;
    for_each_transaction(connector, /*stop_at_done_message=*/true, [&](const Transaction& tx) {
      size_t row_changes = 0;
      for (const ChangeEvent& e : tx.events) row_changes += is_done_message(e) ? 0 : 1;
      if (row_changes == 0) return;  // the workload's done message alone
      std::string out = basic::describe_transaction(tx.transaction_id, tx.commit_lsn,
                                                    tx.commit_time, row_changes);
      for (const ChangeEvent& e : tx.events) {
        if (!is_done_message(e)) out += basic::describe_change(e, {"id"});
      }
      std::fputs(out.c_str(), stdout);
      std::fflush(stdout);
      ++transactions;
      changes += row_changes;
    });
    connector.close();
    std::printf("%zu transactions, %zu changes; slot confirmed up to %s\n", transactions, changes,
                connector.stats().flushed_lsn.to_string().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "basic_cdc: %s\n", e.what());
    return 1;
  }
  return 0;
}
