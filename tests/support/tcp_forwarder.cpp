#include "tcp_forwarder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace sabot::test {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in address = loopback(port);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return fd;
  }
  if (fd >= 0) ::close(fd);
  return -1;
}

// Copies what `from` has into `to`; false when either side is done.
bool pass_on(int from, int to) {
  char buffer[16384];
  const ssize_t got = ::read(from, buffer, sizeof buffer);
  if (got <= 0) return false;
  for (ssize_t sent = 0; sent < got;) {
    const ssize_t n = ::write(to, buffer + sent, static_cast<size_t>(got - sent));
    if (n <= 0) return false;
    sent += n;
  }
  return true;
}

}  // namespace

// One forwarded connection: the client's socket, the server's, and the thread copying between.
struct TcpForwarder::Link {
  int client = -1;
  int server = -1;
  std::thread pump;

  void run() {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (::poll(fds, 2, -1) > 0) {
      if (fds[0].revents && !pass_on(client, server)) break;
      if (fds[1].revents && !pass_on(server, client)) break;
    }
    cut();
  }
  void cut() const {
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(server, SHUT_RDWR);
  }
  ~Link() {
    cut();
    if (pump.joinable()) pump.join();
    ::close(client);
    ::close(server);
  }
};

TcpForwarder::TcpForwarder(int target_port) : target_port_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (listener_ < 0 ||
      ::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (listener_ >= 0) ::close(listener_);
    throw std::runtime_error("TcpForwarder: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpForwarder::~TcpForwarder() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  std::lock_guard guard(links_lock_);
  links_.clear();
}

void TcpForwarder::accept_loop() {
  while (!stopping_) {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    if (stopping_) {
      ::close(client);
      break;
    }
    const int server = connect_to(target_port_);
    if (server < 0) {  // nothing listens there: the client sees a refused-like close
      ::close(client);
      continue;
    }
    auto link = std::make_shared<Link>();
    link->client = client;
    link->server = server;
    std::lock_guard guard(links_lock_);
    links_.push_back(link);
    link->pump = std::thread([raw = link.get()] { raw->run(); });
  }
}

void TcpForwarder::retarget(int target_port) {
  target_port_ = target_port;
  cut_links();
}

void TcpForwarder::cut_links() {
  std::lock_guard guard(links_lock_);
  for (const auto& link : links_) link->cut();
}

}  // namespace sabot::test
