// Register, log in (and what the bucket merge did), log out, the address book.
import { ApiError, del, get, notServed, post, put } from "../api.js";
import { add, alertBox, busy, field, fill, flash, formData, h, showError } from "../dom.js";
import { describe } from "../messages.js";
import { bucketLines, refreshBucketCount, refreshCustomer, session } from "../state.js";

export function registerView(main) {
  const form = h("form", { class: "panel", novalidate: true },
    field("Username", "username", { required: true, autocomplete: "username" }),
    field("E-mail", "email", { type: "email", required: true, autocomplete: "email" }),
    field("First name", "first_name", { autocomplete: "given-name" }),
    field("Password", "password", { type: "password", required: true, autocomplete: "new-password" },
      { hint: "At least 8 characters, not only digits, not a common password." }),
    h("button", { type: "submit" }, "Register"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const data = formData(form);
      try {
        await post("/api/register", data);
      } catch (error) {
        showError(form, error);
        return;
      }
      // Registration does not log in: log in now, so that the bucket merges.
      await logIn(main, form, data.username, data.password, "Your account is ready.");
    });
  });
  fill(main, h("h1", {}, "Register"), form,
    h("p", {}, "Already have an account? ", h("a", { href: "#/login" }, "Log in")));
}

export function loginView(main, params) {
  const form = h("form", { class: "panel", novalidate: true },
    field("Username", "username", { required: true, autocomplete: "username" }),
    field("Password", "password", { type: "password", required: true, autocomplete: "current-password" }),
    h("button", { type: "submit" }, "Log in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const data = formData(form);
      await logIn(main, form, data.username, data.password, "You are logged in.", params.get("next"));
    });
  });
  fill(main, h("h1", {}, "Log in"), form,
    h("p", {}, "New here? ", h("a", { href: "#/register" }, "Register")));
}

async function logIn(main, form, username, password, greeting, next) {
  let answer;
  try {
    answer = await post("/api/login", { username, password });
  } catch (error) {
    showError(form, error);
    return;
  }
  await refreshCustomer();
  const { lines } = await bucketLines();
  const merge = answer.bucket_merge || [];
  const names = new Map(lines.map((line) => [line.product, line.product_name]));
  const report = h("section", { class: "panel", "aria-labelledby": "merge-title", id: "merge" },
    h("h2", { id: "merge-title" }, "Your bucket"),
    merge.length
      ? h("ul", {}, await Promise.all(merge.map(async (item) => h("li", { "data-outcome": item.outcome },
          `${names.get(item.product) || (await productName(item.product))}: ${outcomeText(item)}`))))
      : h("p", {}, lines.length ? "Your saved bucket is back." : "Your bucket is empty."),
    h("p", {}, h("a", { class: "button", href: "#/bucket" }, "See the bucket"), " ",
      next === "checkout" ? h("a", { class: "button secondary", href: "#/checkout" }, "Continue to checkout") : null));
  fill(main, h("h1", {}, greeting), alertBox("ok", `Welcome, ${session.customer ? session.customer.username : username}.`), report);
  main.focus();
}

async function productName(id) {
  try {
    return (await get(`/api/products/${id}`)).name;
  } catch {
    return "A product";
  }
}

function outcomeText(item) {
  switch (item.outcome) {
    case "added": return `added from your guest bucket (${item.quantity})`;
    case "merged": return `${item.guest_quantity} from your guest bucket joined the ${item.customer_quantity} already saved: ${item.quantity} now`;
    case "clamped": return `lowered to ${item.quantity}, all that is still available`;
    case "dropped": return "removed: it is sold out or no longer sold";
    case "kept": return `your saved quantity (${item.quantity}) was kept`;
    default: return `quantity ${item.quantity}`;
  }
}

export async function logOut() {
  let failure = null;
  try {
    await post("/api/logout");
  } catch (error) {
    failure = error;
  }
  session.customer = null;
  session.bucketUnits = 0;
  await refreshCustomer().catch(() => null);
  await refreshBucketCount();
  if (failure) flash("error", describe(failure));
  else flash("ok", "You are logged out. Your bucket stays with your account.", { keep: location.hash.replace(/^#\/?/, "") !== "" });
  location.hash = "#/";
}

// --- the address book ---------------------------------------------------------------

export const COUNTRY = "PL";

export function addressFields(values = {}) {
  return [
    field("Name", "name", { required: true, value: values.name || "", autocomplete: "name" }),
    field("Street and number", "street", { required: true, value: values.street || "", autocomplete: "street-address" }),
    h("div", { class: "row" },
      field("Postal code", "postal_code", { required: true, value: values.postal_code || "", autocomplete: "postal-code" }),
      field("City", "city", { required: true, value: values.city || "", autocomplete: "address-level2" }),
      field("Country", "country", { required: true, value: values.country || COUNTRY, maxlength: 2, autocomplete: "country" },
        { hint: "Two letters, e.g. PL" })),
    field("Phone", "phone", { type: "tel", value: values.phone || "", autocomplete: "tel" }),
  ];
}

export function addressBody(data, isDefault) {
  const body = { name: data.name, street: data.street, postal_code: data.postal_code,
    city: data.city, country: (data.country || "").toUpperCase() };
  if (data.phone) body.phone = data.phone;
  if (isDefault !== undefined) body.is_default = isDefault;
  return body;
}

export function addressText(address) {
  return [address.name, address.street, `${address.postal_code} ${address.city}`, address.country, address.phone]
    .filter(Boolean).join(", ");
}

export async function addressesView(main) {
  fill(main, h("h1", {}, "Addresses"));
  let page;
  try {
    page = await get("/api/addresses?page_size=100");
  } catch (error) {
    if (notServed(error)) {
      add(main, alertBox("info", "This shop does not keep addresses yet."));
    } else if (error instanceof ApiError && error.code === 3002) {
      add(main, alertBox("info", h("span", {}, "Please ", h("a", { href: "#/login" }, "log in"), " to see your addresses.")));
    } else {
      showError(main, error);
    }
    return;
  }
  const list = h("ul", { class: "grid", id: "addresses" }, page.results.map((address) => h("li", { class: "card" },
    h("p", {}, addressText(address)),
    address.is_default ? h("span", { class: "tag" }, "Default") : null,
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => editAddress(main, address) }, "Edit"),
      address.is_default ? null : h("button", { type: "button", class: "secondary",
        onclick: () => save(main, null, `/api/addresses/${address.uuid}`, { ...addressBody(address), is_default: true }) }, "Make default"),
      h("button", { type: "button", class: "danger", "aria-label": `Remove the address ${address.name}`,
        onclick: () => removeAddress(main, address) }, "Remove")))));
  add(main, page.results.length ? list : h("p", {}, "No address saved yet."), addressForm(main));
}

function addressForm(main, address) {
  const isDefault = h("input", { type: "checkbox", name: "is_default", id: "address-default", checked: address ? address.is_default : false });
  const form = h("form", { class: "panel", novalidate: true, "aria-labelledby": "address-form-title" },
    h("h2", { id: "address-form-title" }, address ? "Edit the address" : "Add an address"),
    addressFields(address),
    h("div", { class: "choice" }, isDefault, h("label", { for: "address-default" }, "Default address")),
    h("button", { type: "submit" }, address ? "Save" : "Add the address"),
    address ? h("button", { type: "button", class: "secondary", onclick: () => addressesView(main) }, "Cancel") : null);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, () => save(main, form, address ? `/api/addresses/${address.uuid}` : "/api/addresses",
      addressBody(formData(form), isDefault.checked)));
  });
  return form;
}

function editAddress(main, address) {
  fill(main, h("h1", {}, "Addresses"), addressForm(main, address));
  main.querySelector("input").focus();
}

async function save(main, form, path, body) {
  try {
    if (path === "/api/addresses") await post(path, body);
    else await put(path, body);
  } catch (error) {
    showError(form || main, error);
    return;
  }
  flash("ok", "The address is saved.");
  await addressesView(main);
}

async function removeAddress(main, address) {
  try {
    await del(`/api/addresses/${address.uuid}`);
    flash("ok", "The address is removed.");
  } catch (error) {
    flash("error", describe(error));
  }
  await addressesView(main);
}

