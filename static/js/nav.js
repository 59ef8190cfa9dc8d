// The navigation's « Menu » button on a phone: shows or hides the links (a disclosure button,
// aria-expanded). Without this script the links are always shown.
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
  const button = event.target.closest ? event.target.closest(".nav-toggle") : null;
  if (!button) {
    return;
  }
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("open", open);
});
