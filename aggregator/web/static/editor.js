// Spoiler text stays blurred until the reader clicks it (or presses Enter on it).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".spoiler-text").forEach(function (el) {
    function reveal() {
      el.classList.add("revealed");
      el.removeAttribute("role");
      el.setAttribute("aria-label", "spoiler, revealed");
    }
    el.addEventListener("click", reveal);
    el.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); reveal(); } });
  });
});
