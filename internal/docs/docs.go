// Package docs serves the API's documentation for people: Swagger UI at
// GET /docs, reading the contract from GET /openapi.yaml. The UI is vendored
// from npm by scripts/vendor-docs.sh and embedded in the binary, so the page
// loads nothing from outside this server, at run time or at build time.
package docs

import (
	"embed"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/webfiles"
)

//go:embed static
var static embed.FS

// policy is the page's Content-Security-Policy: everything from this origin
// only, so that a browser itself refuses anything the page would fetch from
// elsewhere. Swagger UI sets style attributes and shows data: images (its
// icons), which the policy allows; it runs no inline script.
const policy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Handler serves the documentation page and its assets.
type Handler struct{ files *webfiles.Files }

// NewHandler returns a Handler on the embedded files. It panics if one of
// them has a type webfiles does not serve, which a test rules out.
func NewHandler() *Handler {
	return &Handler{files: webfiles.New(static, "static", policy)}
}

// Register adds GET /docs (the page) and GET /docs/:file (its assets) to e,
// outside /api: the documentation has no session.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/docs", func(c echo.Context) error { return h.files.Serve(c, "index.html") })
	e.GET("/docs/:file", func(c echo.Context) error { return h.files.Serve(c, c.Param("file")) })
}
