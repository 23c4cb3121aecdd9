"""Example 02 in Python: e-commerce order processing on the change stream alone — the order state
machine (illegal transitions reported), inventory and the reservations derived from order lines,
payments checked against their orders, live metrics. Each transaction is handled whole.

    python3 examples/python/02_ecommerce_orders.py [--orders N] [--plugin wal2json] [--dsn ...]

Without --dsn it uses the demo server (database ex02_ecommerce) and runs the C++ example's shop
simulator; it stops at the simulator's done message and prints the final report.
"""

import collections
import dataclasses
import decimal
import time

from _common import for_each_transaction, fresh_slot, money, parse_args, sabot_cdc, workload

STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled"]
LEGAL = {("pending", "paid"), ("pending", "cancelled"), ("paid", "shipped"),
         ("paid", "cancelled"), ("shipped", "delivered")}
TABLES = ["ex02.orders", "ex02.order_items", "ex02.payments", "ex02.inventory"]


@dataclasses.dataclass
class Order:
    status: str
    total: decimal.Decimal
    lines: list = dataclasses.field(default_factory=list)  # (product, quantity, unit price)
    holds_reservation: bool = False


class OrderProcessor:
    """The shop's state as the stream tells it, and the checks on each transaction."""

    def __init__(self):
        self.orders = {}
        self.payments = {}  # id -> (order id, amount, refunded)
        self.stock = {}  # product -> (name, on hand, reserved)
        self.reserved_by_orders = collections.Counter()
        self.alerts = []  # (illegal transition?, message)
        self.illegal_transitions = 0
        self.transactions = 0

    def alert(self, message, illegal=False):
        self.alerts.append((illegal, message))
        print(f"  ! {message}")

    def apply(self, events):
        placed, lines, status_changes = [], collections.defaultdict(list), []
        captured, refunded, touched = {}, set(), set()
        for e in events:
            row = e.old_data if e.type == "delete" else e.data
            if e.type in ("message", "schema_change"):
                continue
            if e.table == "orders":
                if e.type == "insert":
                    self.orders[row["id"]] = Order(row["status"], row["total"])
                    placed.append(row["id"])
                elif e.type == "update":
                    status_changes.append((row["id"], row["status"]))
            elif e.table == "order_items" and e.type == "insert":
                lines[row["order_id"]].append((row["product_id"], row["quantity"],
                                               row["unit_price"]))
            elif e.table == "payments" and e.type != "delete":
                now = (row["order_id"], row["amount"], row["status"] == "refunded")
                before = self.payments.get(row["id"])
                if e.type == "insert" and not now[2]:
                    captured[now[0]] = now[1]
                if e.type == "update" and now[2] and before and not before[2]:
                    refunded.add(now[0])
                self.payments[row["id"]] = now
            elif e.table == "inventory" and e.type != "delete":
                self.stock[row["product_id"]] = (row["name"], row["on_hand"], row["reserved"])
                touched.add(row["product_id"])
        for order_id in placed:
            self.place(order_id, lines[order_id], touched)
        for order_id, status in status_changes:
            self.change_status(order_id, status, captured, refunded, touched)
        for product in touched:
            in_table = self.stock.get(product, ("", 0, 0))[2]
            if self.reserved_by_orders[product] != in_table:
                self.alert(f"product {product}: inventory says {in_table} reserved, open orders "
                           f"hold {self.reserved_by_orders[product]}")
        self.transactions += 1

    def place(self, order_id, lines, touched):
        order = self.orders[order_id]
        total = sum((quantity * price for _, quantity, price in lines), decimal.Decimal(0))
        if total != order.total:
            self.alert(f"order {order_id}: items add up to {money(total)}, the order says "
                       f"{money(order.total)}")
        for product, quantity, _ in lines:
            self.reserved_by_orders[product] += quantity
            touched.add(product)
        order.lines, order.holds_reservation = lines, True

    def change_status(self, order_id, to, captured, refunded, touched):
        order = self.orders.get(order_id)
        if order is None or order.status == to:
            return
        before, order.status = order.status, to
        touched.update(product for product, _, _ in order.lines)
        if (before, to) not in LEGAL:
            self.illegal_transitions += 1
            self.alert(f"order {order_id}: {before} → {to} is not a legal transition", True)
            return
        if to == "paid" and captured.get(order_id) != order.total:
            self.alert(f"order {order_id} paid without a matching payment")
        if to in ("shipped", "cancelled") and order.holds_reservation:
            for product, quantity, _ in order.lines:
                self.reserved_by_orders[product] -= quantity
            order.holds_reservation = False
        if to == "cancelled" and before == "paid" and order_id not in refunded:
            self.alert(f"paid order {order_id} cancelled without a refund")

    def metrics(self):
        by_status = collections.Counter({s: 0 for s in STATUSES})
        by_status.update(o.status for o in self.orders.values())
        captured = [a for _, a, r in self.payments.values() if not r]
        refunds = [a for _, a, r in self.payments.values() if r]
        revenue = sum(captured, decimal.Decimal(0))
        aov = (revenue / len(captured)).quantize(decimal.Decimal("0.01"),
                                                rounding=decimal.ROUND_DOWN) if captured else 0
        return {"by_status": dict(by_status), "revenue": revenue, "captured": len(captured),
                "aov": aov, "refunds": len(refunds),
                "refunded": sum(refunds, decimal.Decimal(0))}

    def dashboard(self):
        m = self.metrics()
        statuses = " · ".join(f"{s} {n}" for s, n in m["by_status"].items())
        return (f"tx {self.transactions:>5} | orders: {statuses} | revenue {money(m['revenue'])}"
                f" | AOV {money(m['aov'])} | refunds {m['refunds']} ({money(m['refunded'])})"
                f" | illegal {self.illegal_transitions}")

    def report(self):
        m = self.metrics()
        out = ["Orders by status: " + " ".join(f"{s} {n}" for s, n in m["by_status"].items()),
               f"Revenue (captured, not refunded): {money(m['revenue'])} from {m['captured']} "
               f"payments; average order value {money(m['aov'])}",
               f"Refunds: {m['refunds']} ({money(m['refunded'])})",
               "Inventory                 on hand  reserved  available  (held by open orders)"]
        for product, (name, on_hand, reserved) in sorted(self.stock.items()):
            out.append(f"  {product:>2} {name:<20} {on_hand:>8} {reserved:>9} "
                       f"{on_hand - reserved:>10}  ({self.reserved_by_orders[product]})")
        return "\n".join(out)


def run(config):
    processor = OrderProcessor()
    last = time.monotonic()

    def handle(_batches, events):
        nonlocal last
        processor.apply(events)
        if time.monotonic() - last >= 1:
            print(processor.dashboard(), flush=True)
            last = time.monotonic()

    with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        print(f"Streaming slot {config.slot_name} ({config.plugin}); Ctrl-C to stop.", flush=True)
        for_each_transaction(connector, handle, stop_at_done=config.end_lsn is None)
    print(processor.dashboard())
    print()
    print(processor.report())
    return processor


def main():
    args = parse_args(__doc__.splitlines()[0], "ex02_ecommerce",
                      lambda p: p.add_argument("--orders", type=int, default=400))
    if not args.no_workload:
        workload("02_ecommerce_orders", args.dsn, "--setup")
    config = dataclasses.replace(
        fresh_slot(args.dsn, "ex02_slot", "ex02_pub", TABLES, args.plugin), batch_size=500)
    running = None if args.no_workload else workload(
        "02_ecommerce_orders", args.dsn, "--orders", str(args.orders), wait=False)
    try:
        run(config)
    except KeyboardInterrupt:
        print("interrupted")
    finally:
        if running:
            running.wait()


if __name__ == "__main__":
    main()
