// Starts Swagger UI on /docs. A file, not an inline script: the Content-Security-Policy allows
// scripts from the platform itself only. Signed-in users' state-changing calls carry the session's
// CSRF token (from the page's <meta name="xinyong-csrf">).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="xinyong-csrf"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Tags start collapsed: with 200 operations expanded at once, Swagger UI rendered only the
    // first tag or two; a click opens a tag (and deep links still open theirs).
    docExpansion: "none",
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    requestInterceptor: function (req) {
      if (csrf && req.method && ["GET", "HEAD", "OPTIONS"].indexOf(req.method.toUpperCase()) < 0) {
        req.headers["X-CSRF-Token"] = csrf;
      }
      return req;
    }
  });
})();
