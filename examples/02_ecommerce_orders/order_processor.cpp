#include "order_processor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace sabot::examples::orders {

namespace {

const Column& column(const ChangeEvent& e, std::string_view name) {
  const Column* c = e.op == Op::Delete ? e.old_column(name) : e.column(name);
  if (!c || c->value.is_null()) {
    throw std::runtime_error(fmt::format("{}.{} change at {} has no value for \"{}\"", e.schema,
                                         e.table, e.lsn.to_string(), name));
  }
  return *c;
}

int64_t int_of(const ChangeEvent& e, std::string_view name) {
  return column(e, name).value.as_int64();
}

Cents cents_of(const ChangeEvent& e, std::string_view name) {
  return parse_cents(column(e, name).value.text());
}

std::string_view text_of(const ChangeEvent& e, std::string_view name) {
  return column(e, name).value.text();
}

bool contains(const std::vector<int64_t>& ids, int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

void OrderProcessor::apply(const Transaction& tx) {
  current_ = &tx;
  TxChanges changes;
  for (const ChangeEvent& event : tx.events) collect(event, changes);
  // Placements first: an order's items arrive after the order row, in the same transaction.
  for (int64_t order_id : changes.placed_orders) {
    place(order_id, std::move(changes.new_lines[order_id]), changes);
  }
  for (const StatusChange& change : changes.status_changes) change_status(change, changes);
  check_reservations(changes);
  ++transactions_;
  current_ = nullptr;
}

void OrderProcessor::collect(const ChangeEvent& event, TxChanges& changes) {
  if (event.op == Op::Message) return;
  if (event.table == "orders") {
    on_order(event, changes);
  } else if (event.table == "order_items" && (event.op == Op::Insert || event.op == Op::Read)) {
    changes.new_lines[int_of(event, "order_id")].push_back(
        {int_of(event, "product_id"), int_of(event, "quantity"), cents_of(event, "unit_price")});
  } else if (event.table == "payments") {
    on_payment(event, changes);
  } else if (event.table == "inventory") {
    on_inventory(event, changes);
  } else {
    alert(fmt::format("unexpected {} on {}.{}", to_string(event.op), event.schema, event.table));
  }
}

void OrderProcessor::on_order(const ChangeEvent& event, TxChanges& changes) {
  const int64_t id = int_of(event, "id");
  if (event.op == Op::Delete) {
    alert(fmt::format("order {} was deleted", id));
    orders_.erase(id);
    return;
  }
  const auto status = parse_status(text_of(event, "status"));
  if (!status) {
    alert(fmt::format("order {} has unknown status \"{}\"", id, text_of(event, "status")));
    return;
  }
  if (event.op == Op::Insert || event.op == Op::Read) {
    orders_[id] = Order{*status, cents_of(event, "total"), {}, false};
    if (*status != OrderStatus::Pending) {
      alert(fmt::format("order {} placed as {}, not pending", id, to_string(*status)));
    }
    changes.placed_orders.push_back(id);
  } else {
    changes.status_changes.push_back({id, *status});
  }
}

void OrderProcessor::on_payment(const ChangeEvent& event, TxChanges& changes) {
  const int64_t id = int_of(event, "id");
  if (event.op == Op::Delete) {
    alert(fmt::format("payment {} was deleted", id));
    payments_.erase(id);
    return;
  }
  const Payment now{int_of(event, "order_id"), cents_of(event, "amount"),
                    text_of(event, "status") == "refunded"};
  // Like a status change of an order the stream never placed: reported, still counted (the
  // database is the truth).
  if ((event.op == Op::Insert || event.op == Op::Read) && !orders_.count(now.order_id)) {
    alert(fmt::format("payment {} for order {}, which the stream never placed", id, now.order_id));
  }
  Payment& payment = payments_[id];
  if ((event.op == Op::Insert || event.op == Op::Read) && !now.refunded) changes.captured[now.order_id] = now.amount;
  if (event.op == Op::Update && now.refunded && !payment.refunded) {
    changes.refunded.push_back(now.order_id);
  }
  payment = now;
}

void OrderProcessor::on_inventory(const ChangeEvent& event, TxChanges& changes) {
  const int64_t product_id = int_of(event, "product_id");
  if (event.op == Op::Delete) {
    stock_.erase(product_id);
    return;
  }
  stock_[product_id] =
      Stock{std::string(text_of(event, "name")), int_of(event, "on_hand"), int_of(event, "reserved")};
  changes.touched_products.push_back(product_id);
}

void OrderProcessor::place(int64_t order_id, std::vector<OrderLine> lines, TxChanges& changes) {
  Order& order = orders_[order_id];
  Cents sum = 0;
  for (const OrderLine& line : lines) {
    sum += line.quantity * line.unit_price;
    reserved_by_orders_[line.product_id] += line.quantity;
    changes.touched_products.push_back(line.product_id);
  }
  if (lines.empty()) alert(fmt::format("order {} placed without items", order_id));
  if (sum != order.total) {
    alert(fmt::format("order {}: items add up to {}, the order says {}", order_id,
                      format_money(sum), format_money(order.total)));
  }
  order.lines = std::move(lines);
  order.holds_reservation = true;
}

void OrderProcessor::change_status(const StatusChange& change, const TxChanges& changes) {
  auto it = orders_.find(change.order_id);
  if (it == orders_.end()) {
    alert(fmt::format("status change of order {}, which the stream never placed", change.order_id));
    return;
  }
  Order& order = it->second;
  const OrderStatus from = order.status;
  if (from == change.to) return;  // another column changed
  order.status = change.to;
  if (!is_legal_transition(from, change.to)) {
    ++illegal_transitions_;
    alert(fmt::format("order {}: {} → {} is not a legal transition", change.order_id,
                      to_string(from), to_string(change.to)),
          /*illegal_transition=*/true);
    return;  // no stock or money moves on an illegal step
  }
  switch (change.to) {
    case OrderStatus::Paid: {
      auto captured = changes.captured.find(change.order_id);
      if (captured == changes.captured.end()) {
        alert(fmt::format("order {} paid without a payment in the same transaction",
                          change.order_id));
      } else if (captured->second != order.total) {
        alert(fmt::format("order {}: paid {} for a total of {}", change.order_id,
                          format_money(captured->second), format_money(order.total)));
      }
      break;
    }
    case OrderStatus::Shipped:
      release_reservation(order);  // the units left the warehouse: on_hand went down instead
      break;
    case OrderStatus::Cancelled:
      release_reservation(order);
      if (from == OrderStatus::Paid && !contains(changes.refunded, change.order_id)) {
        alert(fmt::format("paid order {} cancelled without a refund", change.order_id));
      }
      break;
    default:
      break;
  }
}

void OrderProcessor::release_reservation(Order& order) {
  if (!order.holds_reservation) return;
  for (const OrderLine& line : order.lines) reserved_by_orders_[line.product_id] -= line.quantity;
  order.holds_reservation = false;
}

void OrderProcessor::check_reservations(const TxChanges& changes) {
  std::vector<int64_t> products = changes.touched_products;
  for (const StatusChange& change : changes.status_changes) {
    auto order = orders_.find(change.order_id);
    if (order == orders_.end()) continue;
    for (const OrderLine& line : order->second.lines) products.push_back(line.product_id);
  }
  std::sort(products.begin(), products.end());
  products.erase(std::unique(products.begin(), products.end()), products.end());
  for (int64_t product_id : products) {
    const int64_t by_orders = reserved_by_orders_[product_id];
    const int64_t in_table = stock_[product_id].reserved;
    if (by_orders != in_table) {
      alert(fmt::format("product {}: inventory says {} reserved, open orders hold {}", product_id,
                        in_table, by_orders));
    }
  }
}

void OrderProcessor::alert(std::string message, bool illegal_transition) {
  alerts_.push_back({current_ ? current_->transaction_id : 0,
                     current_ ? current_->commit_lsn : Lsn(), std::move(message),
                     illegal_transition});
}

Metrics OrderProcessor::metrics() const {
  Metrics m;
  for (OrderStatus status : kAllStatuses) m.orders_by_status[status] = 0;
  for (const auto& [id, order] : orders_) ++m.orders_by_status[order.status];
  for (const auto& [id, payment] : payments_) {
    if (payment.refunded) {
      ++m.refunds;
      m.refunded_amount += payment.amount;
    } else {
      ++m.captured_payments;
      m.revenue += payment.amount;
    }
  }
  return m;
}

std::string format_dashboard(const OrderProcessor& processor) {
  const Metrics m = processor.metrics();
  std::string statuses;
  for (const auto& [status, count] : m.orders_by_status) {
    statuses += fmt::format("{}{} {}", statuses.empty() ? "" : " · ", to_string(status), count);
  }
  return fmt::format("tx {:>5} | orders: {} | revenue {} | AOV {} | refunds {} ({}) | illegal {}",
                     processor.transactions(), statuses, format_money(m.revenue),
                     format_money(m.average_order_value()), m.refunds,
                     format_money(m.refunded_amount), processor.illegal_transitions());
}

std::string format_report(const OrderProcessor& processor) {
  const Metrics m = processor.metrics();
  std::string out = "Orders by status:";
  for (const auto& [status, count] : m.orders_by_status) {
    out += fmt::format(" {} {}", to_string(status), count);
  }
  out += fmt::format(
      "\nRevenue (captured, not refunded): {} from {} payments; average order "
      "value {}\nRefunds: {} ({})\n",
      format_money(m.revenue), m.captured_payments, format_money(m.average_order_value()),
      m.refunds, format_money(m.refunded_amount));
  out += "Inventory                 on hand  reserved  available  (held by open orders)\n";
  for (const auto& [product_id, stock] : processor.inventory()) {
    auto held = processor.reserved_by_orders().find(product_id);
    out += fmt::format("  {:>2} {:<20} {:>8} {:>9} {:>10}  ({})\n", product_id, stock.name,
                       stock.on_hand, stock.reserved, stock.available(),
                       held == processor.reserved_by_orders().end() ? 0 : held->second);
  }
  const size_t other =
      processor.alerts().size() - static_cast<size_t>(processor.illegal_transitions());
  out += fmt::format("Illegal transitions: {}; other alerts: {}\n", processor.illegal_transitions(),
                     other);
  return out;
}

}  // namespace sabot::examples::orders
