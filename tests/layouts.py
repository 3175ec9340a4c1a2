"""Generated transaction exports in a dozen realistic layouts, each with its known revenue and discount.

Every layout is built from the same kind of shopping (customers, baskets, items with fixed unit
prices, quantities, discounts) and written the way a real export would write it: unit prices or
line totals, one to three discount columns (some as negative numbers, some per line, some per
unit), English or Chinese headers, ISO, day-first or Unix times. ``revenue`` is the sum of what
customers paid, computed here from the generator's own numbers (never by PromoScope), and
``discount`` the total amount off in money.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field


@dataclass
class Layout:
    name: str
    text: str
    revenue: float
    discount: float
    expect: dict = field(default_factory=dict)      # canonical column -> file column(s) the inference must pick
    review: tuple[str, ...] = ()                    # canonical columns the inference must flag for review
    delimiter: str = ","

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


def _lines(seed: int, n_orders: int = 300, fuel: int = 0, discounts: int = 1):
    """Purchase lines: dicts with user, order, time, item, name, unit, qty, and `discounts` line amounts off."""
    rng = random.Random(seed)
    items = [(f"{1000 + i}", f"Item {i}", round(rng.uniform(0.5, 40), 2)) for i in range(40)]
    start = dt.datetime(2024, 3, 1, 8, 0)
    out = []
    for o in range(n_orders):
        user = f"{5000 + rng.randrange(80)}"
        t = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 90))
        for code, name, unit in rng.sample(items, rng.randint(1, 5)):
            qty = rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 6])
            offs = [round(unit * qty * rng.choice([0, 0, 0, 0.1, 0.2]), 2) for _ in range(discounts)]
            out.append({"user": user, "order": f"{900000 + o}", "time": t, "item": code, "name": name,
                        "unit": unit, "qty": qty, "offs": offs})
    for k in range(fuel):  # fuel sold by volume: quantity in the tens of thousands, amount a few tens
        t = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 90))
        qty = rng.randint(15000, 60000)
        amount = round(rng.uniform(20, 70), 2)
        out.append({"user": f"{5000 + rng.randrange(80)}", "order": f"{800000 + k}", "time": t, "item": "FUEL",
                    "name": "Fuel", "unit": amount / qty, "qty": qty, "offs": [0.0] * discounts,
                    "paid": amount})
    return out


def _paid(r) -> float:
    return r["paid"] if "paid" in r else round(r["unit"] * r["qty"] - sum(r["offs"]), 2)


def _csv(header, rows, delim=",") -> str:
    return delim.join(header) + "\n" + "".join(delim.join(str(c) for c in row) + "\n" for row in rows)


def _uoff(r) -> float:
    return round(r["offs"][0] / r["qty"], 2)


def _totals(lines, per_unit_price: bool = False):
    if per_unit_price:   # revenue = (unit - unit discount) x qty, from the numbers as written
        return (sum(round(r["unit"] - _uoff(r), 2) * r["qty"] for r in lines),
                sum(_uoff(r) * r["qty"] for r in lines))
    return sum(_paid(r) for r in lines), sum(sum(r["offs"]) for r in lines)


def layouts() -> dict[str, Layout]:
    out: dict[str, Layout] = {}

    # 1. the grocery export of the issue: line amounts, three discounts written as negatives, fuel
    g = _lines(1, fuel=12, discounts=3)
    rows = [[r["user"], "318", r["order"], r["item"], r["qty"], f"{_paid(r):.2f}", f"{-r['offs'][0]:.2f}",
             f"{-r['offs'][1]:.2f}", f"{-r['offs'][2]:.2f}", 1 + (r["time"] - dt.datetime(2024, 1, 1)).days // 7,
             r["time"].strftime("%Y-%m-%d %H:%M:%S")] for r in g]
    rev, disc = _totals(g)
    out["grocery"] = Layout("grocery", _csv(["household_id", "store_id", "basket_id", "product_id", "quantity",
                                             "sales_value", "retail_disc", "coupon_disc", "coupon_match_disc",
                                             "week", "transaction_timestamp"], rows), rev, disc,
                            {"user_id": "household_id", "order_id": "basket_id", "item_id": "product_id",
                             "quantity": "quantity", "line_total": "sales_value",
                             "timestamp": "transaction_timestamp",
                             "discount": ("retail_disc", "coupon_disc", "coupon_match_disc")})

    # 2. Chinese marketplace order lines: unit price, quantity, one discount per line, amount paid
    c = _lines(2)
    rows = [[r["order"], "M" + r["user"], r["time"].strftime("%Y/%m/%d %H:%M"), r["item"], r["name"],
             f"{r['unit']:.2f}", r["qty"], f"{r['offs'][0]:.2f}", f"{_paid(r):.2f}"] for r in c]
    rev, disc = _totals(c)
    out["cn_marketplace"] = Layout("cn_marketplace", _csv(["订单编号", "会员", "支付时间", "商品编号", "商品名称",
                                                           "单价", "数量", "优惠金额", "实付金额"], rows), rev, disc,
                                   {"user_id": "会员", "timestamp": "支付时间", "order_id": "订单编号",
                                    "item_id": "商品编号", "item_name": "商品名称", "price": "单价",
                                    "quantity": "数量", "line_total": "实付金额", "discount": "优惠金额"})

    # 3. Chinese shop export: no unit price, two coupons, an order time and a payment time
    c = _lines(3, discounts=2)
    rows = [["VIP" + r["user"], r["time"].strftime("%Y-%m-%d %H:%M:%S"),
             (r["time"] + dt.timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S"), r["order"], r["item"], r["qty"],
             f"{_paid(r):.2f}", f"{r['offs'][0]:.2f}", f"{r['offs'][1]:.2f}"] for r in c]
    rev, disc = _totals(c)
    out["cn_two_coupons"] = Layout("cn_two_coupons", _csv(["会员卡号", "下单时间", "支付时间", "订单号", "货号", "数量",
                                                           "实付金额", "平台券", "店铺券"], rows), rev, disc,
                                   {"user_id": "会员卡号", "line_total": "实付金额", "discount": ("平台券", "店铺券")},
                                   review=("timestamp",))

    # 4. unit price and a per-unit discount (the contract's own form)
    u = _lines(4)
    rows = [["m" + r["user"], r["time"].isoformat(sep="T"), r["order"], "SKU" + r["item"], r["qty"],
             f"{round(r['unit'] - _uoff(r), 2):.2f}", f"{_uoff(r):.2f}"] for r in u]
    rev, disc = _totals(u, per_unit_price=True)
    out["unit_price"] = Layout("unit_price", _csv(["member_no", "order_datetime", "order_no", "sku", "qty",
                                                   "unit_price", "unit_discount"], rows), rev, disc,
                               {"user_id": "member_no", "timestamp": "order_datetime", "price": "unit_price",
                                "discount": "unit_discount", "order_id": "order_no"})

    # 5. line amount only, day-first dates, one coupon
    a = _lines(5)
    rows = [[r["user"], r["time"].strftime("%d/%m/%Y %H:%M"), "T" + r["order"], r["item"], r["qty"],
             f"{_paid(r):.2f}", f"{r['offs'][0]:.2f}"] for r in a]
    rev, disc = _totals(a)
    out["line_amount"] = Layout("line_amount", _csv(["customer_number", "trans_dt", "txn_id", "item_code", "units",
                                                     "line_amount", "coupon"], rows), rev, disc,
                                {"user_id": "customer_number", "timestamp": "trans_dt", "order_id": "txn_id",
                                 "item_id": "item_code", "quantity": "units", "line_total": "line_amount",
                                 "discount": "coupon"})

    # 6. CamelCase headers, unit price and a net amount, a promo saving per line
    b = _lines(6)
    rows = [[r["user"], r["time"].strftime("%Y-%m-%d %H:%M:%S"), r["order"], r["item"], r["qty"],
             f"{r['unit']:.2f}", f"{_paid(r):.2f}", f"{r['offs'][0]:.2f}"] for r in b]
    rev, disc = _totals(b)
    out["camel_case"] = Layout("camel_case", _csv(["AccountID", "TransactionDateTime", "ReceiptNo", "ProductCode",
                                                   "Quantity", "UnitPrice", "NetAmount", "PromoSaving"], rows),
                               rev, disc, {"user_id": "AccountID", "timestamp": "TransactionDateTime",
                                           "order_id": "ReceiptNo", "item_id": "ProductCode", "price": "UnitPrice",
                                           "line_total": "NetAmount", "discount": "PromoSaving"})

    # 7. three positive discount columns beside a net sales amount
    t = _lines(7, discounts=3)
    rows = [["C" + r["user"], r["time"].strftime("%Y-%m-%dT%H:%M:%SZ"), r["order"], r["item"], r["qty"],
             f"{_paid(r):.2f}", *(f"{x:.2f}" for x in r["offs"])] for r in t]
    rev, disc = _totals(t)
    out["three_discounts"] = Layout("three_discounts", _csv(["CustomerKey", "SaleTimestamp", "BasketKey", "ItemSku",
                                                             "QtySold", "NetSalesAmt", "MarkdownAmt", "CouponAmt",
                                                             "LoyaltyDiscAmt"], rows), rev, disc,
                                    {"user_id": "CustomerKey", "order_id": "BasketKey", "item_id": "ItemSku",
                                     "quantity": "QtySold", "line_total": "NetSalesAmt",
                                     "discount": ("MarkdownAmt", "CouponAmt", "LoyaltyDiscAmt")})

    # 8. a money column whose name does not say unit or line ("value"): the values decide (unit)
    v = _lines(8, discounts=0)
    rows = [["s" + r["user"], r["time"].strftime("%Y-%m-%d %H:%M"), r["item"], r["qty"], f"{r['unit']:.2f}"]
            for r in v]
    rev = sum(r["unit"] * r["qty"] for r in v)
    out["value_is_unit_price"] = Layout("value_is_unit_price", _csv(["shopper", "time", "product", "quantity",
                                                                     "value"], rows), rev, 0.0,
                                        {"price": "value"}, review=("price",))

    # 9. a fuel station with a shop: volumes in the tens of thousands, a sales value per line
    f = _lines(9, n_orders=200, fuel=40, discounts=0)
    rows = [["L" + r["user"], r["time"].strftime("%Y-%m-%d %H:%M:%S"), r["order"], r["item"], r["qty"],
             f"{_paid(r):.2f}"] for r in f]
    rev, _ = _totals(f)
    out["fuel_station"] = Layout("fuel_station", _csv(["loyalty_card_id", "transaction_time", "ticket_no",
                                                       "product_id", "volume", "sales_value"], rows), rev, 0.0,
                                 {"user_id": "loyalty_card_id", "quantity": "volume", "line_total": "sales_value",
                                  "order_id": "ticket_no"})

    # 10. Chinese app log with Unix seconds and unit prices
    x = _lines(10, discounts=0)
    rows = [[r["user"], int(r["time"].replace(tzinfo=dt.UTC).timestamp()), r["item"], f"{r['unit']:.2f}",
             r["qty"], r["order"]] for r in x]
    rev = sum(r["unit"] * r["qty"] for r in x)
    out["cn_unix"] = Layout("cn_unix", _csv(["用户ID", "时间戳", "商品ID", "价格", "数量", "订单号"], rows), rev, 0.0,
                            {"user_id": "用户ID", "timestamp": "时间戳", "price": "价格", "quantity": "数量"})

    # 11. semicolons and decimal commas, per-unit discount
    e = _lines(11)
    rows = [[r["user"], r["time"].strftime("%Y-%m-%d"), "INV" + r["order"], r["item"], r["qty"],
             f"{round(r['unit'] - _uoff(r), 2):.2f}".replace(".", ","), f"{_uoff(r):.2f}".replace(".", ",")]
            for r in e]
    rev, disc = _totals(e, per_unit_price=True)
    out["semicolon_comma"] = Layout("semicolon_comma", _csv(["client_ref", "sale_date", "invoice_ref", "article",
                                                             "qty", "price_per_unit", "discount_per_unit"], rows,
                                                            ";"), rev, disc,
                                    {"user_id": "client_ref", "timestamp": "sale_date", "order_id": "invoice_ref",
                                     "item_id": "article", "price": "price_per_unit",
                                     "discount": "discount_per_unit"}, delimiter=";")

    # 12. a behaviour log: views and carts carry prices too, only purchases count
    w = _lines(12, discounts=0)
    rows = []
    for r in w:
        for ev in ("pv", "cart", "buy"):
            rows.append([r["user"], (r["time"] + dt.timedelta(seconds={"pv": 0, "cart": 60, "buy": 120}[ev]))
                         .strftime("%Y-%m-%d %H:%M:%S"), ev, r["item"], f"{r['unit']:.2f}", r["qty"]])
    rev = sum(r["unit"] * r["qty"] for r in w)
    out["event_log"] = Layout("event_log", _csv(["visitor_id", "event_time", "event_type", "product", "price",
                                                 "qty"], rows), rev, 0.0,
                              {"user_id": "visitor_id", "timestamp": "event_time", "event": "event_type",
                               "item_id": "product", "price": "price"})
    return out
