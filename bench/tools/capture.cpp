// sabot-bench-capture: records the XLogData payloads of a logical replication slot, started with
// exactly the plugin options sabot-cdc sends, into a capture file (capture_file.hpp) for the
// decoder micro-benchmarks. Confirms nothing to the server: the slot does not move.
//
//   sabot-bench-capture --dsn DSN --slot NAME --plugin pgoutput|wal2json [--format-version 1|2]
//                       [--publication NAME] --end-lsn X/Y [--max-bytes N] --out FILE
//
// Stops at the first message past --end-lsn, at a keepalive reporting the server at or past it,
// or once --max-bytes of payload were written (a stream cut in the middle of a transaction is
// fine for a decoder benchmark). Prints "messages=N bytes=N" on stdout.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <variant>

#include "capture_file.hpp"
#include "tool_flags.hpp"
#include "engine/plugin_setup.hpp"
#include "decode/copy_frame.hpp"
#include "decode/pgoutput/pgoutput_decoder.hpp"
#include "pg/admin.hpp"
#include "pg/pg_connection.hpp"
#include "pg/replication_stream.hpp"
#include "sabot/config.hpp"
#include "sabot/error.hpp"

namespace {

struct Args : sabot_bench::SlotFlags {
  std::string end_lsn, out;
  size_t max_bytes = size_t{32} << 20;
};

Args parse_args(int argc, char** argv) {
  Args a;
  CLI::App app{"sabot-bench-capture: records the XLogData payloads of a slot to a capture file"};
  sabot_bench::add_slot_flags(app, a);
  app.add_option("--end-lsn", a.end_lsn, "stop at the first message past this LSN (X/Y)")
      ->required();
  app.add_option("--max-bytes", a.max_bytes, "stop once this many payload bytes were written")
      ->capture_default_str();
  app.add_option("--out", a.out, "capture file to write")->required();
  sabot_bench::parse_or_exit(app, argc, argv);
  return a;
}

int run(const Args& args) {
  using namespace sabot;
  const auto end_lsn = Lsn::parse(args.end_lsn);
  if (!end_lsn) throw CdcError(ErrorKind::Config, "--end-lsn is not an LSN: " + args.end_lsn);

  PostgresCdcConfig config;
  config.dsn = args.dsn;
  config.slot_name = args.slot;
  config.plugin = parse_plugin(args.plugin);
  config.wal2json_format_version = args.format_version;
  config.publication_name = args.publication;

  pg::PgConnection conn(config, pg::ConnectionKind::Replication);
  pg::ReplicationStream stream(conn);
  stream.identify_system();
  const engine::PluginSetup setup =
      engine::make_plugin_setup(config, TableFilter{}, conn.server_version(), /*spill_dir=*/"");

  bench::CaptureHeader header;
  header.plugin = args.plugin;
  if (config.plugin == Plugin::Wal2json) {
    header.format_version = args.format_version;
  } else {
    header.protocol_version =
        dynamic_cast<const decode::PgoutputDecoder&>(*setup.decoder).options().protocol_version;
  }
  bench::CaptureWriter writer(args.out, header);

  stream.start(config.slot_name, Lsn(), setup.options);
  size_t messages = 0, bytes = 0;
  Lsn received;
  bool done = false;
  while (!done) {
    const pg::StreamRead read = stream.read();
    switch (read.kind) {
      case pg::StreamRead::Kind::Frame: {
        const decode::CopyFrame frame = decode::parse_copy_frame(read.frame);
        if (const auto* msg = std::get_if<decode::XLogData>(&frame)) {
          if (msg->wal_start > *end_lsn) {
            done = true;
            break;
          }
          writer.append(msg->wal_start.value(), msg->data);
          ++messages;
          bytes += msg->data.size();
          received = std::max(received, msg->wal_start);
          if (bytes >= args.max_bytes) done = true;
        } else {
          const auto& keepalive = std::get<decode::PrimaryKeepalive>(frame);
          if (keepalive.wal_end >= *end_lsn) done = true;
          // Report what was received, confirm nothing: the slot stays where it was.
          if (keepalive.reply_requested) stream.send_status(received, Lsn(), Lsn());
        }
        break;
      }
      case pg::StreamRead::Kind::WouldBlock:
        // Ask for the server's position so an end already reached is noticed at once.
        if (!stream.wait_readable(std::chrono::milliseconds(500))) {
          stream.send_status(received, Lsn(), Lsn(), /*reply_now=*/true);
        }
        break;
      case pg::StreamRead::Kind::Ended:
        throw CdcError(ErrorKind::Connection, "the server ended the stream");
    }
  }
  stream.finish();
  writer.close();
  std::printf("messages=%zu bytes=%zu\n", messages, bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sabot-bench-capture: error: %s\n", e.what());
    return 1;
  }
}
