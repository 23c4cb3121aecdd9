"""Example 03 in Python: streaming analytics on orders — tumbling windows of commit time with
orders, items, revenue, revenue by category and by region and the top products, plus running
totals (live KPIs). Products are kept from the stream (a dimension table).

    python3 examples/python/03_realtime_analytics.py [--window-ms 5000] [--orders N] [--dsn ...]

Without --dsn it uses the demo server (database ex03_analytics) and runs the C++ example's order
simulator; a window is printed when the stream passes its end, the rest at the done message.
"""

import collections
import dataclasses
import decimal
import time

from _common import for_each_transaction, fresh_slot, money, parse_args, sabot_cdc, workload

TABLES = ["ex03.products", "ex03.orders", "ex03.order_lines"]
TOP_N = 3


@dataclasses.dataclass
class Figures:
    orders: int = 0
    items: int = 0
    revenue: decimal.Decimal = decimal.Decimal(0)
    by_category: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    by_region: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    by_product: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def add(self, region, lines, products):
        self.orders += 1
        for product, quantity, price in lines:
            amount = quantity * price
            self.items += quantity
            self.revenue += amount
            self.by_category[products[product][1]] += amount
            self.by_region[region] += amount
            self.by_product[product] += amount

    def top(self, products):
        ranked = sorted(self.by_product.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_N]
        return ", ".join(f"{products[p][0]} {money(v)}" for p, v in ranked)


class Analytics:
    def __init__(self, window_ms):
        self.window_us = window_ms * 1000
        self.products = {}  # id -> (name, category, price)
        self.windows = {}  # window start (µs since epoch) -> Figures
        self.totals = Figures()
        self.printed = set()

    def apply(self, batch, events):
        start = int(batch.commit_time.timestamp() * 1_000_000) // self.window_us * self.window_us
        orders, lines = {}, collections.defaultdict(list)
        for e in events:
            if e.table == "products" and e.type in ("insert", "update"):
                self.products[e.data["id"]] = (e.data["name"], e.data["category"],
                                               e.data["price"])
            elif e.table == "orders" and e.type == "insert":
                orders[e.data["id"]] = e.data["region"]
            elif e.table == "order_lines" and e.type == "insert":
                lines[e.data["order_id"]].append((e.data["product_id"], e.data["quantity"],
                                                  e.data["unit_price"]))
        for order_id, region in orders.items():
            self.windows.setdefault(start, Figures()).add(region, lines[order_id], self.products)
            self.totals.add(region, lines[order_id], self.products)
        self.print_closed(before=start)

    def print_closed(self, before=None):
        for start in sorted(self.windows):
            if start in self.printed or (before is not None and start >= before):
                continue
            w = self.windows[start]
            at = time.strftime("%H:%M:%S", time.gmtime(start / 1e6))
            print(f"[{at} +{self.window_us // 1000} ms] orders {w.orders} items {w.items} revenue "
                  f"{money(w.revenue)} | top: {w.top(self.products)}", flush=True)
            self.printed.add(start)

    def report(self):
        t = self.totals
        out = [f"Total: {t.orders} orders, {t.items} items, revenue {money(t.revenue)}"]
        out += [f"  category {c:<12} {money(v)}" for c, v in sorted(t.by_category.items())]
        out += [f"  region   {r:<12} {money(v)}" for r, v in sorted(t.by_region.items())]
        return "\n".join(out)


def run(config, window_ms):
    analytics = Analytics(window_ms)
    with sabot_cdc.PostgreSQLCDCConnector(config) as connector:
        print(f"Streaming slot {config.slot_name} ({config.plugin}); Ctrl-C to stop.", flush=True)
        for_each_transaction(connector, lambda b, e: analytics.apply(b[0], e),
                             stop_at_done=config.end_lsn is None)
    analytics.print_closed()
    print(analytics.report())
    return analytics


def main():
    def extra(p):
        p.add_argument("--window-ms", type=int, default=5000)
        p.add_argument("--orders", type=int, default=600)
        p.add_argument("--duration-ms", type=int, default=20000)
    args = parse_args(__doc__.splitlines()[0], "ex03_analytics", extra)
    if not args.no_workload:
        workload("03_realtime_analytics", args.dsn, "--setup")
    config = dataclasses.replace(
        fresh_slot(args.dsn, "ex03_slot", "ex03_pub", TABLES, args.plugin), batch_size=500)
    running = None if args.no_workload else workload(
        "03_realtime_analytics", args.dsn, "--orders", str(args.orders), "--duration-ms",
        str(args.duration_ms), wait=False)
    try:
        run(config, args.window_ms)
    except KeyboardInterrupt:
        print("interrupted")
    finally:
        if running:
            running.wait()


if __name__ == "__main__":
    main()
