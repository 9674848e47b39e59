// The calendar's slot buttons post their own small form; the purpose typed once above goes with each.
document.addEventListener("submit", (event) => {
  const form = event.target.closest(".slot-form");
  const purpose = document.getElementById("purpose");
  if (!form || !purpose) return;
  form.querySelector(".purpose-copy").value = purpose.value;
  if (purpose.value.trim().length < 2) {
    event.preventDefault();
    purpose.setCustomValidity(purpose.placeholder || "");
    purpose.reportValidity();
    purpose.focus();
  }
});
document.addEventListener("input", (event) => {
  if (event.target.id === "purpose") event.target.setCustomValidity("");
});
