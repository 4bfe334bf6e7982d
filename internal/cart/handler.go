package cart

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/web"
)

// Handler serves /api/products and /api/cart.
type Handler struct {
	svc *Service
}

// NewHandler returns a Handler on svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register adds the routes to api, the group mounted at /api.
func (h *Handler) Register(api *echo.Group) {
	api.GET("/products", h.products)
	api.GET("/cart", h.show)
	api.DELETE("/cart", h.clear)
	api.POST("/cart/items", h.add)
	api.PUT("/cart/items/:product_id", h.setQuantity)
	api.DELETE("/cart/items/:product_id", h.remove)
}

func (h *Handler) products(c echo.Context) error {
	ps, err := h.svc.Products(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ps)
}

func (h *Handler) show(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return respond(c)(h.svc.Cart(c.Request().Context(), s))
}

// addRequest is the body of POST /api/cart/items. Numbers bind to int64, so
// that a string, a fraction or an exponent is a validation_failed naming the
// field, and the service checks the range.
type addRequest struct {
	ProductID *int64 `json:"product_id"`
	Quantity  *int64 `json:"quantity"`
}

func (h *Handler) add(c echo.Context) error {
	var req addRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return respond(c)(h.svc.Add(c.Request().Context(), s, Addition(req)))
}

type quantityRequest struct {
	Quantity *int64 `json:"quantity"`
}

func (h *Handler) setQuantity(c echo.Context) error {
	id, err := productID(c)
	if err != nil {
		return err
	}
	var req quantityRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return respond(c)(h.svc.SetQuantity(c.Request().Context(), s, id, req.Quantity))
}

func (h *Handler) remove(c echo.Context) error {
	id, err := productID(c)
	if err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return respond(c)(h.svc.Remove(c.Request().Context(), s, id))
}

func (h *Handler) clear(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return respond(c)(h.svc.Clear(c.Request().Context(), s))
}

// respond answers a View, or the error that came instead.
func respond(c echo.Context) func(View, error) error {
	return func(v View, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	}
}

// errNoLine answers a path whose product id is not an id at all. Such a
// path names no line of any cart, so it is a 404 like a line not in this
// one, and the body is not read.
var errNoLine = apperr.New(apperr.NotFound, "no such line in the cart: a product id is a positive integer")

// productID reads the product id of the path: a positive integer written
// plainly (no sign, no leading zero), so that one line has one URL.
func productID(c echo.Context) (int64, error) {
	raw := c.Param("product_id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != raw {
		return 0, errNoLine
	}
	return id, nil
}
