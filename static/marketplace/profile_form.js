// Show only the service-area input that matches the chosen mode (radius or zip list).
// Without JavaScript both stay visible and the server ignores the other one.
document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("[data-area-mode]");
  if (!section) return;
  const sync = () => {
    const mode = section.querySelector("input[name=area_mode]:checked")?.value || "radius";
    section.querySelectorAll("[data-area]").forEach((el) => {
      el.hidden = el.dataset.area !== mode;
    });
  };
  section.addEventListener("change", sync);
  sync();
});
