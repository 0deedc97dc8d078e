// Orders: the list, one order (status, delivery, fulfilment, refunds) and its payment:
// card tokens of the sandbox (3-D Secure via its page), the transfer instruction, PayU.
import { ApiError, get, idempotencyKey, post, query } from "../api.js";
import { add, alertBox, busy, fill, flash, h, showError } from "../dom.js";
import { money, when } from "../format.js";
import { describe } from "../messages.js";
import { session } from "../state.js";

const STATUS = { new: "new", to_pay: "waiting for payment", paid: "paid", error: "payment failed",
  returned: "returned" };
const PAYMENT_STATUS = { pending: "waiting", requires_action: "waiting for you", succeeded: "paid",
  failed: "failed", canceled: "canceled", refunded: "refunded", partially_refunded: "partly refunded" };
const METHODS = { card: "Card", transfer: "Bank transfer", payu: "PayU" };
// The card sandbox's test tokens (the same as Stripe's test mode).
const CARD_TOKENS = [
  ["pm_card_visa", "Visa ending 4242 (succeeds)"],
  ["pm_card_chargeDeclined", "Card that is declined"],
  ["pm_card_threeDSecure2Required", "Card that asks for 3-D Secure"],
];
const PAYABLE = ["new", "to_pay"];
const OPEN_PAYMENT = ["pending", "requires_action"];
export const AWAITING = "shop.awaiting-payment";  // sessionStorage: the order PayU returns to
const PAGE_SIZE = 10;

function needLogin(main, error) {
  if (error instanceof ApiError && error.code === 3002) {
    add(main, alertBox("info", h("span", {}, "Please ", h("a", { href: "#/login" }, "log in"), " to see your orders.")));
    return true;
  }
  return false;
}

export async function ordersView(main, params) {
  fill(main, h("h1", {}, "Your orders"));
  const page = Number(params.get("page") || 1);
  let answer;
  try {
    answer = await get(`/api/orders${query({ page: page > 1 ? page : "", page_size: PAGE_SIZE })}`);
  } catch (error) {
    if (!needLogin(main, error)) showError(main, error);
    return;
  }
  if (!answer.results.length) {
    add(main, h("p", {}, "No order yet. ", h("a", { href: "#/" }, "Browse the catalog")));
    return;
  }
  add(main, h("table", { class: "lines", id: "orders" },
    h("caption", { class: "visually-hidden" }, "Orders, newest first"),
    h("thead", {}, h("tr", {}, ["Order", "Placed", "Payment", "Status", "Total"].map((t, i) =>
      h("th", { scope: "col", class: i === 4 ? "num" : null }, t)))),
    h("tbody", {}, answer.results.map((order) => h("tr", { "data-order": order.order_uuid },
      h("td", {}, h("a", { href: `#/orders/${order.order_uuid}` }, `Order ${order.order_uuid.slice(0, 8)}`)),
      h("td", {}, when(order.date_created)),
      h("td", {}, METHODS[order.payment] || order.payment),
      h("td", {}, statusTag(order.status, STATUS)),
      h("td", { class: "num" }, money(order.sum, order.currency)))))));
  if (answer.next || answer.previous) {
    add(main, h("nav", { class: "pager", "aria-label": "Pages" },
      answer.previous ? h("a", { class: "button secondary", href: `#/orders?page=${page - 1}` }, "← Newer") : null,
      h("span", {}, `Page ${page}`),
      answer.next ? h("a", { class: "button secondary", href: `#/orders?page=${page + 1}` }, "Older →") : null));
  }
}

function statusTag(status, names) {
  return h("span", { class: `status ${status}`, "data-status": status }, names[status] || status);
}

async function latestPayment(orderId) {
  try {
    return await get(`/api/orders/${orderId}/payment`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;  // none started yet
    throw error;
  }
}

export async function orderView(main, id, params) {
  let order, payment;
  try {
    order = await get(`/api/orders/${encodeURIComponent(id)}`);
    payment = await latestPayment(order.order_uuid);
  } catch (error) {
    fill(main, h("h1", {}, "Order"));
    if (!needLogin(main, error)) showError(main, error);
    return;
  }
  document.title = `Order ${order.order_uuid.slice(0, 8)} – Shop`;
  const payPanel = h("section", { class: "panel", id: "payment", "aria-labelledby": "payment-title" });
  fill(main, 
    h("p", {}, h("a", { href: "#/orders" }, "← Your orders")),
    h("h1", {}, `Order ${order.order_uuid.slice(0, 8)}`),
    h("section", { class: "panel", "aria-label": "Summary" }, h("dl", { class: "facts" },
      h("dt", {}, "Status"), h("dd", { id: "order-status" }, statusTag(order.status, STATUS)),
      h("dt", {}, "Placed"), h("dd", {}, when(order.date_created)),
      order.date_paid ? [h("dt", {}, "Paid"), h("dd", {}, when(order.date_paid))] : null,
      h("dt", {}, "Payment method"), h("dd", {}, METHODS[order.payment] || order.payment),
      h("dt", {}, "Order number"), h("dd", {}, h("code", {}, order.order_uuid)))),
    linesTable(order),
    deliveryPanel(order),
    refundsPanel(order),
    payPanel,
    cancelButton(main, order));
  renderPayment(payPanel, main, order, payment, params);
}

function linesTable(order) {
  return h("table", { class: "lines" },
    h("caption", { class: "visually-hidden" }, "Order lines"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Product"), h("th", { scope: "col", class: "num" }, "Quantity"),
      h("th", { scope: "col", class: "num" }, "Unit price"))),
    h("tbody", {}, order.lines.map((line) => h("tr", {},
      h("td", {}, line.product_name), h("td", { class: "num" }, String(line.quantity)),
      h("td", { class: "num" }, money(line.value, order.currency))))),
    h("tfoot", {},
      order.items_total !== undefined && order.delivery ? h("tr", {}, h("th", { scope: "row", colspan: 2 }, "Items"),
        h("td", { class: "num" }, money(order.items_total, order.currency))) : null,
      order.delivery ? h("tr", {}, h("th", { scope: "row", colspan: 2 }, `Delivery: ${order.delivery.name}`),
        h("td", { class: "num" }, money(order.delivery.price, order.currency))) : null,
      h("tr", {}, h("th", { scope: "row", colspan: 2 }, "Total"),
        h("td", { class: "num", id: "order-sum" }, money(order.sum, order.currency)))));
}

function deliveryPanel(order) {
  if (!order.delivery && !order.fulfilment) return null;
  const d = order.delivery;
  const address = d && d.address ? [d.address.name, d.address.street, `${d.address.postal_code} ${d.address.city}`,
    d.address.country, d.address.phone].filter(Boolean).join(", ") : null;
  const f = order.fulfilment;
  return h("section", { class: "panel", id: "delivery", "aria-labelledby": "delivery-title" },
    h("h2", { id: "delivery-title" }, "Delivery"),
    h("dl", { class: "facts" },
      d ? [h("dt", {}, "Method"), h("dd", {}, d.name)] : null,
      d && d.point_id ? [h("dt", {}, "Parcel locker"), h("dd", {}, d.point_id)] : null,
      address ? [h("dt", {}, "Address"), h("dd", {}, address)] : null,
      h("dt", {}, "Shipping"),
      h("dd", { id: "fulfilment" }, f ? [`Shipped ${when(f.shipped_at)}`,
        f.carrier ? ` by ${f.carrier}` : "", f.tracking_number ? `, tracking number ${f.tracking_number}` : ""]
        : order.status === "paid" ? "Being prepared" : "Ships once paid")));
}

function refundsPanel(order) {
  if (!order.refunds || !order.refunds.length) return null;
  return h("section", { class: "panel", id: "refunds", "aria-labelledby": "refunds-title" },
    h("h2", { id: "refunds-title" }, "Refunds"),
    h("p", {}, `Refunded so far: ${money(order.refunded, order.currency)}`),
    h("ul", {}, order.refunds.map((refund) => h("li", {},
      `${money(refund.amount, refund.currency)} – `, statusTag(refund.status, { pending: "pending", succeeded: "refunded", failed: "failed" }),
      ` (${when(refund.created_at)})`, refund.reason ? ` – ${refund.reason}` : ""))));
}

function cancelButton(main, order) {
  if (!["new", "to_pay", "paid"].includes(order.status)) return null;
  const button = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!window.confirm("Cancel this order?")) return;
    button.disabled = true;
    try {
      await post(`/api/orders/${order.order_uuid}/set_canceled`);
      flash("ok", order.status === "paid" ? "The order is canceled; the payment is refunded." : "The order is canceled.");
    } catch (error) {
      flash("error", describe(error));
    }
    await orderView(main, order.order_uuid, new URLSearchParams());
  } }, "Cancel the order");
  return h("p", {}, button);
}

// --- paying ------------------------------------------------------------------------

function renderPayment(panel, main, order, payment, params) {
  const title = h("h2", { id: "payment-title" }, "Payment");
  fill(panel, title);
  if (payment) {
    add(panel, h("p", {}, `${METHODS[payment.method] || payment.method}: `,
      statusTag(payment.status, PAYMENT_STATUS), ` – ${money(payment.amount, payment.currency)}`));
  }
  if (!PAYABLE.includes(order.status)) {
    if (order.status === "paid") add(panel, alertBox("ok", "Thank you: this order is paid."));
    if (order.status === "error") add(panel, alertBox("error", "The payment provider reported that this payment failed. The order is closed."));
    sessionStorage.removeItem(AWAITING);
    return;
  }
  const awaiting = sessionStorage.getItem(AWAITING) === order.order_uuid;
  if (payment && OPEN_PAYMENT.includes(payment.status) && payment.next_action) {
    add(panel, nextAction(panel, main, order, payment, awaiting));
  } else if (params.get("start") && !payment) {
    start(panel, main, order, order.payment);
    return;
  } else {
    if (payment && payment.status === "failed") add(panel, alertBox("error", "The last payment attempt failed. You can try again."));
    add(panel, h("p", {}, h("button", { type: "button", onclick: () => start(panel, main, order, order.payment) },
      `Pay ${money(order.sum, order.currency)}`)));
  }
  add(panel, switchMethod(panel, main, order, payment));
}

async function start(panel, main, order, method, then) {
  let payment;
  try {
    payment = await post(`/api/orders/${order.order_uuid}/payment`, method ? { method } : {},
      { idempotency: idempotencyKey() });
  } catch (error) {
    showError(panel, error);
    return null;
  }
  if (then) return then(payment);
  await orderView(main, order.order_uuid, new URLSearchParams());
  const shown = main.querySelector("#payment");
  if (shown) shown.scrollIntoView({ block: "nearest" });
  return payment;
}

function nextAction(panel, main, order, payment, awaiting) {
  const action = payment.next_action;
  if (action.type === "card_token") return cardForm(panel, main, order, payment);
  if (action.type === "bank_transfer") return transferInstruction(action);
  if (action.type === "redirect") {
    const payu = payment.method === "payu";
    const box = h("div", {},
      awaiting && payu ? alertBox("info", "Waiting for PayU to confirm the payment…") : null,
      h("p", {}, payu ? "Pay on PayU's page; you come back here afterwards."
        : "Your bank asks you to confirm this payment (3-D Secure)."),
      h("p", {}, h("a", { class: "button", href: action.url, id: "continue-payment",
        onclick: () => sessionStorage.setItem(AWAITING, order.order_uuid) },
        payu ? "Continue to PayU" : "Continue to 3-D Secure")));
    if (payu) {
      add(box, h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => checkPayu(panel, main, order) },
        "I have paid: check the payment")));
      if (awaiting) poll(panel, main, order);
    }
    return box;
  }
  return h("p", {}, "Waiting for the payment provider.");
}

function cardForm(panel, main, order, payment) {
  let current = payment;
  const form = h("form", { id: "card-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, "Card (the shop's card sandbox: choose a test card)"),
      CARD_TOKENS.map(([token, label], index) => h("div", { class: "choice" },
        h("input", { type: "radio", name: "card_token", value: token, id: `card-${token}`, checked: index === 0 }),
        h("label", { for: `card-${token}` }, label)))),
    h("button", { type: "submit" }, `Pay ${money(payment.amount, payment.currency)}`));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const token = new FormData(form).get("card_token");
      // After a decline the attempt is over: a retry starts a new payment first.
      if (!OPEN_PAYMENT.includes(current.status)) {
        current = await start(panel, main, order, "card", (p) => p);
        if (!current) return;
      }
      let answer;
      try {
        answer = await post(`/api/orders/${order.order_uuid}/payment/confirm`, { card_token: token },
          { idempotency: idempotencyKey() });
      } catch (error) {
        if (error instanceof ApiError && (error.code === 5002 || error.code === 5011)) current = { ...current, status: "failed" };
        showError(form, error);
        return;
      }
      current = answer;
      if (answer.next_action && answer.next_action.type === "redirect") {
        sessionStorage.setItem(AWAITING, order.order_uuid);
        window.location.assign(answer.next_action.url);  // the 3-D Secure page
        return;
      }
      await orderView(main, order.order_uuid, new URLSearchParams());
    });
  });
  return form;
}

function copyButton(label, value) {
  const button = h("button", { type: "button", class: "secondary copy", "aria-label": `Copy the ${label}`,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    } }, "Copy");
  return button;
}

function transferInstruction(action) {
  const rows = [["Account holder", "holder", action.account_holder], ["IBAN", "iban", action.iban],
    ["Title (reference)", "title", action.title], ["Amount", "amount", `${action.amount} ${action.currency}`]];
  return h("div", { id: "transfer" },
    h("p", {}, "Send a bank transfer with exactly this title. The order is paid when the money arrives."),
    h("dl", { class: "facts" }, rows.map(([label, key, value]) => [
      h("dt", {}, label),
      h("dd", {}, h("code", { "data-copy": key }, value), copyButton(label.toLowerCase(), value))])));
}

function switchMethod(panel, main, order, payment) {
  const current = payment ? payment.method : order.payment;
  const others = Object.keys(METHODS).filter((m) => m !== current);
  const select = h("select", { id: "switch-method" }, others.map((m) => h("option", { value: m }, METHODS[m])));
  return h("form", { class: "row", "aria-label": "Pay another way", onsubmit: (event) => {
    event.preventDefault();
    sessionStorage.removeItem(AWAITING);
    start(panel, main, order, select.value);
  } },
  h("div", { class: "field" }, h("label", { for: "switch-method" }, "Pay another way"), select),
  h("div", { class: "field" }, h("button", { type: "submit", class: "secondary" }, "Switch")));
}

async function checkPayu(panel, main, order) {
  try {
    await post(`/api/orders/${order.order_uuid}/payment/confirm`, {}, { idempotency: idempotencyKey() });
  } catch (error) {
    showError(panel, error);
    return;
  }
  await orderView(main, order.order_uuid, new URLSearchParams());
}

// Back from PayU: its notification settles the payment, usually within seconds.
let polling = null;
function poll(panel, main, order, tries = 0) {
  clearTimeout(polling);
  if (tries >= 40) return;
  polling = setTimeout(async () => {
    if (!document.body.contains(panel) || !session.customer) return;
    let fresh;
    try {
      fresh = await get(`/api/orders/${order.order_uuid}`);
    } catch {
      poll(panel, main, order, tries + 1);
      return;
    }
    if (fresh.status !== order.status) await orderView(main, order.order_uuid, new URLSearchParams());
    else poll(panel, main, order, tries + 1);
  }, 1500);
}
