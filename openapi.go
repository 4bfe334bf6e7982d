// Package api holds the API's contract, openapi.yaml, which the server
// serves at GET /openapi.yaml and the tests hold every response to.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3 description of the API.
//
//go:embed openapi.yaml
var OpenAPI []byte
