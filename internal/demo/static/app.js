// Starts the demo: finds the API (?api= in the address, else this page's
// origin), wires each part of the page to it, and loads what it shows.
import { baseFrom, client } from "./api.js";
import { setUpAccount } from "./account.js";
import { setUpShop } from "./shop.js";
import { setUpWizard } from "./wizard.js";
import { fail, say } from "./ui.js";

async function main() {
  const base = baseFrom(window.location);
  document.getElementById("api-base").textContent = base;
  const call = client(base);
  const shop = setUpShop(call);
  const wizard = setUpWizard(call);
  // A login keeps the cart (the API carries it over); a logout empties the
  // session, cart and form included.
  const account = setUpAccount(call, () => Promise.all([shop.refresh(), wizard.refresh()]));
  await Promise.all([account.refresh(), shop.loadProducts(), shop.refresh(), wizard.refresh()]);
  say("Ready.");
}

main().catch((err) => fail(err));
