// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.getElementById("language-menu");
  if (menu) {
    menu.addEventListener("change", () => menu.form.submit());
  }
});
