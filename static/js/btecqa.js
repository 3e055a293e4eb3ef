// btecqa: no inline script anywhere (the CSP forbids it). Progressive enhancement only.
document.addEventListener("DOMContentLoaded", function () {
  // htmx requests carry the CSRF token read from the page's meta tag.
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) {
    document.body.addEventListener("htmx:configRequest", function (event) {
      event.detail.headers["X-CSRFToken"] = token.getAttribute("content");
    });
  }
});
