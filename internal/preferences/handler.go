package preferences

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/web"
)

// Handler serves /api/session/preferences.
type Handler struct {
	svc *Service
}

// NewHandler returns a Handler on svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register adds the routes to g, mounted at /api/session/preferences.
func (h *Handler) Register(g *echo.Group) {
	g.GET("", h.show)
	g.PUT("", h.update)
}

func (h *Handler) show(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.svc.Get(s))
}

type updateRequest struct {
	Theme    *string `json:"theme"`
	Language *string `json:"language"`
}

func (h *Handler) update(c echo.Context) error {
	var req updateRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	p, err := h.svc.Update(s, Change(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
