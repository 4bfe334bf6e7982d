// The catalog and the cart. Prices and totals are the API's decimal
// strings, shown as they come: the page does no arithmetic on money.
import { el, onClick, onSubmit, say, show } from "./ui.js";

const productList = document.getElementById("products");
const table = document.getElementById("cart");
const empty = document.getElementById("cart-empty");
const totalItems = document.getElementById("cart-total-items");
const totalPrice = document.getElementById("cart-total-price");

// setUpShop wires the catalog and the cart to the API.
export function setUpShop(call) {
  function render(cart) {
    table.tBodies[0].replaceChildren(...cart.items.map(row));
    show(table, cart.items.length > 0);
    show(empty, cart.items.length === 0);
    totalItems.textContent = cart.total_items === 1 ? "1 item" : `${cart.total_items} items`;
    totalPrice.textContent = cart.total_price;
  }

  function row({ product, quantity, line_total }) {
    const { id, name } = product;
    const input = el("input", {
      name: "quantity", type: "number", min: "0", max: "999", value: String(quantity),
      "aria-label": `Quantity of ${name}`,
    });
    const form = el("form", { id: `quantity-${id}`, class: "quantity" }, input,
      el("button", { "aria-label": `Update the quantity of ${name}` }, "Update"));
    onSubmit(form, async () => {
      // An empty box is sent as null, for the API to refuse, rather than
      // as 0, which would remove the line.
      const quantity = input.value === "" ? null : Number(input.value);
      render(await call("PUT", `/api/cart/items/${id}`, { quantity }));
      say(quantity === 0 ? `Removed ${name}.` : `${name}: quantity ${quantity}.`);
    });
    const remove = el("button", { type: "button", "aria-label": `Remove ${name}` }, "Remove");
    onClick(remove, async () => {
      render(await call("DELETE", `/api/cart/items/${id}`));
      say(`Removed ${name}.`);
    });
    return el("tr", {}, el("th", { scope: "row" }, name), el("td", {}, product.price),
      el("td", {}, form), el("td", {}, line_total), el("td", {}, remove));
  }

  async function loadProducts() {
    const products = await call("GET", "/api/products");
    productList.replaceChildren(...products.map((p) => {
      const add = el("button", { type: "button", "aria-label": `Add ${p.name} to the cart` }, "Add to cart");
      onClick(add, async () => {
        render(await call("POST", "/api/cart/items", { product_id: p.id }));
        say(`Added ${p.name} to the cart.`);
      });
      return el("li", {}, `${p.name}, ${p.price} `, add);
    }));
  }

  onClick(document.getElementById("clear-cart"), async () => {
    render(await call("DELETE", "/api/cart"));
    say("The cart is empty.");
  });

  return {
    loadProducts,
    refresh: async () => render(await call("GET", "/api/cart")),
  };
}
