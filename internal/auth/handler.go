package auth

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/sessionapi"
	"github.com/djsessions/api/internal/web"
)

// Where the middleware leave what they found in the Echo context.
const (
	userKey  = "auth.user"
	visitKey = "auth.visit"
)

// visit is what TrackActivity found of the request's login, kept for the
// request so that RequireUser and the session check need not ask the
// database again.
type visit struct {
	user    User
	found   bool
	expired bool // an idle login, which has just been flushed
}

// Handler serves /api/auth.
type Handler struct {
	svc *Service
}

// NewHandler returns a Handler on svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register adds the routes to g, mounted at /api/auth.
func (h *Handler) Register(g *echo.Group) {
	g.POST("/register", h.register)
	g.POST("/login", h.login)
	g.POST("/logout", h.logout)
	g.GET("/session", h.check)
	g.GET("/me", h.me, h.RequireUser)
	g.POST("/password", h.changePassword, h.RequireUser)
	g.GET("/sessions", h.sessions, h.RequireUser)
	g.DELETE("/sessions/:id", h.revoke, h.RequireUser)
	g.POST("/logout-all", h.logoutAll, h.RequireUser)
}

// TrackActivity checks the login of every request that comes with one,
// whatever its route (Service.Visit): a login idle for too long, or one its
// account no longer holds (user deleted, set inactive, password changed),
// ends at its next request, which then proceeds anonymously (protected
// routes answer 401, session_expired after the idle timeout); a valid one
// has its activity recorded (at most once a minute: "last used" in my
// sessions). A request without a session key costs nothing: no store is
// asked.
func (h *Handler) TrackActivity(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s, err := session.From(c)
		if err != nil {
			return err
		}
		switch u, found, err := h.svc.Visit(c.Request().Context(), s, clientOf(c)); {
		case errors.Is(err, ErrSessionExpired):
			c.Set(visitKey, visit{expired: true})
		case err != nil:
			return err
		default:
			c.Set(visitKey, visit{user: u, found: found})
		}
		return next(c)
	}
}

// current returns the request's login: what TrackActivity found, or, on a
// route it does not cover, what Current finds.
func (h *Handler) current(c echo.Context) (visit, error) {
	if v, ok := c.Get(visitKey).(visit); ok {
		return v, nil
	}
	s, err := session.From(c)
	if err != nil {
		return visit{}, err
	}
	u, found, err := h.svc.Current(c.Request().Context(), s)
	return visit{user: u, found: found}, err
}

// RequireUser lets through only requests of a logged-in user, whom handlers
// then get from CurrentUser; others get 401 not_authenticated, or
// session_expired when TrackActivity has just ended an idle login.
func (h *Handler) RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, err := h.current(c)
		switch {
		case err != nil:
			return err
		case v.expired:
			return apperr.New(apperr.SessionExpired, "the session ended after a period of inactivity; log in again")
		case !v.found:
			return apperr.New(apperr.NotAuthenticated, "log in to use this resource")
		}
		c.Set(userKey, v.user)
		return next(c)
	}
}

// CurrentUser returns the user RequireUser let through.
func CurrentUser(c echo.Context) User {
	u, _ := c.Get(userKey).(User)
	return u
}

type userRef struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

type registerRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Email    string `json:"email"`
}

type registerResponse struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

func (h *Handler) register(c echo.Context) error {
	var req registerRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	u, err := h.svc.Register(c.Request().Context(), Registration(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, registerResponse{u.ID, u.Username, u.Email})
}

type loginRequest struct {
	Username   string `json:"username"`
	Password   string `json:"password"`
	RememberMe bool   `json:"remember_me"`
}

type loginResponse struct {
	User    userRef         `json:"user"`
	Session sessionapi.Info `json:"session"`
}

func (h *Handler) login(c echo.Context) error {
	var req loginRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	if fields := required(map[string]string{"username": req.Username, "password": req.Password}); fields != nil {
		return apperr.Invalid(fields)
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	u, err := h.svc.Login(c.Request().Context(), s, req.Username, req.Password, req.RememberMe, clientOf(c))
	if err != nil {
		h.svc.loginFailed(err)
		return err
	}
	return c.JSON(http.StatusOK, loginResponse{userRef{u.ID, u.Username}, sessionapi.InfoOf(s)})
}

func (h *Handler) logout(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.Logout(c.Request().Context(), s); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type checkResponse struct {
	Authenticated bool             `json:"authenticated"`
	User          *userRef         `json:"user,omitempty"`
	LoginTime     *time.Time       `json:"login_time,omitempty"`
	Session       *sessionapi.Info `json:"session,omitempty"`
}

func (h *Handler) check(c echo.Context) error {
	v, err := h.current(c)
	if err != nil {
		return err
	}
	if !v.found {
		return c.JSON(http.StatusOK, checkResponse{})
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	info := sessionapi.InfoOf(s)
	res := checkResponse{Authenticated: true, User: &userRef{v.user.ID, v.user.Username}, Session: &info}
	if t, ok := LoginTime(s); ok {
		res.LoginTime = &t
	}
	return c.JSON(http.StatusOK, res)
}

type meResponse struct {
	ID         int64      `json:"id"`
	Username   string     `json:"username"`
	Email      string     `json:"email"`
	DateJoined time.Time  `json:"date_joined"`
	LastLogin  *time.Time `json:"last_login"`
}

func (h *Handler) me(c echo.Context) error {
	u := CurrentUser(c)
	return c.JSON(http.StatusOK, meResponse{u.ID, u.Username, u.Email, u.DateJoined.Truncate(time.Second), truncate(u.LastLogin)})
}

type passwordRequest struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func (h *Handler) changePassword(c echo.Context) error {
	var req passwordRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.ChangePassword(c.Request().Context(), s, CurrentUser(c), req.OldPassword, req.NewPassword, clientOf(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func truncate(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Truncate(time.Second)
	return &v
}

// required names the fields that are empty, as Django's forms do.
func required(values map[string]string) map[string]string {
	var fields map[string]string
	for name, v := range values {
		if v == "" {
			if fields == nil {
				fields = map[string]string{}
			}
			fields[name] = "This field is required."
		}
	}
	return fields
}

func clientOf(c echo.Context) Client {
	return Client{Addr: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

func (h *Handler) sessions(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	list, err := h.svc.Sessions(c.Request().Context(), s, CurrentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

func (h *Handler) revoke(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.Revoke(c.Request().Context(), s, CurrentUser(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) logoutAll(c echo.Context) error {
	s, err := session.From(c)
	if err != nil {
		return err
	}
	if err := h.svc.LogoutAll(c.Request().Context(), s, CurrentUser(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
