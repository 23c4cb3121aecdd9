#include "analytics_processor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace sabot::examples::analytics {

namespace {

const Column& value_of(const ChangeEvent& e, std::string_view name) {
  const Column* c = e.column(name);
  if (!c || c->value.is_null()) {
    throw std::runtime_error(fmt::format("{}.{} change at {} has no value for \"{}\"", e.schema,
                                         e.table, e.lsn.to_string(), name));
  }
  return *c;
}

}  // namespace

AnalyticsProcessor::AnalyticsProcessor(AnalyticsOptions options)
    : options_(options), tumbling_(options.tumbling), sliding_(options.sliding) {}

std::vector<ClosedWindow> AnalyticsProcessor::apply(const Transaction& tx) {
  for (const ChangeEvent& event : tx.events) {
    if (event.table == "products" && event.op != Op::Delete) learn_product(event);
  }
  for (const OrderFact& order : order_facts(tx)) {
    tumbling_.add(order);
    sliding_.add(order);
    remember_for_kpis(order);
    ++orders_;
  }
  if (first_commit_ == Timestamp{}) first_commit_ = tx.commit_time;
  watermark_ = std::max(watermark_, tx.commit_time);
  std::vector<ClosedWindow> closed;
  for (WindowResult& r : tumbling_.close_until(watermark_)) closed.push_back({true, std::move(r)});
  for (WindowResult& r : sliding_.close_until(watermark_)) closed.push_back({false, std::move(r)});
  return closed;
}

void AnalyticsProcessor::learn_product(const ChangeEvent& event) {
  catalog_[value_of(event, "id").value.as_int64()] = {
      std::string(value_of(event, "name").value.text()),
      std::string(value_of(event, "category").value.text())};
}

// Orders placed in this transaction, each with its lines (inserted in the same transaction).
std::vector<OrderFact> AnalyticsProcessor::order_facts(const Transaction& tx) const {
  std::map<int64_t, OrderFact> placed;
  for (const ChangeEvent& e : tx.events) {
    if (e.table == "orders" && (e.op == Op::Insert || e.op == Op::Read)) {
      const int64_t id = value_of(e, "id").value.as_int64();
      placed[id] =
          OrderFact{id, std::string(value_of(e, "region").value.text()), tx.commit_time, {}};
    }
  }
  for (const ChangeEvent& e : tx.events) {
    if (e.table != "order_lines" || (e.op != Op::Insert && e.op != Op::Read)) continue;
    auto order = placed.find(value_of(e, "order_id").value.as_int64());
    if (order == placed.end()) continue;  // a line added to an older order: not a new basket
    const int64_t product_id = value_of(e, "product_id").value.as_int64();
    const auto product = catalog_.find(product_id);
    const int64_t quantity = value_of(e, "quantity").value.as_int64();
    order->second.lines.push_back(
        {product_id, product == catalog_.end() ? "unknown" : product->second.second, quantity,
         quantity * parse_cents(value_of(e, "unit_price").value.text())});
  }
  std::vector<OrderFact> facts;
  for (auto& [id, fact] : placed) facts.push_back(std::move(fact));
  return facts;
}

void AnalyticsProcessor::remember_for_kpis(const OrderFact& order) {
  recent_.push_back(order);
  while (!recent_.empty() &&
         recent_.front().commit_time <= order.commit_time - options_.kpi_horizon) {
    recent_.pop_front();
  }
}

Kpis AnalyticsProcessor::kpis() const {
  Kpis k;
  const Timestamp from = watermark_ - options_.kpi_horizon;
  k.span = std::min(options_.kpi_horizon, watermark_ - first_commit_);
  int64_t orders = 0, items = 0;
  Cents revenue = 0;
  for (const OrderFact& order : recent_) {
    if (order.commit_time <= from) continue;
    ++orders;
    for (const LineFact& line : order.lines) {
      items += line.quantity;
      revenue += line.revenue;
    }
  }
  const double minutes = std::max<double>(static_cast<double>(k.span.count()), 1e6) / 60e6;
  k.orders_per_minute = static_cast<double>(orders) / minutes;
  k.revenue_per_minute = static_cast<Cents>(static_cast<double>(revenue) / minutes);
  k.orders = orders;
  k.average_basket = orders == 0 ? 0 : revenue / orders;
  k.items_per_order = orders == 0 ? 0 : static_cast<double>(items) / static_cast<double>(orders);
  return k;
}

std::vector<ClosedWindow> AnalyticsProcessor::open_windows() const {
  std::vector<ClosedWindow> open;
  for (WindowResult& r : tumbling_.open_windows()) open.push_back({true, std::move(r)});
  for (WindowResult& r : sliding_.open_windows()) open.push_back({false, std::move(r)});
  return open;
}

const std::string& AnalyticsProcessor::product_name(int64_t product_id) const {
  static const std::string unknown = "?";
  auto it = catalog_.find(product_id);
  return it == catalog_.end() ? unknown : it->second.first;
}

std::string format_window(const ClosedWindow& closed, const AnalyticsProcessor& processor) {
  const WindowResult& w = closed.result;
  std::string top;
  for (const auto& [product_id, revenue] : w.top_products(processor.options().top_n)) {
    top += fmt::format("{}{} {}", top.empty() ? "" : ", ", processor.product_name(product_id),
                       format_money(revenue));
  }
  if (!closed.tumbling) {
    return fmt::format("sliding   {}  {:>4} orders  {:>12}  top: {}\n", describe(w.window),
                       w.orders, format_money(w.revenue), top);
  }
  std::string out = fmt::format("tumbling  {}  {:>4} orders  {:>12}  avg basket {}  {} items\n",
                                describe(w.window), w.orders, format_money(w.revenue),
                                format_money(w.average_basket()), w.items);
  const auto keyed = [](const std::map<std::string, KeyTotals>& totals) {
    std::string line;
    for (const auto& [key, t] : totals) {
      line += fmt::format("{}{} {} ({} order{})", line.empty() ? "" : " · ", key,
                          format_money(t.revenue), t.orders, t.orders == 1 ? "" : "s");
    }
    return line;
  };
  out += "          by category: " + keyed(w.by_category) + "\n";
  out += "          by region:   " + keyed(w.by_region) + "\n";
  out += fmt::format("          top {}: {}\n", processor.options().top_n, top);
  return out;
}

std::string format_kpis(const Kpis& k) {
  // Rates over less than a second of commit time would say little (and 0 orders/min at first).
  if (k.span < std::chrono::seconds(1)) {
    return fmt::format("KPIs: {} order{} so far, less than a second of commit time: rates follow",
                       k.orders, k.orders == 1 ? "" : "s");
  }
  return fmt::format(
      "KPIs (last {:.0f} s of commit time): {:.1f} orders/min · {}/min · avg basket {} · {:.2f} "
      "items/order",
      static_cast<double>(k.span.count()) / 1e6, k.orders_per_minute,
      format_money(k.revenue_per_minute), format_money(k.average_basket), k.items_per_order);
}

}  // namespace sabot::examples::analytics
