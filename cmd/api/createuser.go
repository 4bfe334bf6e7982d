package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/password"
)

// createUser is "api createuser NAME [EMAIL]". The password never comes from
// a flag, where it would stay in the shell's history and in ps: it is asked
// for twice on a terminal, or read as one line from a pipe.
func createUser(ctx context.Context, args []string, cfg Config, stdin io.Reader, stdout io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("createuser: say createuser NAME [EMAIL]")
	}
	reg := auth.Registration{Username: args[0]}
	if len(args) == 2 {
		reg.Email = args[1]
	}
	pw, err := readPassword(stdin, stdout)
	if err != nil {
		return fmt.Errorf("createuser: %w", err)
	}
	reg.Password = pw

	if err := database.Migrate(cfg.DatabaseURL); err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer db.Close()
	// No session is touched, so no SECRET_KEY is needed.
	svc := auth.NewService(auth.NewRepository(db), auth.Config{Hasher: password.NewHasher(cfg.PasswordIterations)})
	u, err := svc.Register(ctx, reg)
	var ae *apperr.Error
	if errors.As(err, &ae) {
		var b strings.Builder
		for field, msg := range ae.Fields {
			fmt.Fprintf(&b, "\n  %s: %s", field, msg)
		}
		return fmt.Errorf("createuser: %s%s", ae.Message, b.String())
	}
	if err != nil {
		return fmt.Errorf("createuser: %w", err)
	}
	fmt.Fprintf(stdout, "created user %q (id %d)\n", u.Username, u.ID)
	return nil
}

func readPassword(stdin io.Reader, prompt io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, "Password (again): ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
