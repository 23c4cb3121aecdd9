// Per-window aggregates of placed orders, and the aggregator that assigns orders to windows and
// closes them as the stream's commit time moves on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "money.hpp"
#include "windows.hpp"

namespace sabot::examples::analytics {

// One order as the analytics see it: its region, its lines joined with the product catalog, and
// the commit time of the transaction that placed it.
struct LineFact {
  int64_t product_id = 0;
  std::string category;
  int64_t quantity = 0;
  Cents revenue = 0;  // quantity × unit price
};

struct OrderFact {
  int64_t order_id = 0;
  std::string region;
  Timestamp commit_time{};
  std::vector<LineFact> lines;
};

struct KeyTotals {
  Cents revenue = 0;
  int64_t orders = 0;  // orders with at least one line under this key
  bool operator==(const KeyTotals&) const = default;
};

struct WindowResult {
  Window window;
  int64_t orders = 0;
  int64_t items = 0;
  Cents revenue = 0;
  std::map<std::string, KeyTotals> by_category;
  std::map<std::string, KeyTotals> by_region;
  std::map<int64_t, Cents> revenue_by_product;

  void add(const OrderFact& order);
  Cents average_basket() const { return orders == 0 ? 0 : revenue / orders; }
  // The n products with the most revenue, most first; ties go to the lower product id.
  std::vector<std::pair<int64_t, Cents>> top_products(size_t n) const;
};

class WindowedAggregator {
 public:
  explicit WindowedAggregator(WindowSpec spec);

  // Adds the order to every window that contains its commit time. An order that falls into a
  // window already closed (its commit time is older than the watermark that closed it) is late:
  // it is counted and left out, so a closed window's figures never change afterwards.
  void add(const OrderFact& order);
  // Closes every open window whose end is at or before the watermark, earliest first.
  std::vector<WindowResult> close_until(Timestamp watermark);
  // The windows still open, earliest first.
  std::vector<WindowResult> open_windows() const;

  const WindowSpec& spec() const { return spec_; }
  int64_t late_orders() const { return late_orders_; }

 private:
  WindowSpec spec_;
  std::map<Window, WindowResult> open_;
  Timestamp closed_until_{};  // every window ending at or before this has been closed
  int64_t late_orders_ = 0;
};

}  // namespace sabot::examples::analytics
