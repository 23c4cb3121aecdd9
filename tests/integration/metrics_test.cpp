// Metrics scraped over HTTP during a real stream move as the stream does: events, LSNs, the
// delivery latency histogram, the slot's retained WAL, events dropped by the table filter,
// snapshot rows per table, and the sink's retries and queue while redis-server is down; /healthz
// and /readyz answer; no password appears in them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "local_postgres.hpp"
#include "local_redis.hpp"
#include "sabot/redis_sink.hpp"
#include "sabot/status_file.hpp"

using sabot::test::LocalPostgres;
using sabot::test::LocalRedis;
using sabot::test::spawn_cli;
using sabot::test::sql_on;
using sabot::test::wait_for_exit;

namespace {

// A free port for this stream's metrics: the kernel picks it (an ephemeral one, outside the
// ranges the PostgreSQL and Redis fixtures use), so parallel test processes do not collide.
int metrics_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free port for the metrics server");
  return ntohs(address.sin_port);
}

std::optional<std::string> get(int port, const std::string& path, int* status = nullptr) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  auto res = client.Get(path.c_str());
  if (!res) return std::nullopt;
  if (status) *status = res->status;
  return res->body;
}

// The value of `name{slot="...",sink="..."...}` in a scrape, or nullopt.
std::optional<double> value_of(const std::string& scrape, const std::string& name,
                               const std::string& extra = "") {
  const std::regex line("(^|\n)" + name + "\\{[^}]*" + extra + "[^}]*\\} ([-+0-9.e]+)");
  std::smatch m;
  if (!std::regex_search(scrape, m, line)) return std::nullopt;
  return std::stod(m[2].str());
}

// Polls /metrics until `ok` holds for a scrape (bounded); returns the last scrape.
template <typename Pred>
std::string scrape_until(int port, Pred ok, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto body = get(port, "/metrics")) {
      last = *body;
      if (ok(last)) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

// Waits (bounded) until /readyz answers 200: the stream is connected and streaming.
bool wait_ready(int port) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int ready = 0;
  while (std::chrono::steady_clock::now() < deadline && ready != 200) {
    get(port, "/readyz", &ready);
    if (ready != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ready == 200;
}

}  // namespace

TEST(Metrics, ScrapedDuringAStreamTheyMoveWithIt) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("metrics_stream");
  sql_on(dsn,
         "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'metrics_user') THEN "
         "CREATE ROLE metrics_user LOGIN SUPERUSER PASSWORD 'Metr1cs-pw'; END IF; END $$;"
         "CREATE TABLE public.items (id int PRIMARY KEY, name text)");
  std::string user_dsn = pg.tcp_dsn("metrics_user", "Metr1cs-pw");
  user_dsn.replace(user_dsn.find("dbname=sabot"), 12, "dbname=metrics_stream");
  const int port = metrics_port();
  const std::string out = pg.dir() + "/metrics_stream.out";
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", user_dsn, "--slot", "metrics_slot",
                             "--create-slot", "--output", pg.dir() + "/metrics_stream.jsonl",
                             "--metrics-listen", "127.0.0.1:" + std::to_string(port)},
                            out);

  ASSERT_TRUE(wait_ready(port));  // ready once streaming
  int health = 0;
  ASSERT_TRUE(get(port, "/healthz", &health));
  EXPECT_EQ(health, 200);

  const std::string before = scrape_until(port, [](const std::string& s) {
    return value_of(s, "sabot_cdc_streaming").value_or(0) == 1;
  });
  const double lsn_before = value_of(before, "sabot_cdc_received_lsn").value_or(0);

  for (int i = 0; i < 5; ++i) {
    sql_on(dsn, "INSERT INTO public.items SELECT g, 'n' FROM generate_series(" +
                    std::to_string(i * 20 + 1) + ", " + std::to_string(i * 20 + 20) + ") g");
  }
  const std::string after = scrape_until(port, [](const std::string& s) {
    return value_of(s, "sabot_cdc_events_total").value_or(0) >= 100 &&
           value_of(s, "sabot_cdc_delivery_seconds_count").value_or(0) >= 5 &&
           value_of(s, "sabot_cdc_slot_retained_wal_bytes").value_or(-1) >= 0;
  });
  EXPECT_EQ(value_of(after, "sabot_cdc_events_total"), 100) << after;
  EXPECT_EQ(value_of(after, "sabot_cdc_transactions_total"), 5) << after;
  EXPECT_GT(value_of(after, "sabot_cdc_received_lsn").value_or(0), lsn_before) << after;
  EXPECT_GT(value_of(after, "sabot_cdc_received_bytes_total").value_or(0), 0) << after;
  EXPECT_GE(value_of(after, "sabot_cdc_delivery_seconds_count").value_or(0), 5) << after;
  EXPECT_GE(value_of(after, "sabot_cdc_slot_retained_wal_bytes").value_or(-1), 0) << after;
  EXPECT_TRUE(value_of(after, "sabot_cdc_delivery_seconds_bucket", "le=\"\\+Inf\"").has_value());
  EXPECT_NE(after.find("slot=\"metrics_slot\",sink=\"file\""), std::string::npos) << after;
  // The confirmed position follows once the stream is caught up and reports.
  const std::string confirmed = scrape_until(port, [&](const std::string& s) {
    return value_of(s, "sabot_cdc_confirmed_lsn").value_or(0) > lsn_before;
  });
  EXPECT_GT(value_of(confirmed, "sabot_cdc_confirmed_lsn").value_or(0), lsn_before) << confirmed;
  EXPECT_EQ(after.find("Metr1cs-pw"), std::string::npos);

  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for_exit(pid, std::chrono::seconds(30)), 0);
  // Nor in the status file or the stream's own output.
  for (const std::string& path : {sabot::default_status_file("metrics_slot"), out}) {
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find("Metr1cs-pw"), std::string::npos) << path;
  }
  sql_on(dsn, "SELECT pg_drop_replication_slot('metrics_slot')");
}

TEST(Metrics, ATakenPortIsAnErrorAtStart) {
  const std::string dsn = LocalPostgres::shared().fresh_database("metrics_port");
  httplib::Server blocker;
  const int port = blocker.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  const std::string log = LocalPostgres::shared().dir() + "/metrics_port.out";
  const int pid =
      spawn_cli({"stream", "--quiet", "--dsn", dsn, "--slot", "metrics_port_slot", "--create-slot",
                 "--metrics-listen", "127.0.0.1:" + std::to_string(port)},
                log);
  const auto code = wait_for_exit(pid, std::chrono::seconds(30));
  if (!code) ::kill(pid, SIGKILL);  // it started streaming: the port was shared, not refused
  EXPECT_EQ(code, 1);
  std::ifstream in(log);
  const std::string err((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << err;
}

// A publication FOR ALL TABLES with a narrower --tables: the other table's changes are decoded and
// counted as filtered; the initial snapshot of the captured table shows its rows done and
// estimated, labelled with the table.
TEST(Metrics, FilteredEventsAndSnapshotRowsPerTable) {
  LocalPostgres& pg = LocalPostgres::shared();
  const std::string dsn = pg.fresh_database("metrics_snapshot");
  sql_on(dsn,
         "CREATE TABLE public.kept (id int PRIMARY KEY, v text);"
         "CREATE TABLE public.other (id int PRIMARY KEY);"
         "INSERT INTO public.kept SELECT g, 'v' FROM generate_series(1, 500) g;"
         "ANALYZE public.kept;"
         "CREATE PUBLICATION metrics_all FOR ALL TABLES");
  const int port = metrics_port();
  const int pid =
      spawn_cli({"stream", "--quiet", "--dsn", dsn, "--slot", "metrics_snap_slot", "--create-slot",
                 "--publication", "metrics_all", "--tables", "public.kept", "--snapshot", "initial",
                 "--snapshot-chunk-rows", "100", "--output", pg.dir() + "/metrics_snapshot.jsonl",
                 "--metrics-listen", "127.0.0.1:" + std::to_string(port)},
                pg.dir() + "/metrics_snapshot.out");
  ASSERT_TRUE(wait_ready(port));

  const std::string table = "table=\"public\\.kept\"";
  const std::string snap = scrape_until(port, [&](const std::string& s) {
    return value_of(s, "sabot_cdc_snapshot_rows_done", table).value_or(0) == 500;
  });
  EXPECT_EQ(value_of(snap, "sabot_cdc_snapshot_rows_done", table), 500) << snap;
  EXPECT_EQ(value_of(snap, "sabot_cdc_snapshot_rows_estimated", table), 500) << snap;
  EXPECT_EQ(value_of(snap, "sabot_cdc_events_filtered_total"), 0) << snap;

  sql_on(dsn, "INSERT INTO public.other SELECT generate_series(1, 7)");
  sql_on(dsn, "INSERT INTO public.kept VALUES (501, 'new')");
  const std::string after = scrape_until(port, [](const std::string& s) {
    return value_of(s, "sabot_cdc_events_total").value_or(0) >= 501;
  });
  EXPECT_EQ(value_of(after, "sabot_cdc_events_filtered_total"), 7) << after;
  EXPECT_EQ(value_of(after, "sabot_cdc_events_total"), 501) << after;

  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for_exit(pid, std::chrono::seconds(30)), 0);
  sql_on(dsn, "SELECT pg_drop_replication_slot('metrics_snap_slot')");
}

// redis-server stopped mid-stream: the sink's retries count up and its queue holds the undelivered
// events; once it is back, the queue drains to zero and every event is counted.
TEST(Metrics, SinkRetriesAndQueueWhileRedisIsDown) {
  LocalPostgres& pg = LocalPostgres::shared();
  LocalRedis redis(/*appendonly=*/true);
  const std::string dsn = pg.fresh_database("metrics_sink");
  sql_on(dsn, "CREATE TABLE public.items (id int PRIMARY KEY, name text)");
  const int port = metrics_port();
  const int pid = spawn_cli({"stream", "--quiet", "--dsn", dsn, "--slot", "metrics_sink_slot",
                             "--create-slot", "--sink", redis.url(), "--sink-retry-max-ms", "200",
                             "--metrics-listen", "127.0.0.1:" + std::to_string(port)},
                            pg.dir() + "/metrics_sink.out");
  ASSERT_TRUE(wait_ready(port));
  sql_on(dsn, "INSERT INTO public.items VALUES (1, 'before')");
  scrape_until(port, [](const std::string& s) {
    return value_of(s, "sabot_cdc_events_total").value_or(0) >= 1;
  });

  redis.stop();
  sql_on(dsn, "INSERT INTO public.items SELECT g, 'n' FROM generate_series(2, 11) g");
  const std::string down = scrape_until(port, [](const std::string& s) {
    return value_of(s, "sabot_cdc_sink_retries_total").value_or(0) >= 2 &&
           value_of(s, "sabot_cdc_sink_queued_events").value_or(0) >= 10;
  });
  EXPECT_GE(value_of(down, "sabot_cdc_sink_retries_total").value_or(0), 2) << down;
  EXPECT_GE(value_of(down, "sabot_cdc_sink_queued_events").value_or(0), 10) << down;
  EXPECT_GT(value_of(down, "sabot_cdc_sink_queued_bytes").value_or(0), 0) << down;
  EXPECT_NE(down.find("sink=\"redis\""), std::string::npos) << down;

  redis.start();
  const std::string back = scrape_until(port, [](const std::string& s) {
    return value_of(s, "sabot_cdc_sink_queued_events").value_or(-1) == 0 &&
           value_of(s, "sabot_cdc_delivery_seconds_count").value_or(0) >= 2;
  });
  EXPECT_EQ(value_of(back, "sabot_cdc_sink_queued_events"), 0) << back;
  EXPECT_EQ(value_of(back, "sabot_cdc_sink_queued_bytes"), 0) << back;
  EXPECT_EQ(value_of(back, "sabot_cdc_events_total"), 11) << back;
  for (int id = 1; id <= 11; ++id) {
    EXPECT_FALSE(
        redis.hash(sabot::redis_row_key("sabot", "public", "items", {std::to_string(id)})).empty())
        << id;
  }

  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for_exit(pid, std::chrono::seconds(30)), 0);
  sql_on(dsn, "SELECT pg_drop_replication_slot('metrics_sink_slot')");
}
