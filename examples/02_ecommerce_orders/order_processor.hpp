// OrderProcessor: example 02's stream processor. Fed only by the change stream of the tables
// orders, order_items, payments and inventory, it keeps
//   - every order's status, run through the state machine (order_model.hpp); an illegal
//     transition is applied (the database is the truth) and reported as an alert,
//   - inventory per product as the inventory rows say (on hand, reserved, available), and the
//     reservations its own order lines account for — the two must agree after every transaction,
//   - payments captured and refunded,
//   - live metrics: orders by status, revenue, average order value, refunds.
//
// One transaction is handled as a whole (the seed's "transaction boundaries" and "multi-table
// joins"): an order's items are joined to the order placed in the same transaction, a payment to
// the status change it came with, and consistency checks run once the transaction's changes to
// every table are in.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "order_model.hpp"
#include "transactions.hpp"

namespace sabot::examples::orders {

struct Metrics {
  std::map<OrderStatus, int64_t> orders_by_status;  // every status, zeros included
  Cents revenue = 0;                                // captured payments not refunded
  int64_t captured_payments = 0;                    // their number
  Cents refunded_amount = 0;
  int64_t refunds = 0;
  // Revenue per captured payment (each paid order has one), rounded down to the cent.
  Cents average_order_value() const {
    return captured_payments == 0 ? 0 : revenue / captured_payments;
  }
};

struct Alert {
  uint32_t transaction_id = 0;
  Lsn commit_lsn;
  std::string message;
  bool illegal_transition = false;
};

class OrderProcessor {
 public:
  void apply(const Transaction& tx);

  Metrics metrics() const;
  const std::map<int64_t, Stock>& inventory() const { return stock_; }
  // Units held by orders between placement and shipping or cancellation, per product.
  const std::map<int64_t, int64_t>& reserved_by_orders() const { return reserved_by_orders_; }
  const std::map<int64_t, Order>& orders() const { return orders_; }
  const std::map<int64_t, Payment>& payments() const { return payments_; }
  const std::vector<Alert>& alerts() const { return alerts_; }
  int64_t illegal_transitions() const { return illegal_transitions_; }
  int64_t transactions() const { return transactions_; }

 private:
  struct StatusChange {
    int64_t order_id;
    OrderStatus to;
  };
  // What one transaction did, gathered before any of it is applied.
  struct TxChanges {
    std::vector<int64_t> placed_orders;
    std::map<int64_t, std::vector<OrderLine>> new_lines;  // by order id
    std::vector<StatusChange> status_changes;
    std::map<int64_t, Cents> captured;  // order id → amount captured in this transaction
    std::vector<int64_t> refunded;      // order ids whose payment was refunded
    std::vector<int64_t> touched_products;
  };

  void collect(const ChangeEvent& event, TxChanges& changes);
  void on_order(const ChangeEvent& event, TxChanges& changes);
  void on_payment(const ChangeEvent& event, TxChanges& changes);
  void on_inventory(const ChangeEvent& event, TxChanges& changes);
  void place(int64_t order_id, std::vector<OrderLine> lines, TxChanges& changes);
  void change_status(const StatusChange& change, const TxChanges& changes);
  void release_reservation(Order& order);
  void check_reservations(const TxChanges& changes);
  void alert(std::string message, bool illegal_transition = false);

  std::map<int64_t, Order> orders_;
  std::map<int64_t, Payment> payments_;
  std::map<int64_t, Stock> stock_;
  std::map<int64_t, int64_t> reserved_by_orders_;
  std::vector<Alert> alerts_;
  int64_t illegal_transitions_ = 0;
  int64_t transactions_ = 0;
  const Transaction* current_ = nullptr;  // the transaction being applied, for alerts
};

// One line for a live display: "orders: pending 3 · paid 5 ... | revenue $... | AOV ... | ...".
std::string format_dashboard(const OrderProcessor& processor);
// The final report: metrics, inventory per product, alerts.
std::string format_report(const OrderProcessor& processor);

}  // namespace sabot::examples::orders
