// Checkout: delivery (method with its price; an address or a parcel-locker code) and
// the payment method; then the order is made and its payment started.
import { ApiError, get, idempotencyKey, notServed, post } from "../api.js";
import { add, alertBox, busy, field, fill, formData, h, showError } from "../dom.js";
import { cents, fromCents, money } from "../format.js";
import { bucketLines, session } from "../state.js";
import { addressBody, addressFields, addressText } from "./account.js";

const PAYMENTS = [
  ["card", "Card", "Pay now with a card."],
  ["transfer", "Bank transfer", "Pay by transfer; the order ships when the money arrives."],
  ["payu", "PayU", "Pay on PayU's page (online transfer, BLIK, card)."],
];
const POINT = /^[A-Z0-9-]{3,32}$/;

async function optional(path) {
  try {
    return await get(path);
  } catch (error) {
    if (notServed(error)) return null;  // this build serves no delivery yet
    throw error;
  }
}

export async function checkoutView(main) {
  fill(main, h("h1", {}, "Checkout"));
  if (!session.customer) {
    add(main, alertBox("info", h("span", {}, "Please ", h("a", { href: "#/login?next=checkout" }, "log in"),
      " or ", h("a", { href: "#/register" }, "register"), " to order. Your bucket comes along.")));
    return;
  }
  let bucket, methods, addresses;
  try {
    [bucket, methods, addresses] = await Promise.all([bucketLines(),
      optional("/api/delivery-methods?page_size=100"), optional("/api/addresses?page_size=100")]);
  } catch (error) {
    showError(main, error);
    return;
  }
  if (!bucket.lines.length) {
    add(main, h("p", {}, "Your bucket is empty. ", h("a", { href: "#/" }, "Browse the catalog")));
    return;
  }
  const deliveryMethods = methods ? methods.results : [];
  const saved = addresses ? addresses.results : [];
  const summary = h("p", { class: "total", id: "checkout-total", "aria-live": "polite" });
  const form = h("form", { novalidate: true, id: "checkout" });
  const deliverySection = h("div", { id: "delivery-details" });

  const update = () => {
    const method = deliveryMethods.find((m) => m.code === (form.elements.delivery_method || {}).value);
    renderDetails(deliverySection, method, saved);
    let delivery = 0;
    if (method) delivery = deliveryPrice(method, bucket.total);
    fill(summary, `Items ${money(bucket.total)}`,
      method ? ` + delivery ${money(fromCents(delivery))}` : "",
      ` = ${money(fromCents(cents(bucket.total) + delivery))}`);
  };

  add(form, 
    h("section", { class: "panel", "aria-labelledby": "items-title" },
      h("h2", { id: "items-title" }, "Your items"),
      h("ul", {}, bucket.lines.map((line) => h("li", {}, `${line.product_name} × ${line.quantity} – ${money(line.value)} each`))),
      h("p", {}, h("a", { href: "#/bucket" }, "Change the bucket"))),
    deliveryMethods.length ? h("fieldset", { "data-field": "delivery_method" },
      h("legend", {}, "Delivery"),
      deliveryMethods.map((method, index) => choice("delivery_method", method.code, index === 0,
        `${method.name} – ${deliveryLabel(method, bucket.total)}`, update)),
      h("span", { class: "error" }),
      deliverySection) : null,
    h("fieldset", { "data-field": "payment" },
      h("legend", {}, "Payment"),
      PAYMENTS.map(([value, label, hint], index) => choice("payment", value, index === 0, `${label}: ${hint}`)),
      h("span", { class: "error" })),
    summary,
    h("p", { class: "total" }, h("button", { type: "submit" }, "Order and pay")));
  add(main, form);
  update();

  let key = idempotencyKey();  // one order however often the button is pressed
  let sent = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const body = orderBody(form, deliveryMethods);
      if (body instanceof ApiError) {
        showError(form, body);
        return;
      }
      const text = JSON.stringify(body);
      if (sent !== null && sent !== text) key = idempotencyKey();  // a changed order is a new one
      sent = text;
      let order;
      try {
        order = await post("/api/orders", body, { idempotency: key });
      } catch (error) {
        showError(form, error);
        return;
      }
      location.hash = `#/orders/${order.order_uuid}?start=1`;
    });
  });
}

function choice(name, value, checked, label, onchange) {
  const id = `${name}-${value}`;
  return h("div", { class: "choice" },
    h("input", { type: "radio", name, value, id, checked, onchange }),
    h("label", { for: id }, label));
}

function deliveryPrice(method, itemsTotal) {
  if (method.free_from !== null && method.free_from !== undefined && cents(itemsTotal) >= cents(method.free_from)) return 0;
  return cents(method.price);
}

function deliveryLabel(method, itemsTotal) {
  const price = deliveryPrice(method, itemsTotal);
  const free = method.free_from ? ` (free from ${money(method.free_from, method.currency)})` : "";
  return `${price === 0 ? "free" : money(method.price, method.currency)}${free}`;
}

function renderDetails(section, method, saved) {
  fill(section);
  if (!method) return;
  if (method.needs_point) {
    add(section, field("Parcel locker code", "point_id",
      { required: true, autocomplete: "off", pattern: "[A-Za-z0-9-]{3,32}", class: "upper" },
      { hint: "The locker's code, e.g. KRA01M (3–32 letters, digits or -)." }));
  }
  if (method.needs_address) {
    const options = saved.map((a) => [a.uuid, addressText(a)]);
    const preferred = saved.find((a) => a.is_default) || saved[0];
    if (options.length) {
      add(section, field("Deliver to", "address", { value: preferred ? preferred.uuid : "" },
        { options: [...options, ["new", "A new address…"]] }));
      const select = section.querySelector("select[name=address]");
      const fresh = h("div", { id: "new-address", hidden: true }, addressFields());
      select.addEventListener("change", () => { fresh.hidden = select.value !== "new"; });
      add(section, fresh);
    } else {
      add(section, h("div", { id: "new-address" }, h("p", { class: "muted" }, "Deliver to:"), addressFields()));
    }
  }
}

function orderBody(form, deliveryMethods) {
  const data = formData(form);
  const body = { payment: data.payment || "card" };
  const method = deliveryMethods.find((m) => m.code === data.delivery_method);
  if (!method) return body;
  body.delivery_method = method.code;
  if (method.needs_point) {
    const point = (data.point_id || "").toUpperCase();
    if (!POINT.test(point)) {
      return new ApiError(400, { code: 1000, message: "Validation error",
        details: { point_id: ["Enter the locker's code: 3–32 letters, digits or -."] } });
    }
    body.point_id = point;
  }
  if (method.needs_address) {
    const fresh = form.querySelector("#new-address");
    body.address = fresh && !fresh.hidden ? addressBody(data) : data.address;
  }
  return body;
}
