// Package docs serves the API's documentation for people: Swagger UI at
// GET /docs, reading the contract from GET /openapi.yaml. The UI is vendored
// from npm by scripts/vendor-docs.sh and embedded in the binary, so the page
// loads nothing from outside this server, at run time or at build time.
package docs

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
)

//go:embed static
var static embed.FS

// contentTypes are the types of the files that static may hold; a file of
// another kind is a mistake that NewHandler reports.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".png":  "image/png",
}

// policy is the page's Content-Security-Policy: everything from this origin
// only, so that a browser itself refuses anything the page would fetch from
// elsewhere. Swagger UI sets style attributes and shows data: images (its
// icons), which the policy allows; it runs no inline script.
const policy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the documentation page and its assets.
type Handler struct {
	files map[string]file
}

// NewHandler returns a Handler on the embedded files. It panics if one of
// them has a type contentTypes does not know, which a test rules out.
func NewHandler() *Handler {
	h := &Handler{files: map[string]file{}}
	entries, err := fs.ReadDir(static, "static")
	if err != nil {
		panic(err) // the directory is embedded: it is there
	}
	for _, e := range entries {
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			panic(fmt.Sprintf("docs: no content type for static/%s", e.Name()))
		}
		body, err := static.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		h.files[e.Name()] = file{body, ct, `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
	}
	return h
}

// Register adds GET /docs (the page) and GET /docs/:file (its assets) to e,
// outside /api: the documentation has no session.
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/docs", func(c echo.Context) error { return h.serve(c, "index.html") })
	e.GET("/docs/:file", func(c echo.Context) error { return h.serve(c, c.Param("file")) })
}

// serve answers with one file. Browsers revalidate (no-cache) and get 304
// while the file is unchanged, so an upgraded Swagger UI is seen at once.
func (h *Handler) serve(c echo.Context, name string) error {
	f, ok := h.files[name]
	if !ok {
		return apperr.New(apperr.NotFound, "no such resource")
	}
	header := c.Response().Header()
	header.Set("Cache-Control", "no-cache")
	header.Set("ETag", f.etag)
	header.Set("X-Content-Type-Options", "nosniff")
	if f.contentType == contentTypes[".html"] {
		header.Set("Content-Security-Policy", policy)
	}
	if c.Request().Header.Get("If-None-Match") == f.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.contentType, f.body)
}
