// Baoho: small progressive enhancements. Every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.documentElement.classList.add("js");
});
