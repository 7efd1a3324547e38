// The API's page: Swagger UI (static/vendor) on the OpenAPI document this page names.
// No validator badge (it would call another site) and no inline script, so the page keeps
// a Content-Security-Policy of this site alone.
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("api-docs");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
