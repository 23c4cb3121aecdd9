// AnalyticsProcessor: example 03's streaming analytics over the orders stream.
//
// It learns the product catalog (products → category) from the stream, turns every transaction
// that placed orders into OrderFacts (each order joined with its lines from the same transaction)
// stamped with the transaction's commit time, and feeds them to a tumbling and a sliding window
// aggregator. The stream's commit time is the clock: after each transaction, every window that
// ends at or before its commit time closes and is returned. Live KPIs cover the last minute of
// commit time.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "transactions.hpp"
#include "window_aggregates.hpp"

namespace sabot::examples::analytics {

struct AnalyticsOptions {
  WindowSpec tumbling = WindowSpec::tumbling(std::chrono::seconds(10));
  WindowSpec sliding = WindowSpec::sliding(std::chrono::seconds(30), std::chrono::seconds(10));
  size_t top_n = 3;
  std::chrono::microseconds kpi_horizon = std::chrono::minutes(1);
};

struct ClosedWindow {
  bool tumbling = true;  // false: sliding
  WindowResult result;
};

struct Kpis {
  int64_t orders = 0;  // orders the figures cover
  double orders_per_minute = 0;
  Cents revenue_per_minute = 0;
  Cents average_basket = 0;
  double items_per_order = 0;
  std::chrono::microseconds span{0};  // how much commit time the figures cover (≤ the horizon)
};

class AnalyticsProcessor {
 public:
  explicit AnalyticsProcessor(AnalyticsOptions options);

  // Applies one transaction; returns the windows its commit time closed (tumbling first).
  std::vector<ClosedWindow> apply(const Transaction& tx);

  Kpis kpis() const;
  std::vector<ClosedWindow> open_windows() const;
  Timestamp watermark() const { return watermark_; }
  int64_t late_orders() const { return tumbling_.late_orders() + sliding_.late_orders(); }
  int64_t orders() const { return orders_; }
  const std::string& product_name(int64_t product_id) const;
  const AnalyticsOptions& options() const { return options_; }

 private:
  void learn_product(const ChangeEvent& event);
  std::vector<OrderFact> order_facts(const Transaction& tx) const;
  void remember_for_kpis(const OrderFact& order);

  AnalyticsOptions options_;
  std::map<int64_t, std::pair<std::string, std::string>> catalog_;  // id → (name, category)
  WindowedAggregator tumbling_;
  WindowedAggregator sliding_;
  std::deque<OrderFact> recent_;  // orders within the KPI horizon
  Timestamp watermark_{};
  Timestamp first_commit_{};
  int64_t orders_ = 0;
};

// A closed window as a few lines of text; tumbling windows in full, sliding ones in one line.
std::string format_window(const ClosedWindow& window, const AnalyticsProcessor& processor);
std::string format_kpis(const Kpis& kpis);

}  // namespace sabot::examples::analytics
