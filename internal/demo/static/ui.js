// What the page shares: the message line (an aria-live region, so that a
// screen reader reads each outcome), errors shown next to the fields they
// name, and building elements from text only, never from HTML, so that no
// value from the API is ever parsed as markup.

const message = document.getElementById("message");

// say shows the outcome of an action.
export function say(text) {
  message.className = "";
  message.textContent = text;
}

// fail shows an error: an ApiError's message and code, and each field the
// API named next to its input in form, or in the message when there is none.
export function fail(err, form) {
  const unshown = form && err.fields ? showFieldErrors(form, err.fields) : err.fields ?? {};
  const details = Object.entries(unshown).map(([name, text]) => ` ${name}: ${text}`).join("");
  message.className = "error";
  message.textContent = (err.code ? `${err.message} (${err.code}).` : err.message) + details;
}

// showFieldErrors puts each error next to its input, and returns those of
// fields the form does not have.
function showFieldErrors(form, fields) {
  const unshown = {};
  for (const [name, text] of Object.entries(fields)) {
    const input = form.elements.namedItem(name);
    if (!input) {
      unshown[name] = text;
      continue;
    }
    const hint = el("span", { class: "field-error", id: `${form.id}-${name}-error` }, text);
    input.after(hint);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", hint.id);
  }
  return unshown;
}

// clearErrors removes what fail() marked in form.
function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((input) => {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  });
}

// values returns a form's text inputs as an object of trimmed strings.
export function values(form, names) {
  return Object.fromEntries(names.map((n) => [n, form.elements.namedItem(n).value.trim()]));
}

// el builds an element with attributes and children (elements or text).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

// onSubmit runs action(form) when form is submitted, instead of the
// browser's own submission, and shows any error it throws.
export function onSubmit(form, action) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(event.submitter, () => action(form)).catch((err) => fail(err, form));
  });
}

// onClick runs action when button is clicked and shows any error it throws.
export function onClick(button, action) {
  button.addEventListener("click", () => {
    busy(button, action).catch((err) => fail(err));
  });
}

// busy disables button while action runs, so that a second click does not
// send the request again.
async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    await action();
  } finally {
    if (button) button.disabled = false;
  }
}

// show sets whether an element is shown.
export function show(element, shown) {
  element.hidden = !shown;
}
