// The account: registration, login (with or without remember-me), the
// session check and logout.
import { onClick, onSubmit, say, show, values } from "./ui.js";

const status = document.getElementById("session-status");
const logoutButton = document.getElementById("logout");
const forms = document.getElementById("account");
const registerForm = document.getElementById("register-form");
const loginForm = document.getElementById("login-form");

// lifetime says how long a session lasts, from its SessionInfo.
function lifetime(session) {
  if (session.expire_at_browser_close) return "The session ends when the browser closes.";
  return `The session lasts until ${new Date(session.expiry_date).toLocaleString()}.`;
}

// setUpAccount wires the account's forms and buttons to the API; changed
// is called after a login or a logout, which change what the session holds.
export function setUpAccount(call, changed) {
  async function refresh() {
    const s = await call("GET", "/api/auth/session");
    status.textContent = s.authenticated
      ? `Logged in as ${s.user.username}. ${lifetime(s.session)}`
      : "Anonymous: not logged in.";
    show(logoutButton, s.authenticated);
    show(forms, !s.authenticated);
  }

  onSubmit(registerForm, async (form) => {
    const body = values(form, ["username", "password"]);
    const email = values(form, ["email"]).email;
    if (email) body.email = email;
    const user = await call("POST", "/api/auth/register", body);
    form.reset();
    loginForm.elements.namedItem("username").value = user.username;
    say(`Registered ${user.username}. You can log in now.`);
  });

  onSubmit(loginForm, async (form) => {
    const body = values(form, ["username", "password"]);
    body.remember_me = form.elements.namedItem("remember_me").checked;
    const { user } = await call("POST", "/api/auth/login", body);
    form.reset();
    await Promise.all([refresh(), changed()]);
    say(`Logged in as ${user.username}.`);
  });

  onClick(logoutButton, async () => {
    await call("POST", "/api/auth/logout");
    await Promise.all([refresh(), changed()]);
    say("Logged out.");
  });

  onClick(document.getElementById("check-session"), async () => {
    await refresh();
    say("Session checked.");
  });

  return { refresh };
}
