// The admission form: choosing a space fills the rent, charges and expected housing benefit
// its option carries (what its last household signed), unless the user typed them already.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.dataset || !select.dataset.prefill) {
    return;
  }
  const option = select.options[select.selectedIndex];
  for (const name of select.dataset.prefill.split(" ")) {
    const input = select.form.elements[name];
    const value = option.dataset[name];
    if (!input || value === undefined) {
      continue;
    }
    // What this script put there may be replaced; what the user typed is kept.
    if (input.value === "" || input.value === "0" || input.value === input.dataset.prefilled) {
      input.value = value;
      input.dataset.prefilled = value;
    }
  }
});
