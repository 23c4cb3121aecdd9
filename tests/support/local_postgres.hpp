// Test support: a real PostgreSQL started through scripts/pg-local in a temporary directory, SQL
// helpers, and a runner for the sabot-cdc binary. One cluster per test process (shared()), or
// private ones for tests that restart or reconfigure the server.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sabot/lsn.hpp"

namespace sabot::test {

class LocalPostgres {
 public:
  // Starts a fresh cluster in a new temporary directory. extra_conf lines go to postgresql.conf
  // before start (e.g. "wal_level = replica").
  explicit LocalPostgres(std::vector<std::string> extra_conf = {});
  ~LocalPostgres();  // stops the cluster and removes the directory
  LocalPostgres(const LocalPostgres&) = delete;
  LocalPostgres& operator=(const LocalPostgres&) = delete;

  // The cluster shared by every test of this process; stopped at exit.
  static LocalPostgres& shared();

  const std::string& dir() const { return dir_; }
  int port() const { return port_; }
  std::string dsn() const;  // Unix socket, user sabot, database sabot
  std::string tcp_dsn(const std::string& user, const std::string& password) const;

  // Runs SQL (several statements allowed) as sabot; returns the first column of the first row of
  // the last statement, or "" if none. Throws std::runtime_error on failure.
  std::string sql(const std::string& statements) const;
  std::vector<std::vector<std::optional<std::string>>> query(const std::string& statement) const;
  Lsn current_wal_insert_lsn() const;
  void restart(const std::string& mode = "fast");
  // A database unique to the calling test, created on first use; returns its DSN.
  std::string fresh_database(const std::string& name) const;

 private:
  std::string pg_local(const std::string& args) const;
  std::string dir_;
  int port_ = 0;
  std::string socket_dir_;
};

// The same as LocalPostgres::query() / sql(), on any database (e.g. one of fresh_database()).
std::vector<std::vector<std::optional<std::string>>> query_on(const std::string& dsn,
                                                              const std::string& statement);
std::string sql_on(const std::string& dsn, const std::string& statements);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command, capturing stdout and stderr.
CommandResult run_command(const std::string& command);
// Runs build/sabot-cdc with the given arguments (each shell-quoted).
CommandResult run_cli(const std::vector<std::string>& args);
std::string shell_quote(const std::string& text);

// Starts build/sabot-cdc in the background with stdout and stderr sent to `output_path`.
int spawn_cli(const std::vector<std::string>& args, const std::string& output_path);
// Waits up to `timeout` for the child to exit; returns its exit code, or nullopt on time-out.
std::optional<int> wait_for_exit(int pid, std::chrono::milliseconds timeout);

}  // namespace sabot::test
