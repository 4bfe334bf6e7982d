// Starts Swagger UI on this API's own contract. validatorUrl is null so
// that the page never sends the contract to swagger.io's validator: nothing
// on /docs is fetched from outside this server.
window.ui = SwaggerUIBundle({
  url: "/openapi.yaml",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  validatorUrl: null,
});
