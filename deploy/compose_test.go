// Package deploy holds what docker-compose.yml mounts (the Caddyfile, the
// PostgreSQL roles script) and the test that checks the stack: there is no
// Docker engine in CI, so the test reads the compose file as Compose would
// (YAML, then ${…} interpolation with the defaults) and checks what
// matters; `docker compose config` runs too where the client has the
// compose plugin. e2e/cluster_test.go starts the same processes, with the
// same roles, without Docker.
package deploy

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"procura/config"
)

// composeFile is the part of the Compose specification the test reads.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       any            `yaml:"build"`
	Entrypoint  []string       `yaml:"entrypoint"`
	Command     any            `yaml:"command"`
	Restart     string         `yaml:"restart"`
	Profiles    []string       `yaml:"profiles"`
	Environment map[string]any `yaml:"environment"`
	Ports       []string       `yaml:"ports"`
	Expose      []string       `yaml:"expose"`
	Volumes     []string       `yaml:"volumes"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Networks map[string]struct {
		Aliases []string `yaml:"aliases"`
	} `yaml:"networks"`
}

// placeholder stands for a secret the .env file gives (${NAME:?…}): the
// base64 of 32 bytes, which a master key needs and a password accepts.
const placeholder = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

var variable = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?:(:?[-?])([^}]*))?\}`)

// interpolate resolves ${NAME:-default} to its default and any other
// ${NAME…} to placeholder (as with a .env file holding only the secrets),
// then $$ to $, as Compose does.
func interpolate(s string) string {
	s = variable.ReplaceAllStringFunc(s, func(m string) string {
		sub := variable.FindStringSubmatch(m)
		if sub[2] == ":-" || sub[2] == "-" {
			return sub[3]
		}
		return placeholder
	})
	return strings.ReplaceAll(s, "$$", "$")
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// env is a service's environment after interpolation.
func (s composeService) env() map[string]string {
	out := map[string]string{}
	for k, v := range s.Environment {
		str, _ := v.(string)
		out[k] = interpolate(str)
	}
	return out
}

func TestComposeServices(t *testing.T) {
	f := loadCompose(t)
	want := []string{"caddy", "caddy-root", "db-roles", "demo-service", "fc-sandbox", "migrate", "postgres", "procura"}
	var got []string
	for name := range f.Services {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}

	// One-shot services are those another waits for to complete; every
	// other service runs on and has a health check.
	oneShot := map[string]bool{}
	for _, s := range f.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == "service_completed_successfully" {
				oneShot[dep] = true
			}
		}
	}
	for name, s := range f.Services {
		t.Run(name, func(t *testing.T) {
			for dep, d := range s.DependsOn {
				if _, ok := f.Services[dep]; !ok {
					t.Errorf("depends on %s, which is not a service", dep)
				}
				if d.Condition == "" {
					t.Errorf("depends on %s without a condition", dep)
				}
				if f.Services[dep].Healthcheck == nil && d.Condition == "service_healthy" {
					t.Errorf("waits for %s to be healthy, which has no health check", dep)
				}
				if len(f.Services[dep].Profiles) > 0 && !slices.Equal(f.Services[dep].Profiles, s.Profiles) {
					t.Errorf("depends on %s of profiles %v, not always started with it", dep, f.Services[dep].Profiles)
				}
			}
			switch {
			case oneShot[name]:
				if s.Restart != "" && s.Restart != "no" {
					t.Errorf("one-shot service with restart: %s", s.Restart)
				}
			case s.Healthcheck == nil || len(s.Healthcheck.Test) < 2:
				t.Error("no health check")
			case s.Restart != "unless-stopped":
				t.Errorf("restart %q, want unless-stopped", s.Restart)
			}
			if s.Image == "" && s.Build == nil {
				t.Error("neither image nor build")
			}
			for _, v := range s.Volumes {
				if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, "./") {
					if _, err := os.Stat(filepath.Join("..", src)); err != nil && src != "./certs" {
						t.Errorf("mounts %s: %v", src, err)
					}
				} else if _, ok := f.Volumes[src]; !ok && !strings.HasPrefix(src, "/") {
					t.Errorf("mounts volume %s, not declared", src)
				}
			}
		})
	}

	procura := f.Services["procura"]
	if hc := procura.Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/usr/local/bin/procura", "health"}) {
		t.Errorf("procura's health check %v, want `procura health` (its /readyz)", hc)
	}
	for _, name := range []string{"fc-sandbox", "demo-service"} {
		if s := f.Services[name]; !slices.Equal(s.Profiles, []string{"demo"}) {
			t.Errorf("%s: profiles %v, want [demo]", name, s.Profiles)
		}
	}
	for name, s := range f.Services {
		if name != "fc-sandbox" && name != "demo-service" && len(s.Profiles) > 0 {
			t.Errorf("%s: profiles %v; only the demo's services have one", name, s.Profiles)
		}
	}
}

// TestComposeVariables checks that every PROCURA_* variable the stack
// sets is one Procura reads (config.Vars): a misspelt one would be
// ignored silently.
func TestComposeVariables(t *testing.T) {
	f := loadCompose(t)
	known := map[string]bool{}
	for _, v := range config.Vars {
		known[v.Name] = true
	}
	for name, s := range f.Services {
		for k := range s.Environment {
			if strings.HasPrefix(k, "PROCURA_") && !known[k] {
				t.Errorf("%s sets %s, which Procura does not read (config.Vars)", name, k)
			}
		}
	}
	b, _ := os.ReadFile("../docker-compose.yml")
	for _, m := range regexp.MustCompile(`\$\{?(PROCURA_[A-Z0-9_]+)`).FindAllStringSubmatch(string(b), -1) {
		if !known[m[1]] {
			t.Errorf("docker-compose.yml uses %s, which Procura does not read (config.Vars)", m[1])
		}
	}
	caddyfile, _ := os.ReadFile("Caddyfile")
	for _, m := range regexp.MustCompile(`\{\$(PROCURA_[A-Z0-9_]+)`).FindAllStringSubmatch(string(caddyfile), -1) {
		if !known[m[1]] {
			t.Errorf("the Caddyfile uses %s, which Procura does not read (config.Vars)", m[1])
		}
	}
}

// TestComposeLeastPrivilege: no service connects to PostgreSQL as the
// superuser; the migration connects as the owner role, the server and the
// operator commands as the application role, and the roles script creates
// both without superuser rights.
func TestComposeLeastPrivilege(t *testing.T) {
	f := loadCompose(t)
	superuser := f.Services["postgres"].env()["POSTGRES_USER"]
	if superuser == "" {
		superuser = "postgres" // the image's default
	}
	want := map[string]string{"migrate": "procura_owner", "db-roles": "procura_owner", "procura": "procura_app"}
	for name, s := range f.Services {
		dbURL, ok := s.env()["PROCURA_DATABASE_URL"]
		if !ok {
			continue
		}
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Errorf("%s: PROCURA_DATABASE_URL %q: %v", name, dbURL, err)
			continue
		}
		user := u.User.Username()
		if user == superuser || user == "" {
			t.Errorf("%s connects as %q, the superuser", name, user)
		}
		if user != want[name] {
			t.Errorf("%s connects as %q, want %q", name, user, want[name])
		}
		if u.Hostname() != "postgres" || u.Path != "/procura" {
			t.Errorf("%s: database %s%s, want postgres/procura", name, u.Host, u.Path)
		}
	}
	roles, err := os.ReadFile("postgres-roles.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`\set owner_role procura_owner`, `\set app_role procura_app`,
		`CREATE ROLE :"owner_role" LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;`,
		`CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;`,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";`,
	} {
		if !strings.Contains(string(roles), want) {
			t.Errorf("postgres-roles.sql lacks %s", want)
		}
	}
	pg := f.Services["postgres"]
	if !slices.Contains(pg.Volumes, "./deploy/postgres-roles.sql:/docker-entrypoint-initdb.d/10-procura-roles.sql:ro") {
		t.Errorf("postgres does not run the roles script at its first start: volumes %v", pg.Volumes)
	}
	for _, k := range []string{"DB_OWNER_PASSWORD", "DB_APP_PASSWORD"} {
		if pg.env()[k] != placeholder {
			t.Errorf("postgres: %s = %q, want it from .env, required", k, pg.env()[k])
		}
	}
}

// TestComposeNetwork: only Caddy is published, over TLS, in front of
// Procura's /readyz; the metrics listener stays on the compose network;
// the names of the demo's URLs lead to Caddy inside the stack too, and
// the sandbox's client is Procura's registration.
func TestComposeNetwork(t *testing.T) {
	f := loadCompose(t)
	for name, s := range f.Services {
		if name != "caddy" && len(s.Ports) > 0 {
			t.Errorf("%s publishes %v; only Caddy (TLS) is published", name, s.Ports)
		}
	}
	procura := f.Services["procura"].env()
	for k, want := range map[string]string{"PROCURA_TRUST_PROXY_HEADERS": "true", "PROCURA_METRICS_ADDR": ":9464", "PROCURA_LISTEN_ADDR": ":8080"} {
		if procura[k] != want {
			t.Errorf("procura: %s = %q, want %q", k, procura[k], want)
		}
	}
	cfg, err := config.FromEnv(func(k string) string { return procura[k] })
	if err != nil {
		t.Fatalf("procura's environment: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("procura serve would refuse the compose environment: %v", err)
	}
	if left := cfg.Operator.Placeholders(); len(left) > 0 {
		t.Errorf("procura serve would refuse the compose environment's operator placeholders: %v", left)
	}

	caddy := f.Services["caddy"]
	caddyfile, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"{$PROCURA_BASE_URL} {", "tls {$CADDY_TLS:internal}", "reverse_proxy procura:8080 {", "health_uri /readyz",
		"reverse_proxy fc-sandbox:9090", "reverse_proxy demo-service:8081"} {
		if !strings.Contains(string(caddyfile), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	if caddy.env()["PROCURA_BASE_URL"] != cfg.BaseURL {
		t.Errorf("Caddy serves %q, Procura's base URL is %q", caddy.env()["PROCURA_BASE_URL"], cfg.BaseURL)
	}
	aliases := caddy.Networks["default"].Aliases
	base, _ := url.Parse(cfg.BaseURL)
	issuer, _ := url.Parse(cfg.FranceConnect.Issuer)
	demoBase, _ := url.Parse(f.Services["demo-service"].env()["DEMO_BASE_URL"])
	for _, u := range []*url.URL{base, issuer, demoBase} {
		if !slices.Contains(aliases, u.Hostname()) {
			t.Errorf("%s: its host is not an alias of Caddy in the stack (%v)", u, aliases)
		}
		if published := interpolate(strings.Join(caddy.Ports, ",")); !strings.HasPrefix(published, u.Port()+":") {
			t.Errorf("%s: Caddy publishes %s, not that port", u, published)
		}
	}
	if site := caddy.env()["FC_SANDBOX_SITE"]; site != issuer.Scheme+"://"+issuer.Host {
		t.Errorf("Caddy's sandbox site %q, the issuer is %s", site, issuer)
	}
	if site := caddy.env()["DEMO_SERVICE_SITE"]; site != demoBase.Scheme+"://"+demoBase.Host {
		t.Errorf("Caddy's demo site %q, the demo service is at %s", site, demoBase)
	}

	sandbox := f.Services["fc-sandbox"].env()
	if sandbox["FC_SANDBOX_ISSUER"] != cfg.FranceConnect.Issuer {
		t.Errorf("the sandbox's issuer %q, Procura's FranceConnect issuer %q", sandbox["FC_SANDBOX_ISSUER"], cfg.FranceConnect.Issuer)
	}
	var clients []struct {
		ID                     string   `json:"id"`
		Secret                 string   `json:"secret"`
		RedirectURIs           []string `json:"redirect_uris"`
		PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	}
	if err := json.Unmarshal([]byte(sandbox["FC_SANDBOX_CLIENTS"]), &clients); err != nil {
		t.Fatalf("FC_SANDBOX_CLIENTS: %v", err)
	}
	if len(clients) != 1 || clients[0].ID != cfg.FranceConnect.ClientID || clients[0].Secret != cfg.FranceConnect.ClientSecret ||
		!slices.Equal(clients[0].RedirectURIs, []string{cfg.BaseURL + "/franceconnect/callback"}) ||
		!slices.Equal(clients[0].PostLogoutRedirectURIs, []string{cfg.BaseURL + "/franceconnect/deconnexion"}) {
		t.Errorf("the sandbox's clients %+v are not Procura's registration", clients)
	}
	if demo := f.Services["demo-service"].env(); demo["DEMO_ISSUER"] != cfg.BaseURL {
		t.Errorf("the demo service's issuer %q, Procura's %q", demo["DEMO_ISSUER"], cfg.BaseURL)
	}
}

// TestDockerfileBuildsEveryBinary: the image holds the server, the sandbox
// and the demo service, which the compose services run.
func TestDockerfileBuildsEveryBinary(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"procura", "fc-sandbox", "demo-service"} {
		if !strings.Contains(string(b), "-o /out/"+cmd+" ./cmd/"+cmd) || !strings.Contains(string(b), "/out/"+cmd+" ") && !strings.Contains(string(b), "/out/"+cmd+"\n") {
			t.Errorf("the Dockerfile does not build and copy ./cmd/%s", cmd)
		}
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", ".env", "node_modules/", "bin/"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

// TestComposeConfig runs `docker compose config` where the client has the
// compose plugin (not on this project's CI machine).
func TestComposeConfig(t *testing.T) {
	if exec.Command("docker", "compose", "version").Run() != nil {
		t.Skip("no docker compose client: the tests above read the file instead")
	}
	cmd := exec.Command("docker", "compose", "--profile", "demo", "config", "--quiet")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "POSTGRES_PASSWORD=x", "DB_OWNER_PASSWORD=x", "DB_APP_PASSWORD=x",
		"PROCURA_MASTER_KEY=x", "PROCURA_FC_CLIENT_SECRET=x")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}
