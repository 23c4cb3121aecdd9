// StreamMetrics' Prometheus rendering: conventional names, labels, cumulative histogram buckets.
#include <gtest/gtest.h>

#include <string>

#include "sabot/metrics.hpp"

using namespace sabot;

namespace {
bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}
}  // namespace

TEST(MetricsRender, CountersGaugesAndLabels) {
  StreamMetrics m;
  m.events = 42;
  m.received_lsn = 0x1000;
  m.count_error(ErrorKind::Connection);
  m.set_state(StreamState::Streaming);
  const std::string text = m.render("my_slot", "stdout");
  EXPECT_TRUE(has(text, "# TYPE sabot_cdc_events_total counter\n"));
  EXPECT_TRUE(has(text, "sabot_cdc_events_total{slot=\"my_slot\",sink=\"stdout\"} 42\n"));
  EXPECT_TRUE(has(text, "sabot_cdc_received_lsn{slot=\"my_slot\",sink=\"stdout\"} 4096\n"));
  EXPECT_TRUE(has(
      text, "sabot_cdc_errors_total{slot=\"my_slot\",sink=\"stdout\",kind=\"connection\"} 1\n"));
  EXPECT_TRUE(has(text, "sabot_cdc_streaming{slot=\"my_slot\",sink=\"stdout\"} 1\n"));
  EXPECT_TRUE(
      has(text, "sabot_cdc_slot_retained_wal_bytes{slot=\"my_slot\",sink=\"stdout\"} -1\n"));
}

TEST(MetricsRender, HistogramBucketsAreCumulative) {
  StreamMetrics m;
  m.delivery_seconds.observe(0.0005);
  m.delivery_seconds.observe(0.002);
  m.delivery_seconds.observe(7200);  // beyond the last bound: only +Inf
  const std::string text = m.render("s", "file");
  EXPECT_TRUE(has(text, "# TYPE sabot_cdc_delivery_seconds histogram\n"));
  EXPECT_TRUE(
      has(text, "sabot_cdc_delivery_seconds_bucket{slot=\"s\",sink=\"file\",le=\"0.001\"} 1\n"));
  EXPECT_TRUE(
      has(text, "sabot_cdc_delivery_seconds_bucket{slot=\"s\",sink=\"file\",le=\"0.005\"} 2\n"));
  EXPECT_TRUE(
      has(text, "sabot_cdc_delivery_seconds_bucket{slot=\"s\",sink=\"file\",le=\"3600\"} 2\n"));
  EXPECT_TRUE(
      has(text, "sabot_cdc_delivery_seconds_bucket{slot=\"s\",sink=\"file\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(has(text, "sabot_cdc_delivery_seconds_count{slot=\"s\",sink=\"file\"} 3\n"));
}

TEST(MetricsRender, LabelValuesAreEscaped) {
  StreamMetrics m;
  const std::string text = m.render("a\"b\\c", "x\ny");
  EXPECT_TRUE(has(text, "slot=\"a\\\"b\\\\c\",sink=\"x\\ny\""));
}

TEST(MetricsRender, FilteredEventsAndSnapshotTablesLabelledByTable) {
  StreamMetrics m;
  m.events_filtered = 7;
  m.set_snapshot_tables({{"public.orders", 120, 1000}, {"odd\"schema.t", 0, -1}});
  const std::string text = m.render("s", "redis");
  EXPECT_TRUE(has(text, "# TYPE sabot_cdc_events_filtered_total counter\n"));
  EXPECT_TRUE(has(text, "sabot_cdc_events_filtered_total{slot=\"s\",sink=\"redis\"} 7\n"));
  EXPECT_TRUE(has(text, "# TYPE sabot_cdc_snapshot_rows_done gauge\n"));
  EXPECT_TRUE(has(text,
                  "sabot_cdc_snapshot_rows_done{slot=\"s\",sink=\"redis\",table=\"public."
                  "orders\"} 120\n"));
  EXPECT_TRUE(has(text,
                  "sabot_cdc_snapshot_rows_estimated{slot=\"s\",sink=\"redis\",table="
                  "\"public.orders\"} 1000\n"));
  // Label values are escaped.
  EXPECT_TRUE(has(text, "table=\"odd\\\"schema.t\"} -1\n")) << text;

  m.set_snapshot_tables({});  // replaced as a whole: no snapshot, no samples
  const std::string none = m.render("s", "redis");
  EXPECT_TRUE(has(none, "# TYPE sabot_cdc_snapshot_rows_done gauge\n"));
  EXPECT_FALSE(has(none, "table=")) << none;
}
