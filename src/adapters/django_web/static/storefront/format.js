// Prices and dates for the shop's currency and language (from the page's <html>).
const root = document.documentElement;
export const currency = root.dataset.currency || "PLN";
export const language = root.dataset.language || "en";
const locale = { en: "en-GB", pl: "pl-PL" }[language] || language;

const formatters = new Map();
export function money(amount, code = currency) {
  if (amount === null || amount === undefined || amount === "") return "–";
  if (!formatters.has(code)) {
    formatters.set(code, new Intl.NumberFormat(locale, { style: "currency", currency: code }));
  }
  // Display only: the shop computes every sum; this turns its string into words.
  return formatters.get(code).format(Number(amount));
}

// Money strings to integer cents and back, for the checkout's estimate (no floats).
export function cents(amount) {
  const [whole, fraction = ""] = String(amount).split(".");
  const sign = whole.startsWith("-") ? -1 : 1;
  return sign * (Math.abs(parseInt(whole, 10)) * 100 + parseInt((fraction + "00").slice(0, 2), 10));
}
export function fromCents(value) {
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

const dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
export function when(iso) {
  return iso ? dates.format(new Date(iso)) : "–";
}

export function countdown(iso, now = Date.now()) {
  if (!iso) return "not reserved";
  const left = Math.floor((new Date(iso).getTime() - now) / 1000);
  if (left <= 0) return "reservation lapsed: stock is checked again at checkout";
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, "0");
  return `reserved for ${minutes}:${seconds}`;
}
