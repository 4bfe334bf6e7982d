package sessionapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/web"
)

// Handler serves /api/session.
type Handler struct {
	svc *Service
}

// NewHandler returns a Handler on svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register adds the routes to g, which is mounted at /api/session.
func (h *Handler) Register(g *echo.Group) {
	g.GET("", h.show)
	g.DELETE("", h.flush)
	g.POST("/visit", h.visit)
	g.PUT("/expiry", h.setExpiry)
	g.POST("/cycle", h.cycle)
}

type showResponse struct {
	Keys    []string `json:"keys"`
	Session Info     `json:"session"`
}

func (h *Handler) show(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, showResponse{Keys: VisibleKeys(s), Session: InfoOf(s)})
}

func (h *Handler) visit(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	v, err := h.svc.RecordVisit(s)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

type expiryRequest struct {
	Seconds *int64  `json:"seconds"`
	At      *string `json:"at"`
	Default *bool   `json:"default"`
}

func (h *Handler) setExpiry(c echo.Context) error {
	var req expiryRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.SetExpiry(s, ExpiryChange(req)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, InfoOf(s))
}

func (h *Handler) cycle(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.Cycle(c.Request().Context(), s); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, InfoOf(s))
}

func (h *Handler) flush(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.Flush(c.Request().Context(), s); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
