// The catalog (search, type, ordering, paging) and a product's page.
import { ApiError, get, post, query } from "../api.js";
import { add, alertBox, field, fill, flash, formData, h, showError } from "../dom.js";
import { money } from "../format.js";
import { describe } from "../messages.js";
import { refreshBucketCount } from "../state.js";

const ORDERINGS = [["", "Featured"], ["name", "Name A–Z"], ["-name", "Name Z–A"],
  ["price", "Price: low to high"], ["-price", "Price: high to low"]];
const PAGE_SIZE = 12;
let knownTypes = null;

// The catalog answers no list of types: the types of the first hundred products stand in.
async function productTypes() {
  if (knownTypes === null) {
    try {
      const page = await get("/api/products?page_size=100");
      knownTypes = [...new Set(page.results.map((p) => p.product_type).filter(Boolean))].sort();
    } catch {
      knownTypes = [];
    }
  }
  return knownTypes;
}

function availability(product) {
  return product.quantity > 0
    ? h("span", { class: "stock in" }, `In stock: ${product.quantity}`)
    : h("span", { class: "stock out" }, "Sold out");
}

export async function catalogView(main, params) {
  const filters = { name: params.get("name") || "", type: params.get("type") || "",
    ordering: params.get("ordering") || "", page: params.get("page") || "" };
  const types = await productTypes();
  const form = h("form", { class: "filters", role: "search", "aria-label": "Products",
    onsubmit: (event) => {
      event.preventDefault();
      const data = formData(form);
      location.hash = `#/${query({ name: data.name, type: data.type, ordering: data.ordering })}`;
    } },
  field("Search", "name", { type: "search", value: filters.name, placeholder: "Product name" }),
  field("Type", "type", { value: filters.type },
    { options: [["", "All types"], ...types.map((t) => [t, t])] }),
  field("Order by", "ordering", { value: filters.ordering }, { options: ORDERINGS }),
  h("div", { class: "field" }, h("button", { type: "submit" }, "Show")));
  fill(main, h("h1", {}, "Catalog"), form);
  form.querySelectorAll("select").forEach((select) => select.addEventListener("change", () => form.requestSubmit()));

  let page;
  try {
    page = await get(`/api/products${query({ ...filters, page_size: PAGE_SIZE })}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && filters.page) {
      location.hash = `#/${query({ ...filters, page: "" })}`;  // a page past the end
      return;
    }
    showError(main, error);
    return;
  }
  const current = Number(filters.page || 1);
  const results = h("section", { "aria-label": "Products" },
    h("p", { class: "muted", role: "status" },
      `${page.count} product${page.count === 1 ? "" : "s"}${filters.name ? ` matching “${filters.name}”` : ""}`),
    page.results.length
      ? h("ul", { class: "grid" }, page.results.map((product) => h("li", { class: "card" },
          h("h2", {}, h("a", { href: `#/product/${product.uuid}` }, product.name)),
          product.product_type ? h("span", { class: "tag" }, product.product_type) : null,
          h("p", { class: "desc" }, product.description || ""),
          h("span", { class: "price" }, money(product.price)),
          availability(product),
          addButton(product))))
      : h("p", {}, "No product matches. Try another search."),
    pager(page, current, filters));
  add(main, results);
}

function pager(page, current, filters) {
  if (!page.next && !page.previous) return null;
  const pages = Math.max(1, Math.ceil(page.count / PAGE_SIZE));
  const link = (n, text, rel) => h("a", { class: "button secondary", rel,
    href: `#/${query({ ...filters, page: n > 1 ? n : "" })}` }, text);
  return h("nav", { class: "pager", "aria-label": "Pages" },
    page.previous ? link(current - 1, "← Previous", "prev") : null,
    h("span", {}, `Page ${current} of ${pages}`),
    page.next ? link(current + 1, "Next →", "next") : null);
}

function addButton(product, quantityInput) {
  if (product.quantity <= 0) return h("button", { type: "button", disabled: true }, "Sold out");
  const button = h("button", { type: "button", "aria-label": `Add ${product.name} to the bucket`,
    onclick: async () => {
      const quantity = quantityInput ? Number(quantityInput.value) : 1;
      button.disabled = true;
      try {
        await post("/api/bucket", { product: product.uuid, quantity });
        flash("ok", `${product.name} is in your bucket.`);
        await refreshBucketCount();
      } catch (error) {
        flash("error", `${product.name}: ${describe(error)}`);
      } finally {
        button.disabled = false;
      }
    } }, "Add to bucket");
  return button;
}

export async function productView(main, id) {
  let product;
  try {
    product = await get(`/api/products/${encodeURIComponent(id)}`);
  } catch (error) {
    fill(main, h("h1", {}, "Product"), alertBox("error", describe(error)),
      h("p", {}, h("a", { href: "#/" }, "Back to the catalog")));
    return;
  }
  document.title = `${product.name} – Shop`;
  const quantity = h("input", { id: "quantity", name: "quantity", type: "number", min: 1,
    max: Math.max(1, product.quantity), value: 1, inputmode: "numeric" });
  const form = h("form", { class: "row", onsubmit: (event) => event.preventDefault() },
    h("div", { class: "field" }, h("label", { for: "quantity" }, "Quantity"), quantity),
    h("div", { class: "field" }, addButton(product, quantity)));
  fill(main, 
    h("p", {}, h("a", { href: "#/" }, "← Catalog")),
    h("article", { class: "panel" },
      h("h1", {}, product.name),
      product.product_type ? h("span", { class: "tag" }, product.product_type) : null,
      product.status && product.status !== "new" ? h("span", { class: "tag" }, product.status) : null,
      h("p", {}, product.description || ""),
      h("p", { class: "price" }, money(product.price)),
      h("p", {}, availability(product)),
      product.quantity > 0 ? form : null));
}
