// The reconciliation page at the keyboard (the page works without it: each « Accepter » is a
// submit button, the first one has the focus, Enter presses it). Here: ↓/↑ move to the next
// or previous line's « Accepter » button, keeping it in view.
document.addEventListener("keydown", (event) => {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
    return;
  }
  const row = event.target.closest ? event.target.closest("tr[data-line]") : null;
  if (!row || event.target.matches("select, textarea, input:not([type=checkbox])")) {
    return;
  }
  const rows = Array.from(document.querySelectorAll("tr[data-line]"));
  const next = rows[rows.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1)];
  if (next) {
    event.preventDefault();
    const button = next.querySelector("button.accept");
    button.focus();
    button.scrollIntoView({ block: "nearest" });
  }
});
