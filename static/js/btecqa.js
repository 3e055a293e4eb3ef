// btecqa: no inline script anywhere (the CSP forbids it). Progressive enhancement only.
document.addEventListener("DOMContentLoaded", function () {
  // htmx requests carry the CSRF token read from the page's meta tag.
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) {
    document.body.addEventListener("htmx:configRequest", function (event) {
      event.detail.headers["X-CSRFToken"] = token.getAttribute("content");
    });
  }
  // htmx (2.x) swaps no 4xx response by default. A form marked data-swap-errors gets its
  // 400 (the refusal: "Nothing was saved" and the problems, as a partial) swapped into its
  // target like a success, so the problems show without a page load.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var source = detail.elt || event.target;
    if (
      detail.xhr &&
      detail.xhr.status === 400 &&
      source &&
      source.closest &&
      source.closest("[data-swap-errors]")
    ) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
});
