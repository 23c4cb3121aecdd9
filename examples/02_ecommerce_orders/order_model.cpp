#include "order_model.hpp"

namespace sabot::examples::orders {

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::Pending:
      return "pending";
    case OrderStatus::Paid:
      return "paid";
    case OrderStatus::Shipped:
      return "shipped";
    case OrderStatus::Delivered:
      return "delivered";
    case OrderStatus::Cancelled:
      return "cancelled";
  }
  return "?";
}

std::optional<OrderStatus> parse_status(std::string_view text) {
  for (OrderStatus status : kAllStatuses) {
    if (to_string(status) == text) return status;
  }
  return std::nullopt;
}

bool is_legal_transition(OrderStatus from, OrderStatus to) {
  using S = OrderStatus;
  switch (from) {
    case S::Pending:
      return to == S::Paid || to == S::Cancelled;
    case S::Paid:
      return to == S::Shipped || to == S::Cancelled;
    case S::Shipped:
      return to == S::Delivered;
    case S::Delivered:
    case S::Cancelled:
      return false;
  }
  return false;
}

}  // namespace sabot::examples::orders
