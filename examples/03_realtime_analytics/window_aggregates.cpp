#include "window_aggregates.hpp"

#include <algorithm>
#include <set>

namespace sabot::examples::analytics {

void WindowResult::add(const OrderFact& order) {
  ++orders;
  std::set<std::string> categories;
  Cents order_revenue = 0;
  for (const LineFact& line : order.lines) {
    items += line.quantity;
    order_revenue += line.revenue;
    by_category[line.category].revenue += line.revenue;
    categories.insert(line.category);
    revenue_by_product[line.product_id] += line.revenue;
  }
  revenue += order_revenue;
  for (const std::string& category : categories) ++by_category[category].orders;
  KeyTotals& region = by_region[order.region];
  region.revenue += order_revenue;
  ++region.orders;
}

std::vector<std::pair<int64_t, Cents>> WindowResult::top_products(size_t n) const {
  std::vector<std::pair<int64_t, Cents>> ranked(revenue_by_product.begin(),
                                                revenue_by_product.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (ranked.size() > n) ranked.resize(n);
  return ranked;
}

WindowedAggregator::WindowedAggregator(WindowSpec spec) : spec_(spec) {
  spec_.validate();
}

void WindowedAggregator::add(const OrderFact& order) {
  const std::vector<Window> windows = windows_containing(order.commit_time, spec_);
  if (!windows.empty() && windows.front().end <= closed_until_) {
    ++late_orders_;
    return;
  }
  for (const Window& window : windows) {
    WindowResult& result = open_[window];
    result.window = window;
    result.add(order);
  }
}

std::vector<WindowResult> WindowedAggregator::close_until(Timestamp watermark) {
  std::vector<WindowResult> closed;
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->first.end <= watermark) {
      closed.push_back(std::move(it->second));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  closed_until_ = std::max(closed_until_, watermark);
  std::sort(closed.begin(), closed.end(), [](const WindowResult& a, const WindowResult& b) {
    return a.window.end < b.window.end;
  });
  return closed;
}

std::vector<WindowResult> WindowedAggregator::open_windows() const {
  std::vector<WindowResult> open;
  for (const auto& [window, result] : open_) open.push_back(result);
  return open;
}

}  // namespace sabot::examples::analytics
