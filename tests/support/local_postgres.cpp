#include "local_postgres.hpp"

#include <libpq-fe.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "files.hpp"

namespace sabot::test {

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult run_command(const std::string& command) {
  char out_template[] = "/tmp/sabot-cmd-out-XXXXXX";
  char err_template[] = "/tmp/sabot-cmd-err-XXXXXX";
  const int out_fd = mkstemp(out_template);
  const int err_fd = mkstemp(err_template);
  close(out_fd);
  close(err_fd);
  const std::string full =
      command + " >" + shell_quote(out_template) + " 2>" + shell_quote(err_template) + " </dev/null";
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_template);
  result.err = read_file(err_template);
  std::filesystem::remove(out_template);
  std::filesystem::remove(err_template);
  return result;
}

CommandResult run_cli(const std::vector<std::string>& args) {
  std::string command = shell_quote(SABOT_CLI_PATH);
  for (const auto& a : args) command += " " + shell_quote(a);
  return run_command(command);
}

int spawn_cli(const std::vector<std::string>& args, const std::string& output_path) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::string program = SABOT_CLI_PATH;
    argv.push_back(program.data());
    std::vector<std::string> copies = args;
    for (auto& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

std::optional<int> wait_for_exit(int pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

std::string LocalPostgres::pg_local(const std::string& args) const {
  const std::string script = std::string(SABOT_SOURCE_DIR) + "/scripts/pg-local";
  CommandResult r = run_command("bash " + shell_quote(script) + " " + args);
  if (r.exit_code != 0) {
    throw std::runtime_error("scripts/pg-local " + args + " failed:\n" + r.out + r.err);
  }
  return r.out;
}

LocalPostgres::LocalPostgres(std::vector<std::string> extra_conf) {
  char dir_template[] = "/tmp/sabot-pg-XXXXXX";
  if (!mkdtemp(dir_template)) throw std::runtime_error("mkdtemp failed");
  dir_ = dir_template;
  if (!extra_conf.empty()) {
    // pg-local reads DIR/extra.conf when it creates the cluster.
    std::ofstream conf(dir_ + "/extra.conf");
    for (const auto& line : extra_conf) conf << line << "\n";
  }
  pg_local("start " + shell_quote(dir_));
  port_ = std::stoi(trim(read_file(dir_ + "/port")));
  // "host=... port=..." from pg-local's dsn subcommand; pick out the socket directory.
  const std::string dsn_line = trim(pg_local("dsn " + shell_quote(dir_)));
  const auto host_pos = dsn_line.find("host=");
  socket_dir_ = dsn_line.substr(host_pos + 5, dsn_line.find(' ', host_pos) - host_pos - 5);
}

LocalPostgres::~LocalPostgres() {
  try {
    pg_local("destroy " + shell_quote(dir_));
  } catch (...) {
  }
}

LocalPostgres& LocalPostgres::shared() {
  static LocalPostgres instance;
  return instance;
}

std::string LocalPostgres::dsn() const {
  return "host=" + socket_dir_ + " port=" + std::to_string(port_) + " user=sabot dbname=sabot";
}

std::string LocalPostgres::tcp_dsn(const std::string& user, const std::string& password) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user +
         " password=" + password + " dbname=sabot";
}

std::vector<std::vector<std::optional<std::string>>> LocalPostgres::query(
    const std::string& statement) const {
  return query_on(dsn(), statement);
}

std::string LocalPostgres::sql(const std::string& statements) const {
  return sql_on(dsn(), statements);
}

std::vector<std::vector<std::optional<std::string>>> query_on(const std::string& dsn,
                                                              const std::string& statement) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(dsn.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("test connection failed: ") + PQerrorMessage(conn.get()));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), statement.c_str()),
                                                    &PQclear);
  const auto status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("SQL failed: " + statement + "\n" + PQerrorMessage(conn.get()));
  }
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    auto& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(res.get()); ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        row.push_back(std::nullopt);
      } else {
        row.emplace_back(PQgetvalue(res.get(), r, c));
      }
    }
  }
  return rows;
}

std::string sql_on(const std::string& dsn, const std::string& statements) {
  auto rows = query_on(dsn, statements);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return "";
  return *rows[0][0];
}

Lsn LocalPostgres::current_wal_insert_lsn() const {
  return *Lsn::parse(sql("SELECT pg_current_wal_insert_lsn()"));
}

void LocalPostgres::restart(const std::string& mode) {
  pg_local("restart " + shell_quote(dir_) + " --mode " + mode);
}

std::string LocalPostgres::fresh_database(const std::string& name) const {
  if (sql("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") == "0") {
    sql("CREATE DATABASE " + name);
  }
  return "host=" + socket_dir_ + " port=" + std::to_string(port_) + " user=sabot dbname=" + name;
}

}  // namespace sabot::test
