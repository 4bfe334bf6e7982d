// The multi-step form: step 1 (contact), step 2 (address), a review with
// submit, and starting over. The server keeps what was filled in, in the
// session, so a reload comes back to the same step.
import { el, onClick, onSubmit, say, show, values } from "./ui.js";

const stepText = document.getElementById("wizard-step");
const step1 = document.getElementById("wizard-step1");
const step2 = document.getElementById("wizard-step2");
const review = document.getElementById("wizard-review");
const reviewData = document.getElementById("wizard-data");

const fields = {
  name: "Name", email: "Email", phone: "Phone",
  address: "Address", city: "City", postal_code: "Postal code",
};
const steps = { 1: "Step 1 of 2: contact.", 2: "Step 2 of 2: address.", 3: "Both steps are done: check and submit." };

// setUpWizard wires the multi-step form to the API.
export function setUpWizard(call) {
  function render({ current_step, data }) {
    stepText.textContent = steps[current_step];
    show(step1, current_step === 1);
    show(step2, current_step === 2);
    show(review, current_step === 3);
    for (const form of [step1, step2]) {
      for (const input of form.elements) {
        if (input.name) input.value = data[input.name] ?? "";
      }
    }
    reviewData.replaceChildren(...Object.entries(fields).flatMap(([name, label]) =>
      name in data ? [el("dt", {}, label), el("dd", {}, data[name])] : []));
  }

  async function refresh() {
    render(await call("GET", "/api/wizard"));
  }

  onSubmit(step1, async (form) => {
    render(await call("PUT", "/api/wizard/steps/1", values(form, ["name", "email", "phone"])));
    say("Step 1 saved.");
  });

  onSubmit(step2, async (form) => {
    render(await call("PUT", "/api/wizard/steps/2", values(form, ["address", "city", "postal_code"])));
    say("Step 2 saved.");
  });

  onClick(document.getElementById("wizard-submit"), async () => {
    const { profile } = await call("POST", "/api/wizard/submit");
    await refresh();
    say(`Profile ${profile.id} created for ${profile.name}.`);
  });

  onClick(document.getElementById("wizard-reset"), async () => {
    await call("DELETE", "/api/wizard");
    await refresh();
    say("The form is empty again.");
  });

  return { refresh };
}
