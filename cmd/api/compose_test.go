package main

// No Docker engine runs where the tests do, so docker-compose.yml and the
// Dockerfile are checked here statically: what compose would start, with
// which environment, in which order, and how each service's health is told.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       string            `yaml:"build"` // the context; this project needs no other build option
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Restart     string            `yaml:"restart"`
	Healthcheck *struct {
		Test    []string `yaml:"test"`
		Retries int      `yaml:"retries"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

func TestComposeServices(t *testing.T) {
	f := loadCompose(t)
	var names []string
	for name := range f.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"api", "migrate", "postgres", "redis"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	pg, redis, migrate, api := f.Services["postgres"], f.Services["redis"], f.Services["migrate"], f.Services["api"]

	t.Run("postgres keeps its data in a volume and is healthy when pg_isready says so", func(t *testing.T) {
		wantImage(t, pg, "postgres:")
		wantHealthcheck(t, pg, "pg_isready", "-U", pg.Environment["POSTGRES_USER"], "-d", pg.Environment["POSTGRES_DB"])
		if len(pg.Volumes) != 1 || !strings.HasSuffix(pg.Volumes[0], ":/var/lib/postgresql/data") {
			t.Errorf("volumes %v, want one on /var/lib/postgresql/data", pg.Volumes)
		}
		volume, _, _ := strings.Cut(pg.Volumes[0], ":")
		if _, ok := f.Volumes[volume]; !ok {
			t.Errorf("volume %q is not declared under volumes", volume)
		}
	})

	t.Run("redis is healthy when redis-cli ping answers", func(t *testing.T) {
		wantImage(t, redis, "redis:")
		wantHealthcheck(t, redis, "redis-cli", "ping")
	})

	t.Run("migrate runs migrate up once, on a healthy postgres, from the API's image", func(t *testing.T) {
		if migrate.Build != "." {
			t.Errorf("build %q, want . (the Dockerfile of the API)", migrate.Build)
		}
		if !slices.Equal(migrate.Command, []string{"migrate", "up"}) {
			t.Errorf("command %q, want [migrate up]", migrate.Command)
		}
		if migrate.Restart != "no" {
			t.Errorf("restart %q, want \"no\": it is a one-shot job", migrate.Restart)
		}
		if migrate.Healthcheck != nil {
			t.Error("a one-shot job has no health to check")
		}
		wantDependsOn(t, migrate, map[string]string{"postgres": "service_healthy"})
	})

	t.Run("api starts once postgres and redis are healthy and migrate has succeeded", func(t *testing.T) {
		if api.Build != "." {
			t.Errorf("build %q, want .", api.Build)
		}
		wantDependsOn(t, api, map[string]string{
			"postgres": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully",
		})
	})

	t.Run("api is healthy when its own healthcheck command finds it ready", func(t *testing.T) {
		wantHealthcheck(t, api, dockerfileEntrypoint(t), "healthcheck", "/readyz")
	})

	t.Run("api publishes, on loopback only, the port it listens on and the Dockerfile exposes", func(t *testing.T) {
		_, listen, err := net.SplitHostPort(api.Environment["LISTEN_ADDR"])
		if err != nil {
			t.Fatalf("LISTEN_ADDR %q: %v", api.Environment["LISTEN_ADDR"], err)
		}
		if len(api.Ports) != 1 {
			t.Fatalf("ports %v, want one", api.Ports)
		}
		parts := strings.Split(api.Ports[0], ":")
		if len(parts) != 3 || parts[0] != "127.0.0.1" || parts[2] != listen {
			t.Errorf("ports %q, want 127.0.0.1:HOST:%s", api.Ports[0], listen)
		}
		if expose := dockerfile(t).last("EXPOSE"); expose != listen {
			t.Errorf("the Dockerfile exposes %q, the API listens on %q", expose, listen)
		}
	})

	t.Run("the environment of api and migrate is a configuration the API accepts", func(t *testing.T) {
		for _, name := range []string{"api", "migrate"} {
			vars := interpolated(t, f.Services[name].Environment, map[string]string{"SECRET_KEY": "from-the-shell"})
			wantKnownSettings(t, name, vars)
			cfg, err := loadConfig(env(vars))
			if err != nil {
				t.Errorf("%s: its environment is refused:\n%v", name, err)
				continue
			}
			if name == "api" {
				if cfg.Env != "production" {
					t.Errorf("api: APP_ENV %q, want production", cfg.Env)
				}
				if err := cfg.ensureSecretKey(); err != nil || cfg.SecretKey != "from-the-shell" {
					t.Errorf("api: SECRET_KEY %q (%v), want the one of the shell", cfg.SecretKey, err)
				}
			}
			wantDatabaseIsPostgresService(t, name, cfg.DatabaseURL, pg)
		}
	})

	t.Run("compose refuses to start the api without a SECRET_KEY, and none is in the file", func(t *testing.T) {
		if v := api.Environment["SECRET_KEY"]; !strings.HasPrefix(v, "${SECRET_KEY:?") {
			t.Errorf("SECRET_KEY %q, want ${SECRET_KEY:?message}", v)
		}
		if _, err := interpolate(api.Environment["SECRET_KEY"], nil); err == nil {
			t.Error("SECRET_KEY is optional")
		}
	})
}

func wantImage(t *testing.T, s composeService, prefix string) {
	t.Helper()
	if !strings.HasPrefix(s.Image, prefix) || len(s.Image) == len(prefix) {
		t.Errorf("image %q, want %sVERSION", s.Image, prefix)
	}
}

func wantHealthcheck(t *testing.T, s composeService, command ...string) {
	t.Helper()
	if s.Healthcheck == nil {
		t.Fatal("no healthcheck")
	}
	if want := append([]string{"CMD"}, command...); !slices.Equal(s.Healthcheck.Test, want) {
		t.Errorf("healthcheck %q, want %q", s.Healthcheck.Test, want)
	}
	if s.Healthcheck.Retries < 1 {
		t.Errorf("healthcheck retries %d", s.Healthcheck.Retries)
	}
}

func wantDependsOn(t *testing.T, s composeService, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for name, d := range s.DependsOn {
		got[name] = d.Condition
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("depends_on %v, want %v", got, want)
	}
}

// wantKnownSettings fails for a variable that loadConfig never reads: a typo
// or a setting of another version would otherwise be ignored.
func wantKnownSettings(t *testing.T, service string, vars map[string]string) {
	t.Helper()
	read := map[string]bool{}
	loadConfig(func(name string) string { read[name] = true; return vars[name] })
	for name := range vars {
		if !read[name] {
			t.Errorf("%s: %s is not a setting of the API", service, name)
		}
	}
}

func wantDatabaseIsPostgresService(t *testing.T, service, dbURL string, pg composeService) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("%s: DATABASE_URL: %v", service, err)
	}
	password, _ := u.User.Password()
	if u.Scheme != "postgres" || u.Hostname() != "postgres" || u.Port() != "5432" ||
		u.User.Username() != pg.Environment["POSTGRES_USER"] || password != pg.Environment["POSTGRES_PASSWORD"] ||
		u.Path != "/"+pg.Environment["POSTGRES_DB"] {
		t.Errorf("%s: DATABASE_URL %q is not the postgres service's database %q as %q", service, dbURL,
			pg.Environment["POSTGRES_DB"], pg.Environment["POSTGRES_USER"])
	}
}

// interpolated returns vars with compose's ${...} substituted from shell.
func interpolated(t *testing.T, vars, shell map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range vars {
		s, err := interpolate(v, shell)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out[k] = s
	}
	return out
}

var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolate substitutes as compose does: $$, $VAR, ${VAR}, ${VAR:-default},
// ${VAR-default}, ${VAR:?error} and ${VAR?error}.
func interpolate(s string, shell map[string]string) (string, error) {
	var errs []error
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := composeVar.FindStringSubmatch(m)
		name, op, arg := g[1]+g[4], g[2], g[3]
		v, set := shell[name]
		unset := !set || (strings.HasPrefix(op, ":") && v == "")
		switch {
		case !unset:
			return v
		case strings.HasSuffix(op, "-"):
			return arg
		case strings.HasSuffix(op, "?"):
			errs = append(errs, fmt.Errorf("%s: %s", name, arg))
		}
		return ""
	})
	return out, errors.Join(errs...)
}

func TestComposeInterpolation(t *testing.T) {
	shell := map[string]string{"A": "a", "E": ""}
	for in, want := range map[string]string{
		"$A ${A} $$A": "a a $A", "${E:-d}": "d", "${E-d}": "", "${U-d}": "d", "${A:?x}": "a", "x${U}y": "xy",
	} {
		if got, err := interpolate(in, shell); err != nil || got != want {
			t.Errorf("interpolate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"${U:?x}", "${E:?x}", "${U?x}"} {
		if _, err := interpolate(in, shell); err == nil {
			t.Errorf("interpolate(%q) succeeded", in)
		}
	}
}

// dockerfileLines are a Dockerfile's instructions, continuation lines joined.
type dockerfileLines []struct{ op, args string }

func dockerfile(t *testing.T) dockerfileLines {
	t.Helper()
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out dockerfileLines
	joined := strings.ReplaceAll(string(raw), "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		op, args, _ := strings.Cut(line, " ")
		out = append(out, struct{ op, args string }{strings.ToUpper(op), strings.TrimSpace(args)})
	}
	return out
}

// stages splits the instructions at each FROM.
func (d dockerfileLines) stages() []dockerfileLines {
	var out []dockerfileLines
	for _, l := range d {
		if l.op == "FROM" {
			out = append(out, nil)
		}
		if len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], l)
		}
	}
	return out
}

// last returns the arguments of the last instruction op, or "".
func (d dockerfileLines) last(op string) string {
	for i := len(d) - 1; i >= 0; i-- {
		if d[i].op == op {
			return d[i].args
		}
	}
	return ""
}

// dockerfileEntrypoint is the program the image runs.
func dockerfileEntrypoint(t *testing.T) string {
	t.Helper()
	var ep []string
	if err := yaml.Unmarshal([]byte(dockerfile(t).last("ENTRYPOINT")), &ep); err != nil || len(ep) != 1 {
		t.Fatalf("ENTRYPOINT %q, want the exec form with the binary alone", dockerfile(t).last("ENTRYPOINT"))
	}
	return ep[0]
}

func TestDockerfile(t *testing.T) {
	d := dockerfile(t)
	stages := d.stages()
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a small final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	t.Run("the build stage uses the Go of go.mod and builds cmd/api without cgo", func(t *testing.T) {
		mod, err := os.ReadFile("../../go.mod")
		if err != nil {
			t.Fatal(err)
		}
		goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
		if goVersion == nil || !strings.HasPrefix(build.last("FROM"), "golang:"+string(goVersion[1])+" ") {
			t.Errorf("FROM %q, want golang:%s", build.last("FROM"), goVersion[1])
		}
		run := build.last("RUN")
		if !strings.Contains(run, "CGO_ENABLED=0") || !strings.Contains(run, "go build") || !strings.HasSuffix(run, "./cmd/api") {
			t.Errorf("RUN %q, want CGO_ENABLED=0 go build ... ./cmd/api", run)
		}
	})

	t.Run("the final stage is a small image running as a user that is not root", func(t *testing.T) {
		from := final.last("FROM")
		if !strings.HasPrefix(from, "gcr.io/distroless/static") && !strings.HasPrefix(from, "alpine:") && from != "scratch" {
			t.Errorf("FROM %q, want distroless/static, alpine or scratch", from)
		}
		user := final.last("USER")
		name, _, _ := strings.Cut(user, ":")
		if user == "" || name == "root" || name == "0" {
			t.Errorf("USER %q, want a user that is not root", user)
		}
		copied := final.last("COPY")
		if !strings.HasPrefix(copied, "--from=") || !strings.HasSuffix(copied, " "+dockerfileEntrypoint(t)) {
			t.Errorf("COPY %q, want the binary from the build stage at the ENTRYPOINT", copied)
		}
	})

	t.Run("the image checks its health with its own healthcheck command", func(t *testing.T) {
		hc := final.last("HEALTHCHECK")
		if !strings.Contains(hc, `CMD ["`+dockerfileEntrypoint(t)+`", "healthcheck", "/healthz"]`) {
			t.Errorf("HEALTHCHECK %q, want CMD [%q, \"healthcheck\", \"/healthz\"]", hc, dockerfileEntrypoint(t))
		}
		// The command exists: with nothing listening it fails to connect,
		// rather than being an unknown command.
		err := run(context.Background(), []string{"healthcheck", "/healthz"},
			env(map[string]string{"LISTEN_ADDR": "127.0.0.1:1"}), nil, io.Discard, io.Discard)
		if err == nil || strings.Contains(err.Error(), "unknown command") {
			t.Errorf("api healthcheck with nothing listening: %v", err)
		}
	})

	t.Run("the build context leaves out local data and tools", func(t *testing.T) {
		ignore, err := os.ReadFile("../../.dockerignore")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"var/", ".git/", "**/node_modules/"} {
			if !slices.Contains(strings.Fields(string(ignore)), want) {
				t.Errorf(".dockerignore does not leave out %s", want)
			}
		}
	})
}
