// A multi-host connection string (host=a,b): when the first host accepts the TCP connection but
// never answers, connect_timeout ends the attempt on it and the next host is tried, as libpq's
// PQconnectdb does.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "local_postgres.hpp"
#include "sabot/admin.hpp"
#include "sabot/error.hpp"

using sabot::test::LocalPostgres;

namespace {

// A loopback port whose connections complete the TCP handshake (the kernel's backlog) and then
// hear nothing: the server that hangs.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// "host=DIR port=N ..." -> DIR
std::string socket_dir_of(const std::string& dsn) {
  const size_t start = dsn.find("host=") + 5;
  return dsn.substr(start, dsn.find(' ', start) - start);
}

}  // namespace

TEST(MultiHost, AHostThatTimesOutIsSkippedForTheNextOne) {
  LocalPostgres& pg = LocalPostgres::shared();
  SilentListener silent;
  sabot::PostgresCdcConfig config;
  config.dsn = "host=127.0.0.1," + socket_dir_of(pg.dsn()) + " port=" +
               std::to_string(silent.port()) + "," + std::to_string(pg.port()) +
               " user=sabot dbname=sabot connect_timeout=2";
  sabot::PostgresAdmin admin(config);
  EXPECT_EQ(admin.current_database(), "sabot");
}

TEST(MultiHost, TheLastHostTimingOutIsAConnectionError) {
  SilentListener silent;
  sabot::PostgresCdcConfig config;
  config.dsn = "host=127.0.0.1 port=" + std::to_string(silent.port()) +
               " user=sabot dbname=sabot connect_timeout=2";
  try {
    sabot::PostgresAdmin admin(config);
    ADD_FAILURE() << "connected to a server that never answers";
  } catch (const sabot::CdcError& e) {
    EXPECT_EQ(e.kind(), sabot::ErrorKind::Connection) << e.what();
    EXPECT_NE(std::string(e.what()).find("timeout expired"), std::string::npos) << e.what();
  }
}
