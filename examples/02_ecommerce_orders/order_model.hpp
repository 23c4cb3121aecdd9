// The order domain of example 02: statuses, the legal transitions between them, and the state the
// processor keeps per order, product and payment.
//
//   pending ──▶ paid ──▶ shipped ──▶ delivered
//      │         │
//      └────┬────┘
//           ▼
//       cancelled
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "money.hpp"

namespace sabot::examples::orders {

enum class OrderStatus { Pending, Paid, Shipped, Delivered, Cancelled };
inline constexpr std::array<OrderStatus, 5> kAllStatuses = {
    OrderStatus::Pending, OrderStatus::Paid, OrderStatus::Shipped, OrderStatus::Delivered,
    OrderStatus::Cancelled};

std::string_view to_string(OrderStatus status);
std::optional<OrderStatus> parse_status(std::string_view text);
bool is_legal_transition(OrderStatus from, OrderStatus to);

struct OrderLine {
  int64_t product_id = 0;
  int64_t quantity = 0;
  Cents unit_price = 0;
};

struct Order {
  OrderStatus status = OrderStatus::Pending;
  Cents total = 0;
  std::vector<OrderLine> lines;
  // Its items are reserved in the warehouse: from placement until shipped or cancelled.
  bool holds_reservation = false;
};

// One inventory row as the stream last showed it.
struct Stock {
  std::string name;
  int64_t on_hand = 0;
  int64_t reserved = 0;
  int64_t available() const { return on_hand - reserved; }
};

struct Payment {
  int64_t order_id = 0;
  Cents amount = 0;
  bool refunded = false;
};

}  // namespace sabot::examples::orders
