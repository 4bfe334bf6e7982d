// Package auth is accounts on the session, as django.contrib.auth does them:
// users in Django's auth_user table with Django's password hashes, login
// that rotates the session key and writes Django's session keys, the session
// check, logout, and password change that ends the user's other sessions.
package auth

import (
	"errors"
	"time"
)

// Errors of the package.
var (
	ErrNoUser        = errors.New("auth: no such user")
	ErrUsernameTaken = errors.New("auth: username taken")
)

// User is an account.
type User struct {
	ID           int64
	PasswordHash string
	Username     string
	Email        string
	IsActive     bool
	DateJoined   time.Time
	LastLogin    *time.Time
}
