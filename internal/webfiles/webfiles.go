// Package webfiles serves a directory of embedded files as the API's pages
// need them: each with an ETag, revalidated on every use (no-cache) so that
// a new version is seen at once, never sniffed, and its HTML under a
// Content-Security-Policy.
package webfiles

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
)

// contentTypes are the types of the files a directory may hold; a file of
// another kind is a mistake that New reports.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".png":  "image/png",
}

type file struct {
	body        []byte
	contentType string
	etag        string
}

// Files are the files of one directory, ready to serve.
type Files struct {
	files  map[string]file
	policy string
}

// New reads every file of dir in fsys; policy is the Content-Security-Policy
// of its HTML files. It panics if a file cannot be read or has a type
// contentTypes does not know: fsys is embedded, and a test rules both out.
func New(fsys fs.FS, dir, policy string) *Files {
	f := &Files{files: map[string]file{}, policy: policy}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			panic(fmt.Sprintf("webfiles: no content type for %s/%s", dir, e.Name()))
		}
		body, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		f.files[e.Name()] = file{body, ct, `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
	}
	return f
}

// Serve answers with the file name, 304 while the client's copy is current,
// or the error envelope's 404.
func (f *Files) Serve(c echo.Context, name string) error {
	fl, ok := f.files[name]
	if !ok {
		return apperr.New(apperr.NotFound, "no such resource")
	}
	header := c.Response().Header()
	header.Set("Cache-Control", "no-cache")
	header.Set("ETag", fl.etag)
	header.Set("X-Content-Type-Options", "nosniff")
	if fl.contentType == contentTypes[".html"] {
		header.Set("Content-Security-Policy", f.policy)
	}
	if c.Request().Header.Get("If-None-Match") == fl.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, fl.contentType, fl.body)
}
