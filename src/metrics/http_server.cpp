#include "metrics/http_server.hpp"

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "sabot/error.hpp"

namespace sabot::metrics {

struct HttpServer::Impl {
  httplib::Server server;
  std::thread thread;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {
  // httplib's default also sets SO_REUSEPORT, which would let a second sabot-cdc bind the same
  // port and answer half the scrapes with its own numbers: a taken port must be an error.
  impl_->server.set_socket_options([](auto sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

HttpServer::~HttpServer() {
  if (impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

void HttpServer::route(const std::string& path, Handler handler) {
  impl_->server.Get(
      path, [handler = std::move(handler)](const httplib::Request&, httplib::Response& res) {
        const HttpReply reply = handler();
        res.status = reply.status;
        res.set_content(reply.body, reply.content_type.c_str());
      });
}

void HttpServer::start(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* first = listen.data() + colon + 1;
    const char* last = listen.data() + listen.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last || port < 0 || port > 65535) port = -1;
  }
  if (port < 0 || colon == 0) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("--metrics-listen '{}' must be HOST:PORT, e.g. 127.0.0.1:9187 or "
                               "0.0.0.0:9187",
                               listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  // Bound here, on the caller's thread, so a taken port is an error now rather than a log line.
  const int bound = port == 0 ? impl_->server.bind_to_any_port(host)
                              : (impl_->server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    throw CdcError(ErrorKind::Config,
                   fmt::format("cannot listen on {} for metrics (address in use, or not an "
                               "address of this machine)",
                               listen));
  }
  port_ = bound;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // stop() is a no-op until the loop runs: wait for it, or a quick destruction would hang in join.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!impl_->server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace sabot::metrics
