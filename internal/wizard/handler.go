package wizard

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/web"
)

// accounts tells who is logged in on a session; *auth.Service is one.
type accounts interface {
	// Current returns the session's user; found is false when it is
	// anonymous. err is for system failures only.
	Current(ctx context.Context, s *session.Session) (u auth.User, found bool, err error)
}

// Handler serves /api/wizard.
type Handler struct {
	svc      *Service
	accounts accounts
}

// NewHandler returns a Handler on svc, which ties a submitted profile to the
// user accounts finds logged in.
func NewHandler(svc *Service, accounts accounts) *Handler {
	return &Handler{svc: svc, accounts: accounts}
}

// Register adds the routes to g, mounted at /api/wizard.
func (h *Handler) Register(g *echo.Group) {
	g.GET("", h.show)
	g.DELETE("", h.reset)
	g.PUT("/steps/1", h.contact)
	g.PUT("/steps/2", h.address)
	g.POST("/submit", h.submit)
}

// stateResponse is the wizard as clients see it: the step they are at and
// what they have filled in, flat, with the fields of steps not done left
// out.
type stateResponse struct {
	CurrentStep int       `json:"current_step"`
	Data        stateData `json:"data"`
}

type stateData struct {
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Address    string `json:"address,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
}

func responseOf(st State) stateResponse {
	res := stateResponse{CurrentStep: st.CurrentStep()}
	if c := st.Contact; c != nil {
		res.Data.Name, res.Data.Email, res.Data.Phone = c.Name, c.Email, c.Phone
	}
	if a := st.Address; a != nil {
		res.Data.Address, res.Data.City, res.Data.PostalCode = a.Street, a.City, a.PostalCode
	}
	return res
}

func (h *Handler) show(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, responseOf(h.svc.State(s)))
}

type contactRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

func (h *Handler) contact(c echo.Context) error {
	var req contactRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	st, err := h.svc.SaveContact(c.Request().Context(), s, Contact(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, responseOf(st))
}

type addressRequest struct {
	Street     string `json:"address"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
}

func (h *Handler) address(c echo.Context) error {
	var req addressRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	st, err := h.svc.SaveAddress(c.Request().Context(), s, Address(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, responseOf(st))
}

type profileResponse struct {
	Profile profileBody `json:"profile"`
}

type profileBody struct {
	ID         int64     `json:"id"`
	UserID     *int64    `json:"user_id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Phone      string    `json:"phone"`
	Address    string    `json:"address"`
	City       string    `json:"city"`
	PostalCode string    `json:"postal_code"`
	CreatedAt  time.Time `json:"created_at"`
}

func (h *Handler) submit(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var userID *int64
	u, found, err := h.accounts.Current(ctx, s)
	if err != nil {
		return err
	}
	if found {
		userID = &u.ID
	}
	p, err := h.svc.Submit(ctx, s, userID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, profileResponse{profileBody{
		ID: p.ID, UserID: p.UserID,
		Name: p.Contact.Name, Email: p.Contact.Email, Phone: p.Contact.Phone,
		Address: p.Address.Street, City: p.Address.City, PostalCode: p.Address.PostalCode,
		CreatedAt: p.CreatedAt,
	}})
}

func (h *Handler) reset(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.Reset(c.Request().Context(), s); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
