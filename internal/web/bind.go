package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
)

// MaxBodyBytes is the largest request body the API reads.
const MaxBodyBytes = 1 << 20

// Bind decodes the JSON body of the request into dst, strictly: the body must
// be sent as application/json, be one JSON object in UTF-8, and have no field
// that dst does not know (by its exact name), none twice and none null. Each
// failure is an *apperr.Error naming what is wrong.
func Bind(c echo.Context, dst any) error {
	req := c.Request()
	if !isJSON(req.Header.Get(echo.HeaderContentType)) {
		return unsupportedMediaType
	}
	dec := json.NewDecoder(req.Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return bodyTooLarge
		}
		return apperr.New(apperr.InvalidJSON, "the request body must hold exactly one JSON value")
	}
	if !utf8.Valid(raw) {
		return apperr.New(apperr.InvalidJSON, "the request body is not valid UTF-8")
	}
	if raw[0] != '{' {
		return apperr.New(apperr.InvalidJSON, "the request body must be a JSON object")
	}
	if err := checkMembers(raw, dst); err != nil {
		return err
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return decodeError(err)
	}
	return nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return bodyTooLarge
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.InvalidJSON, "the request body is empty; send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.InvalidJSON, "the request body is not valid JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return apperr.New(apperr.InvalidJSON, "the request body must be a JSON %s", jsonType(typ.Type.Kind().String()))
		}
		return apperr.Invalid(map[string]string{typ.Field: "must be " + describe(typ.Type.String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for this one.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid(map[string]string{name: "unknown field"})
	}
	return apperr.New(apperr.InvalidJSON, "the request body could not be read as JSON")
}

// describe names a Go type the way a JSON client thinks of it.
func describe(goType string) string {
	goType = strings.TrimLeft(goType, "*")
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

func jsonType(kind string) string {
	if kind == "struct" || kind == "map" {
		return "object"
	}
	return fmt.Sprint(kind)
}
