#include "sinks/nats/nats_connection.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>

namespace sabot::sinks::nats {

namespace {

struct OptionsDeleter {
  void operator()(natsOptions* options) const { natsOptions_Destroy(options); }
};
using OptionsPtr = std::unique_ptr<natsOptions, OptionsDeleter>;

void check_option(natsStatus status, std::string_view what) {
  if (status == NATS_OK) return;
  const NatsFailure failure = last_failure(status);
  throw CdcError(ErrorKind::Config, fmt::format("NATS sink: {}: {}", what, failure.text));
}

void set_servers(natsOptions* options, const NatsUrl& url) {
  std::vector<const char*> servers;
  for (const std::string& server : url.servers) servers.push_back(server.c_str());
  check_option(natsOptions_SetServers(options, servers.data(), static_cast<int>(servers.size())),
               fmt::format("URL '{}'", url.redacted));
  if (!url.user.empty()) {
    check_option(natsOptions_SetUserInfo(options, url.user.c_str(), url.password.c_str()),
                 "the URL's user and password");
  }
}

void set_security(natsOptions* options, const NatsSinkOptions& sink, const NatsUrl& url) {
  if (!sink.creds_file.empty()) {
    check_option(natsOptions_SetUserCredentialsFromFiles(options, sink.creds_file.c_str(), nullptr),
                 fmt::format("--nats-creds '{}'", sink.creds_file));
  }
  if (sink.tls_cert_file.empty() != sink.tls_key_file.empty()) {
    throw CdcError(ErrorKind::Config,
                   "NATS sink: a client certificate needs its key and a key its certificate: give "
                   "both --nats-tls-cert and --nats-tls-key, or neither");
  }
  const bool tls = url.tls || !sink.tls_ca_file.empty() || !sink.tls_cert_file.empty();
  if (!tls) return;
  check_option(natsOptions_SetSecure(options, true), "turning TLS on");
  if (!sink.tls_ca_file.empty()) {
    check_option(natsOptions_LoadCATrustedCertificates(options, sink.tls_ca_file.c_str()),
                 fmt::format("--nats-tls-ca '{}'", sink.tls_ca_file));
  }
  if (!sink.tls_cert_file.empty()) {
    check_option(natsOptions_LoadCertificatesChain(options, sink.tls_cert_file.c_str(),
                                                   sink.tls_key_file.c_str()),
                 fmt::format("--nats-tls-cert '{}' / --nats-tls-key '{}'", sink.tls_cert_file,
                             sink.tls_key_file));
  }
}

}  // namespace

void AckCollector::start() {
  std::lock_guard guard(lock_);
  batches_.clear();
}

void AckCollector::expect(const EventPosition& first, const EventPosition& last, uint64_t count) {
  std::lock_guard guard(lock_);
  BatchAcks batch;
  batch.first = first;
  batch.last = last;
  batch.expected = count;
  batches_.push_back(std::move(batch));
}

AckCollector::BatchAcks AckCollector::take_oldest(std::chrono::milliseconds timeout) {
  std::unique_lock guard(lock_);
  changed_.wait_for(guard, timeout, [this] { return batches_.front().complete(); });
  BatchAcks oldest = std::move(batches_.front());
  batches_.pop_front();
  return oldest;
}

void AckCollector::fail_all(const NatsFailure& failure) {
  {
    std::lock_guard guard(lock_);
    for (BatchAcks& batch : batches_) {
      if (batch.complete()) continue;
      batch.failure =
          Failure{failure, nats_message_id(batch.first), "(every subject of the batch)"};
    }
  }
  changed_.notify_all();
}

bool AckCollector::oldest_complete() const {
  std::lock_guard guard(lock_);
  return !batches_.empty() && batches_.front().complete();
}

AckCollector::BatchAcks* AckCollector::batch_of(natsMsg* msg) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || !id) return nullptr;
  const std::string_view text(id);
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return nullptr;
  const std::optional<Lsn> lsn = Lsn::parse(text.substr(0, colon));
  if (!lsn) return nullptr;
  const EventPosition position{*lsn,
                               static_cast<uint32_t>(std::strtoul(id + colon + 1, nullptr, 10))};
  for (BatchAcks& batch : batches_) {
    if (position <= batch.last) return &batch;
  }
  return nullptr;
}

void AckCollector::on_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* self = static_cast<AckCollector*>(closure);
  {
    std::lock_guard guard(self->lock_);
    BatchAcks* batch = self->batch_of(msg);
    if (batch && ack) {
      ++batch->acked;
      if (ack->Duplicate) ++batch->duplicates;
    } else if (batch && error && !batch->failure) {
      Failure failure;
      failure.failure.status = error->Err;
      failure.failure.code = error->ErrCode;
      failure.failure.text =
          error->ErrText && *error->ErrText ? error->ErrText : natsStatus_GetText(error->Err);
      const char* id = nullptr;
      if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id) failure.msg_id = id;
      failure.subject = natsMsg_GetSubject(msg);
      batch->failure = std::move(failure);
    }
  }
  self->changed_.notify_all();
  natsMsg_Destroy(msg);
}

NatsConnection::NatsConnection(const NatsSinkOptions& options, const NatsUrl& url,
                               AckCollector& acks)
    : log_(options.log), url_text_(url.redacted), acks_(acks) {
  connect(options, url);
  try {
    check_jetstream();
  } catch (...) {
    close();
    throw;
  }
}

void NatsConnection::connect(const NatsSinkOptions& sink, const NatsUrl& url) {
  natsOptions* raw = nullptr;
  check_option(natsOptions_Create(&raw), "creating the client options");
  OptionsPtr options(raw);
  set_servers(raw, url);
  set_security(raw, sink, url);
  natsOptions_SetName(raw, "sabot-cdc");
  natsOptions_SetTimeout(raw, sink.connect_timeout.count());
  // No reconnect by the client: once a connection is lost, every PubAck still awaited fails
  // (retryable) and the sink connects anew on its next attempt, publishing the window again in
  // order. A client that reconnects by itself sends what is published meanwhile on the new
  // connection, ahead of the messages lost with the old one's socket, so the server would store
  // a later change before earlier ones: an order message ids cannot repair.
  natsOptions_SetAllowReconnect(raw, false);
  natsOptions_SetDisconnectedCB(raw, &NatsConnection::on_disconnected, this);
  natsOptions_SetClosedCB(raw, &NatsConnection::on_closed, this);

  const natsStatus status = natsConnection_Connect(&connection_, raw);
  if (status != NATS_OK) {
    NatsFailure failure = last_failure(status);
    throw nats_error(failure, fmt::format("NATS sink: connecting to {}", url_text_),
                     status == NATS_NO_SERVER
                         ? " (is nats-server running there? For a local one: scripts/nats-local "
                           "start DIR)"
                         : "",
                     std::nullopt);
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = sink.ack_timeout.count();
  js_options.PublishAsync.MaxPending = sink.max_pending;
  js_options.PublishAsync.AckHandler = &AckCollector::on_ack;
  js_options.PublishAsync.AckHandlerClosure = &acks_;
  js_options.PublishAsync.StallWait = sink.ack_timeout.count();
  const natsStatus js_status = natsConnection_JetStream(&js_, connection_, &js_options);
  if (js_status != NATS_OK) {
    const NatsFailure failure = last_failure(js_status);
    natsConnection_Destroy(connection_);
    connection_ = nullptr;
    throw CdcError(
        ErrorKind::Consumer,
        fmt::format("NATS sink: creating the JetStream context failed: {}", failure.text));
  }
}

void NatsConnection::check_jetstream() const {
  jsAccountInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status = js_GetAccountInfo(&info, js_, nullptr, &code);
  jsAccountInfo_Destroy(info);
  if (status == NATS_OK) return;
  NatsFailure failure = last_failure(status);
  failure.code = code;
  if (status == NATS_NO_RESPONDERS || code == JSNotEnabledErr ||
      code == JSNotEnabledForAccountErr) {
    throw CdcError(ErrorKind::Consumer,
                   fmt::format("NATS sink: the server at {} has no JetStream ({}): start "
                               "nats-server with -js (or a jetstream {{}} block in its "
                               "configuration) and give the account JetStream",
                               url_text_, failure.text));
  }
  throw nats_error(failure,
                   fmt::format("NATS sink: asking {} for JetStream account info", url_text_), "",
                   std::nullopt);
}

NatsConnection::~NatsConnection() {
  close();
}

void NatsConnection::close() {
  if (js_) jsCtx_Destroy(js_);
  js_ = nullptr;
  if (!connection_) return;
  closing_ = true;
  natsConnection_Close(connection_);
  // Callbacks run on the library's thread; once the closed callback ran, none is left that could
  // reach this object.
  std::unique_lock guard(closed_lock_);
  closed_signal_.wait_for(guard, std::chrono::seconds(5), [this] { return closed_; });
  guard.unlock();
  natsConnection_Destroy(connection_);
  connection_ = nullptr;
}

bool NatsConnection::connected() const {
  return natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

bool NatsConnection::jetstream_answers() const {
  jsAccountInfo* info = nullptr;
  const natsStatus status = js_GetAccountInfo(&info, js_, nullptr, nullptr);
  jsAccountInfo_Destroy(info);
  return status == NATS_OK;
}

std::optional<bool> NatsConnection::stream_exists(const std::string& name) const {
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus status = js_GetStreamInfo(&info, js_, name.c_str(), nullptr, &code);
  jsStreamInfo_Destroy(info);
  if (status == NATS_OK) return true;
  if (status == NATS_NOT_FOUND || code == JSStreamNotFoundErr) return false;
  return std::nullopt;
}

void NatsConnection::say(const std::string& line) const {
  if (log_) log_(line);
}

void NatsConnection::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  if (self->closing_) return;
  self->say(fmt::format("NATS sink: the connection to {} was lost; connecting anew to publish "
                        "what was not acknowledged",
                        self->url_text_));
  self->fail_awaited_acks();
}

void NatsConnection::fail_awaited_acks() {
  // The PubAcks of what this connection carried never come: fail them now rather than at the ack
  // timeout, so the retry starts at once.
  acks_.fail_all(NatsFailure{NATS_CONNECTION_CLOSED, static_cast<jsErrCode>(0),
                             fmt::format("the connection to {} was lost", url_text_)});
}

void NatsConnection::on_closed(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  if (!self->closing_) self->fail_awaited_acks();
  std::lock_guard guard(self->closed_lock_);
  self->closed_ = true;
  self->closed_signal_.notify_all();
}

}  // namespace sabot::sinks::nats
