// The bucket: lines, quantities, each line's reservation counting down, the total.
import { ApiError, del, put } from "../api.js";
import { add, alertBox, fill, h, showError } from "../dom.js";
import { countdown, money } from "../format.js";
import { bucketLines, session } from "../state.js";

let ticker = null;

export async function bucketView(main) {
  clearInterval(ticker);
  let bucket;
  try {
    bucket = await bucketLines();
  } catch (error) {
    fill(main, h("h1", {}, "Your bucket"));
    showError(main, error);
    return;
  }
  fill(main, h("h1", {}, "Your bucket"));
  if (!bucket.lines.length) {
    add(main, h("p", {}, "Your bucket is empty. ", h("a", { href: "#/" }, "Browse the catalog")));
    return;
  }
  const timers = [];
  const rows = bucket.lines.map((line) => {
    const id = `qty-${line.bucket_uuid}`;
    const input = h("input", { id, type: "number", min: 0, value: line.quantity, inputmode: "numeric", class: "qty" });
    const timer = h("span", { class: "countdown" }, countdown(line.reserved_until));
    timers.push([timer, line.reserved_until]);
    const row = h("tr", { "data-line": line.bucket_uuid },
      h("td", {}, h("a", { href: `#/product/${line.product}` }, line.product_name), h("br"), timer),
      h("td", {}, h("label", { for: id, class: "visually-hidden" }, `Quantity of ${line.product_name}`), input,
        h("button", { type: "button", class: "secondary", onclick: () => change(main, row, line, Number(input.value)) }, "Update")),
      h("td", { class: "num" }, money(line.value)),
      h("td", { class: "num" }, h("button", { type: "button", class: "danger",
        "aria-label": `Remove ${line.product_name}`, onclick: () => remove(main, row, line) }, "Remove")));
    return row;
  });
  add(main, 
    h("table", { class: "lines" },
      h("caption", { class: "visually-hidden" }, "Bucket lines"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Product"), h("th", { scope: "col" }, "Quantity"),
        h("th", { scope: "col", class: "num" }, "Unit price"), h("th", { scope: "col", class: "num" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", {}, rows)),
    h("p", { class: "total", id: "bucket-total" }, "Total: ", money(bucket.total)),
    session.customer
      ? h("p", { class: "total" }, h("a", { class: "button", href: "#/checkout" }, "Go to checkout"))
      : alertBox("info", h("p", {}, "Your bucket is kept for you as a guest. To order, ",
          h("a", { href: "#/login?next=checkout" }, "log in"), " or ",
          h("a", { href: "#/register" }, "register"), ": the bucket comes along.")));
  ticker = setInterval(() => {
    if (!document.body.contains(main.querySelector(".lines"))) { clearInterval(ticker); return; }
    for (const [el, until] of timers) el.textContent = countdown(until);
  }, 1000);
}

async function change(main, row, line, quantity) {
  if (!Number.isInteger(quantity) || quantity < 0) {
    showError(main, new ApiError(400, { code: 1000, message: "Validation error",
      details: { quantity: ["Enter a whole number, 0 or more."] } }));
    return;
  }
  try {
    await put(`/api/bucket/${line.bucket_uuid}`, { quantity });
    await bucketView(main);
  } catch (error) {
    await bucketView(main);
    showError(main, error);
  }
}

async function remove(main, row, line) {
  try {
    await del(`/api/bucket/${line.bucket_uuid}`);
    await bucketView(main);
  } catch (error) {
    await bucketView(main);
    showError(main, error);
  }
}
