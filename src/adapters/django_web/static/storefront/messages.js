// What each error code of the contract means to a customer.
import { ApiError } from "./api.js";

const TEXT = {
  0: "The shop cannot be reached. Check your connection and try again.",
  1000: "Some of what you entered needs another look.",
  1001: "We cannot find that order.",
  1003: "This order can no longer be canceled.",
  1004: "This part of the shop is not available.",
  1005: "This request was already sent with other contents. Please start again.",
  1006: "That action is not possible here.",
  1007: "What you sent is too large.",
  1010: "We cannot find that address.",
  1011: "That delivery method is not available. Please choose another one.",
  1012: "This order cannot be shipped yet.",
  1041: "This product is already in your bucket: change its quantity there.",
  1042: "Sorry, this product is not available any more.",
  1043: "Not enough of this product is in stock for that quantity.",
  1044: "That line is no longer in your bucket.",
  1045: "We cannot find that product.",
  1046: "A guest bucket is limited. Log in or register to buy more.",
  1047: "Too many guest buckets were started from your address. Please log in or try again later.",
  1083: "Your bucket is empty.",
  2001: "That username or e-mail address is already used.",
  3001: "The username or password is not right.",
  3002: "Please log in first.",
  3003: "Your session expired. Please reload the page and try again.",
  3004: "Too many attempts. Please wait before trying again.",
  3005: "This is for staff only.",
  5001: "This order cannot be paid in its current status.",
  5002: "The card was declined. Try again, with another card or another payment method.",
  5003: "That payment method is not available. Please choose another one.",
  5004: "The payment notification was refused.",
  5005: "The payment provider is not answering. Your order is kept: please try again in a moment.",
  5006: "The amount reported by the payment provider does not match the order.",
  5007: "Bank transfers are confirmed when the money arrives: nothing to do here.",
  5008: "That refund is more than can be refunded.",
  5009: "That refund asks for more units than can be returned.",
  5010: "We cannot find that refund.",
  5011: "That payment attempt has ended. Start a new payment.",
  1999: "Something went wrong in the shop. Please try again.",
};

export function describe(error) {
  if (!(error instanceof ApiError)) return "Something went wrong in this page. Please reload it.";
  let text = TEXT[error.code] || error.message || `The shop answered ${error.status}.`;
  if (error.code === 1046 && error.details && error.details.limit) {
    text += ` (limit: ${error.details.limit})`;
  }
  if (error.retryAfter) {
    const minutes = Math.ceil(Number(error.retryAfter) / 60);
    text += ` Try again in about ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  }
  return text;
}

// Validation details as lines of text, for the fields a form does not show itself.
export function detailLines(details) {
  if (!details || typeof details !== "object") return [];
  const lines = [];
  for (const [field, value] of Object.entries(details)) {
    const text = Array.isArray(value) ? value.join(" ")
      : typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    lines.push(`${field}: ${text}`);
  }
  return lines;
}
