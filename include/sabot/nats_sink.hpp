// NATS JetStream sink: publishes every change to a JetStream subject, exactly once within the
// stream's duplicate window. Use it with run_sink() (see sink.hpp) or from the CLI:
//   sabot-cdc stream --sink nats://127.0.0.1:4222 --nats-stream SABOT
//
// Subjects: subject_template with {schema}, {table} and {op} replaced by the event's (default
// "sabot.{schema}.{table}"). A name is one subject token: bytes other than A-Z a-z 0-9 _ - are
// written %XX (so "my.table" is "my%2Etable", "%" is "%25"). What goes where:
//   insert, update, delete, truncate   the table's subject ({op}: insert/update/delete/truncate)
//   read (a snapshot row)              like an insert: the table's subject, {op} = insert; the
//                                      body and the Sabot-Op header still say "read"
//   schema_change                      the table's subject, {op} = schema_change, so a consumer
//                                      of a table sees its new shape in order with its rows
//   message (pg_logical_emit_message)  {schema} = "_message", {table} = the message's prefix
//                                      ("_" when empty), {op} = message
//
// Message: the body is the event rendered by `render` (default: the sabot JSON object of
// `sabot-cdc stream`, append_json_line without the newline). Headers:
//   Nats-Msg-Id       "<commit_lsn>:<seq>", e.g. "0/1A2B3C4:17": the event's position, the same
//                     on every redelivery, so JetStream drops a repeat inside its duplicate window
//   Sabot-Commit-Lsn  the commit LSN ("0/1A2B3C4");  Sabot-Seq: seq;  Sabot-Xid: the xid
//   Sabot-Op          insert, update, delete, truncate, message, schema_change or read
//
// Durability and order: a batch's messages are published asynchronously (no wait per message);
// a batch counts as durable once JetStream acknowledged every one (PubAck: stored by the stream),
// and only then is it acknowledged to PostgreSQL. With run_sink, up to 32 batches are in flight
// (submit() publishes, await_oldest() waits for the oldest batch's PubAcks, counted per batch);
// write() publishes one and waits. Batches are published in stream order on one connection, and
// the server stores a connection's messages in the order it receives them, so each subject holds
// its changes in commit order. Nothing is buffered while the client reconnects (publishing then
// fails, retryably), so the server holds a prefix of what was sent and a retry sends the rest in
// order.
//
// Exactly once: a redelivered change (after a crash, a lost PubAck, a retry) carries the same
// Nats-Msg-Id, and JetStream drops it when its first copy is younger than the stream's duplicate
// window (default 2 minutes; duplicate_window when this sink creates the stream). Beyond the
// window, delivery is at least once: an outage (of sabot-cdc, or of NATS while sabot-cdc retries)
// longer than the window may store a change twice; consumers that must never see one twice keep
// the newest Nats-Msg-Id (positions only grow) and skip what is not newer.
//
// Errors. Retryable (CdcError{Connection}, retryable() true): the connection is lost or cannot be
// made, no PubAck within ack_timeout, JetStream is unavailable (no responders while its API does
// not answer either) — republishing with the same message ids is safe. run_sink retries them
// under its policy (reset() then every batch in flight again); a direct write() retries for up
// to retry_for, with backoff, before it throws. Permanent: a bad URL or
// option, a TLS handshake that fails (CdcError{Config}), authentication or permission refused (CdcError{Authentication}), no
// stream stores the subject / the stream named is missing and was not to be created, a message
// the server refuses (too large, wrong stream) (CdcError{Consumer}). Every write() error names
// the sink, the server's error and the position (commit_lsn, seq) of the change; the batch is not
// acknowledged. Passwords never appear in a message.
//
// Threading: a sink is used by one thread at a time (the NATS client's own threads deliver the
// PubAcks).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sabot/change_event.hpp"
#include "sabot/sink.hpp"

namespace sabot {

struct NatsSinkOptions {
  // nats://[USER:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]; tls:// for TLS. PORT defaults to 4222.
  std::string url = "nats://127.0.0.1:4222";
  std::string subject_template = "sabot.{schema}.{table}";

  // When not empty: the stream every message must land in (a message another stream would store
  // is refused), created at startup when missing, with subjects covering subject_template (each
  // token with a placeholder becomes '*': "sabot.*.*"), file storage and duplicate_window.
  std::string stream;
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};

  // Credentials and TLS (each optional): a .creds file (JWT and NKey seed), the CA that signs the
  // server's certificate, a client certificate and its key (both or neither). Any of the TLS
  // files turns TLS on, as does a tls:// URL.
  std::string creds_file;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;

  std::chrono::milliseconds connect_timeout{5000};
  // How long write() waits for the PubAcks of a batch before it counts them lost (retryable).
  std::chrono::milliseconds ack_timeout{5000};
  // How long a direct write() keeps retrying a batch after retryable errors (backoff 100 ms
  // doubling to 2 s) before it throws the last one; 0 = throw at once. Not used by run_sink,
  // which calls submit() / await_oldest() and retries under DeliveryOptions::retry.
  std::chrono::milliseconds retry_for{std::chrono::minutes(1)};
  // Publishes awaiting their PubAck at most; a larger batch waits for acks as it goes.
  int max_pending = 16384;

  // Renders an event's message body by appending to `out`; empty = sabot JSON (see above).
  std::function<void(std::string& out, const ChangeEvent& event)> render;
  // Where the sink reports retries and reconnects (one line each); empty = nowhere.
  std::function<void(std::string_view)> log;
};

// What the sink did, summed over every write().
struct NatsSinkStats {
  uint64_t batches = 0;
  uint64_t published = 0;   // PubAcks received (stored, or dropped as duplicates)
  uint64_t duplicates = 0;  // PubAcks that said the message id was already in the stream
  uint64_t retries = 0;     // batches published again after a retryable error
};

class NatsSink : public Sink {
 public:
  virtual const NatsSinkStats& stats() const = 0;
};

// Connects (and creates the stream, when asked) right away. Throws CdcError{Config} for a bad
// option or URL, CdcError{Authentication} when the server refuses the credentials,
// CdcError{Connection} when no server can be reached, CdcError{Consumer} when the server has no
// JetStream or refuses to create the stream.
std::unique_ptr<NatsSink> make_nats_sink(const NatsSinkOptions& options);

// The subject `event` is published to, by the rules above. Throws CdcError{Config} for a template
// that is not a valid subject (empty token, wildcard, whitespace, unknown {placeholder}).
std::string nats_subject(std::string_view subject_template, const ChangeEvent& event);
// The subjects a stream needs to store everything published with `subject_template`.
std::string nats_stream_subjects(std::string_view subject_template);
// The Nats-Msg-Id of the event at `position`.
std::string nats_message_id(const EventPosition& position);

}  // namespace sabot
