// Who is shopping (a guest or a customer) and how full the bucket is, for the header.
import { ApiError, get } from "./api.js";

export const session = { customer: null, bucketUnits: 0 };

export async function refreshCustomer() {
  try {
    const page = await get("/api/profile");
    session.customer = page.results[0] || null;
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 3002) throw error;
    session.customer = null;
  }
  renderHeader();
  return session.customer;
}

// Every bucket line, across pages (a bucket is small; 100 lines a page).
export async function bucketLines() {
  let path = "/api/bucket?page_size=100";
  const lines = [];
  let total = "0.00";
  for (let page = 1; path && page <= 20; page += 1) {
    const answer = await get(path);
    lines.push(...answer.results);
    total = answer.total;
    path = answer.next ? `/api/bucket?page_size=100&page=${page + 1}` : null;
  }
  session.bucketUnits = lines.reduce((sum, line) => sum + line.quantity, 0);
  renderHeader();
  return { lines, total };
}

export async function refreshBucketCount() {
  try {
    await bucketLines();
  } catch {
    // The count is a courtesy: a failure here must not break the page shown.
  }
}

export function renderHeader() {
  const loggedIn = Boolean(session.customer);
  document.querySelectorAll("[data-when]").forEach((el) => {
    el.hidden = (el.dataset.when === "customer") !== loggedIn;
  });
  const who = document.getElementById("who");
  if (who) who.textContent = loggedIn ? `(${session.customer.username})` : "";
  const badge = document.getElementById("bucket-count");
  if (badge) badge.textContent = session.bucketUnits ? String(session.bucketUnits) : "";
}
