// The storefront: client-side routes after "#", each a view over the JSON API.
import { clearFlash, h, showError } from "./dom.js";
import { refreshBucketCount, refreshCustomer } from "./state.js";
import { catalogView, productView } from "./views/catalog.js";
import { bucketView } from "./views/bucket.js";
import { addressesView, loginView, logOut, registerView } from "./views/account.js";
import { checkoutView } from "./views/checkout.js";
import { AWAITING, orderView, ordersView } from "./views/orders.js";

const TITLES = { "": "Catalog", product: "Product", bucket: "Bucket", login: "Log in", register: "Register",
  addresses: "Addresses", checkout: "Checkout", orders: "Orders" };

const main = document.getElementById("main");
let previous = null;
let visits = 0;

async function route() {
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [page = "", id] = path.split("/");
  const params = new URLSearchParams(search);
  document.title = `${TITLES[page] || "Shop"} – Shop`;
  if (previous !== null && previous !== page) clearFlash();
  previous = page;
  document.querySelectorAll("nav a").forEach((a) => {
    if (a.getAttribute("href") === `#/${page}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  // Each visit draws into a view of its own: a slower earlier one, still loading, then
  // draws into a view no longer shown instead of beside this one.
  const view = h("div", { class: "view" });
  main.replaceChildren(view);
  try {
    if (page === "") await catalogView(view, params);
    else if (page === "product" && id) await productView(view, id);
    else if (page === "bucket") await bucketView(view);
    else if (page === "login") loginView(view, params);
    else if (page === "register") registerView(view);
    else if (page === "addresses") await addressesView(view);
    else if (page === "checkout") await checkoutView(view);
    else if (page === "orders" && id) await orderView(view, id, params);
    else if (page === "orders") await ordersView(view, params);
    else view.replaceChildren(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the catalog")));
  } catch (error) {
    view.replaceChildren(h("h1", {}, TITLES[page] || "Shop"));
    showError(view, error);
  }
  // After a change of view the keyboard and screen readers start at its content; a
  // first visit starts at the top of the page (the skip link).
  if (visits++ > 0) main.focus({ preventScroll: true });
  document.documentElement.dataset.route = location.hash || "#/";  // drawn (for tests)
}

async function boot() {
  // Back from a payment page: the 3-D Secure page links to "/?order=<uuid>", PayU's
  // continueUrl is "/" (the order waiting for it is remembered in this tab).
  const url = new URL(location.href);
  const returned = url.searchParams.get("order") || (!location.hash && sessionStorage.getItem(AWAITING));
  if (returned) {
    history.replaceState(null, "", `/#/orders/${encodeURIComponent(returned)}`);
  }
  document.getElementById("logout").addEventListener("click", logOut);
  // The skip link moves the focus; its "#main" is no route.
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  window.addEventListener("hashchange", route);
  try {
    await refreshCustomer();
  } catch {
    // The page still shows the catalog; the views report what fails.
  }
  refreshBucketCount();
  await route();
  document.documentElement.dataset.ready = "1";
}

boot();
