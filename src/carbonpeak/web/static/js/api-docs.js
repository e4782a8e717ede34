// The API docs page (/api/v1/docs): Swagger UI from npm (served under /vendor/swagger-ui),
// started from this file and not from an inline script, so the page keeps the dashboard's
// Content-Security-Policy (script-src 'self').
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
