package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type cliRun struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	c := &CLI{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := c.Run(context.Background(), args)
	return cliRun{code, out.String(), errb.String()}
}

var testMasterKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))

// eachStore runs fn on a migrated PostgreSQL database and a SQLite file.
func eachStore(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Run("postgres", func(t *testing.T) {
		fn(t, map[string]string{"PROCURA_DATABASE_URL": dbtest.PostgresURL(t), "PROCURA_MASTER_KEY": testMasterKey})
	})
	t.Run("sqlite", func(t *testing.T) {
		env := map[string]string{"PROCURA_DATABASE_URL": dbtest.SQLiteURL(t), "PROCURA_MASTER_KEY": testMasterKey}
		if r := runCLI(t, env, "", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "Applied 0001") {
			t.Fatalf("migrate = %+v", r)
		}
		fn(t, env)
	})
}

func count(t *testing.T, env map[string]string, table string) int64 {
	t.Helper()
	d, err := db.Open(context.Background(), env["PROCURA_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int64
	if err := d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

var siretCounter atomic.Int64

// freshSIRET returns a SIRET with a valid Luhn key not used before in this run.
func freshSIRET(t *testing.T) string {
	t.Helper()
	siretCounter.CompareAndSwap(0, time.Now().UnixNano()%1e12*10)
	for {
		base := fmt.Sprintf("%013d", siretCounter.Add(1)%1e13)
		for d := 0; d <= 9; d++ {
			if s := base + fmt.Sprint(d); account.ValidSIRET(s) {
				return s
			}
		}
	}
}

func TestAdminCreatesOrganisationAndAidant(t *testing.T) {
	eachStore(t, func(t *testing.T, env map[string]string) {
		siret := freshSIRET(t)
		r := runCLI(t, env, "", "admin", "org", "create", "--siret", siret, "--name", "Maison France Services d'Ambert", "--procedures", "logement,social", "--json")
		if r.code != 0 {
			t.Fatalf("org create = %+v", r)
		}
		var org struct{ ID, SIRET string }
		if err := json.Unmarshal([]byte(r.stdout), &org); err != nil || org.SIRET != siret {
			t.Fatalf("org create output %q: %v", r.stdout, err)
		}
		r = runCLI(t, env, "", "admin", "aidant", "create", "--org", siret, "--email", "Aidant-"+siret+"@example.fr",
			"--given-name", "Jean-Luc", "--family-name", "Émery", "--roles", "aidant,manager", "--habilitated-until", "2027-12-31", "--json")
		if r.code != 0 {
			t.Fatalf("aidant create = %+v", r)
		}
		var created map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &created); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "password", "totp_secret", "totp_uri"} {
			if s, _ := created[k].(string); s == "" {
				t.Errorf("output lacks %s: %s", k, r.stdout)
			}
		}
		if !strings.HasPrefix(created["totp_uri"].(string), "otpauth://totp/Procura:") {
			t.Errorf("totp_uri = %v", created["totp_uri"])
		}
		// A password given on stdin, and a second organisation by id.
		r = runCLI(t, env, "tilleul-orage-violon-prune\n", "admin", "aidant", "create", "--org", org.ID, "--email", "stdin-"+siret+"@example.fr",
			"--given-name", "Anne", "--family-name", "Martin", "--password-stdin", "--no-totp")
		if r.code != 0 || strings.Contains(r.stdout, "initial password") || !strings.Contains(r.stdout, "first sign-in") {
			t.Fatalf("aidant create --password-stdin = %+v", r)
		}
		r = runCLI(t, env, "", "admin", "aidant", "habilitate", "--email", "stdin-"+siret+"@example.fr", "--until", "2099-01-31")
		if r.code != 0 || !strings.Contains(r.stdout, "habilitated until 2099-01-31") {
			t.Fatalf("habilitate = %+v", r)
		}
		if r := runCLI(t, env, "", "admin", "aidant", "habilitate", "--email", "stdin-"+siret+"@example.fr", "--until", "2001-01-31"); r.code != 1 {
			t.Errorf("habilitate in the past = %+v", r)
		}
		r = runCLI(t, env, "", "admin", "aidant", "deactivate", "--email", "stdin-"+siret+"@example.fr")
		if r.code != 0 || !strings.Contains(r.stdout, "deactivated") {
			t.Fatalf("deactivate = %+v", r)
		}
	})
}

func TestAdminRefusesBadInput(t *testing.T) {
	eachStore(t, func(t *testing.T, env map[string]string) {
		siret := freshSIRET(t)
		if r := runCLI(t, env, "", "admin", "org", "create", "--siret", siret, "--name", "Base"); r.code != 0 {
			t.Fatalf("setup: %+v", r)
		}
		tests := []struct {
			name    string
			stdin   string
			args    []string
			code    int
			message string
		}{
			{"bad SIRET", "", []string{"admin", "org", "create", "--siret", "12345678901234", "--name", "X"}, 1, "SIRET"},
			{"missing name", "", []string{"admin", "org", "create", "--siret", siret}, 2, "required"},
			{"unknown procedure", "", []string{"admin", "org", "create", "--siret", freshSIRET(t), "--name", "X", "--procedures", "banque"}, 1, "Démarche inconnue"},
			{"unknown organisation", "", []string{"admin", "aidant", "create", "--org", "73282932000074", "--email", "x@example.fr", "--given-name", "A", "--family-name", "B"}, 1, "introuvable"},
			{"bad email", "", []string{"admin", "aidant", "create", "--org", siret, "--email", "nope", "--given-name", "A", "--family-name", "B"}, 1, "adresse"},
			{"short stdin password", "short\n", []string{"admin", "aidant", "create", "--org", siret, "--email", "y@example.fr", "--given-name", "A", "--family-name", "B", "--password-stdin"}, 1, "12 caractères"},
			{"bad role", "", []string{"admin", "aidant", "create", "--org", siret, "--email", "z@example.fr", "--given-name", "A", "--family-name", "B", "--roles", "admin"}, 1, "Rôle inconnu"},
			{"bad date", "", []string{"admin", "aidant", "create", "--org", siret, "--email", "w@example.fr", "--given-name", "A", "--family-name", "B", "--habilitated-until", "31/12/2027"}, 2, "YYYY-MM-DD"},
			{"unknown account", "", []string{"admin", "aidant", "deactivate", "--email", "ghost@example.fr"}, 1, "introuvable"},
			{"unknown command", "", []string{"admin", "frobnicate"}, 2, "unknown command"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				orgs, accounts := count(t, env, "organisations"), count(t, env, "accounts")
				r := runCLI(t, env, tt.stdin, tt.args...)
				if r.code != tt.code || !strings.Contains(r.stderr, tt.message) {
					t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", r.code, r.stderr, tt.code, tt.message)
				}
				if count(t, env, "organisations") != orgs || count(t, env, "accounts") != accounts {
					t.Error("something was stored")
				}
			})
		}
	})
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", map[string]string{}, "PROCURA_DATABASE_URL: required"},
		{"sqlite outside dev", map[string]string{"PROCURA_DATABASE_URL": "sqlite:x.db"}, "PROCURA_DATABASE_URL: the embedded SQLite store is for `procura dev` only"},
		{"http base URL", map[string]string{"PROCURA_BASE_URL": "http://procura.example.fr"}, "PROCURA_BASE_URL: must be https"},
		{"short master key", map[string]string{"PROCURA_MASTER_KEY": "c2hvcnQ="}, "PROCURA_MASTER_KEY: must be 32 bytes"},
		{"bad duration", map[string]string{"PROCURA_SESSION_IDLE_TIMEOUT": "forever"}, "PROCURA_SESSION_IDLE_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", "serve")
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("serve: exit %d, stderr %q; want exit 1 naming %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestServeRefusesOutdatedSchema(t *testing.T) {
	env := map[string]string{
		"PROCURA_DATABASE_URL": dbtest.ServerURL(), // the server's own database: never migrated by Procura
		"PROCURA_BASE_URL":     "https://procura.example.fr",
		"PROCURA_MASTER_KEY":   testMasterKey,
		"PROCURA_LISTEN_ADDR":  "127.0.0.1:0",
		"PROCURA_FC_ISSUER":    "https://fc.example/api/v2",
		"PROCURA_FC_CLIENT_ID": "procura", "PROCURA_FC_CLIENT_SECRET": "secret",
		"PROCURA_SMTP_HOST": "127.0.0.1", "PROCURA_SMTP_FROM": "procura@example.fr", "PROCURA_SMTP_STARTTLS": "none",
	}
	for k, v := range testOperator {
		env[k] = v
	}
	r := runCLI(t, env, "", "serve")
	if r.code != 1 || !strings.Contains(r.stderr, "procura migrate") {
		t.Errorf("serve on an unmigrated database: exit %d, stderr %q", r.code, r.stderr)
	}
	// Without a mail server, the notices the mandates promise could not go.
	delete(env, "PROCURA_SMTP_HOST")
	if r := runCLI(t, env, "", "serve"); r.code != 1 || !strings.Contains(r.stderr, "PROCURA_SMTP_HOST: required") {
		t.Errorf("serve without a mail server: exit %d, stderr %q", r.code, r.stderr)
	}
	// Without the operator's details, the legal notice the mandates send
	// the usagers to would show placeholders.
	env["PROCURA_SMTP_HOST"] = "127.0.0.1"
	delete(env, "PROCURA_OPERATOR_DPO_EMAIL")
	if r := runCLI(t, env, "", "serve"); r.code != 1 || !strings.Contains(r.stderr, "PROCURA_OPERATOR_DPO_EMAIL: still the development placeholders") {
		t.Errorf("serve with a placeholder operator: exit %d, stderr %q", r.code, r.stderr)
	}
}

// testOperator are the operator's details a `procura serve` of the tests
// runs with.
var testOperator = map[string]string{
	"PROCURA_OPERATOR_NAME": "Opérateur de test", "PROCURA_OPERATOR_ADDRESS": "1 rue du Test, 75000 Paris",
	"PROCURA_OPERATOR_EMAIL": "contact@procura.test", "PROCURA_OPERATOR_DPO_EMAIL": "dpo@procura.test",
	"PROCURA_OPERATOR_DIRECTOR": "Camille Test", "PROCURA_OPERATOR_HOST": "Hébergeur de test, 2 rue du Test, 59000 Lille",
}

func TestDevRefusesNonLoopbackBaseURL(t *testing.T) {
	env := map[string]string{"PROCURA_BASE_URL": "http://procura.example.fr", "PROCURA_DATABASE_URL": dbtest.SQLiteURL(t)}
	r := runCLI(t, env, "", "dev")
	if r.code != 1 || !strings.Contains(r.stderr, "loopback") {
		t.Errorf("dev with a public base URL: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestKeysRotateListRetire(t *testing.T) {
	eachStore(t, func(t *testing.T, env map[string]string) {
		r := runCLI(t, env, "", "keys", "rotate", "--purpose", "mandate", "--alg", "es256")
		if r.code != 0 || !strings.Contains(r.stdout, "now signs") {
			t.Fatalf("rotate = %+v", r)
		}
		first := strings.Fields(r.stdout)[4]
		r = runCLI(t, env, "", "keys", "rotate", "--purpose", "mandate", "--alg", "ES256")
		if r.code != 0 {
			t.Fatalf("second rotate = %+v", r)
		}
		r = runCLI(t, env, "", "keys", "list", "--purpose", "mandate")
		if r.code != 0 || !strings.Contains(r.stdout, first) {
			t.Fatalf("list = %+v", r)
		}
		if r := runCLI(t, env, "", "keys", "retire", "--kid", first); r.code != 0 {
			t.Fatalf("retire = %+v", r)
		}
		for _, bad := range [][]string{{"keys", "rotate", "--purpose", "mandate", "--alg", "RS256"}, {"keys", "rotate", "--purpose", "nope"},
			{"keys", "retire", "--kid", "unknown"}, {"keys", "retire"}, {"keys", "frob"}} {
			if r := runCLI(t, env, "", bad...); r.code == 0 {
				t.Errorf("%v succeeded: %+v", bad, r)
			}
		}
	})
}

func TestAdminClients(t *testing.T) {
	eachStore(t, func(t *testing.T, env map[string]string) {
		id := fmt.Sprintf("service-%d", time.Now().UnixNano())
		r := runCLI(t, env, "", "admin", "client", "create", "--id", id, "--name", "Caisse démo", "--redirect-uri", "https://service.example.fr/callback",
			"--post-logout-uri", "https://service.example.fr/bye", "--procedures", "social,logement", "--userinfo-alg", "ES256", "--json")
		if r.code != 0 || !strings.Contains(r.stdout, `"client_secret"`) {
			t.Fatalf("client create = %+v", r)
		}
		if r := runCLI(t, env, "", "admin", "client", "list"); r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "enabled") {
			t.Fatalf("client list = %+v", r)
		}
		for _, bad := range [][]string{
			{"admin", "client", "create", "--name", "X", "--redirect-uri", "http://evil.example/cb", "--procedures", "social"},
			{"admin", "client", "create", "--name", "X", "--redirect-uri", "https://a.example/cb", "--procedures", "banque"},
			{"admin", "client", "create", "--name", "X", "--redirect-uri", "https://a.example/cb", "--procedures", "social", "--auth-method", "none"},
			{"admin", "client", "create", "--id", id, "--name", "Copie", "--redirect-uri", "https://a.example/cb", "--procedures", "social"},
			{"admin", "client", "create", "--name", "X"},
			{"admin", "client", "disable", "--id", "unknown"},
		} {
			before := count(t, env, "oauth_clients")
			if r := runCLI(t, env, "", bad...); r.code == 0 {
				t.Errorf("%v succeeded: %+v", bad, r)
			}
			if count(t, env, "oauth_clients") != before {
				t.Errorf("%v stored a client", bad)
			}
		}
		if r := runCLI(t, env, "", "admin", "client", "disable", "--id", id); r.code != 0 {
			t.Fatalf("disable = %+v", r)
		}
		if r := runCLI(t, env, "", "admin", "client", "list"); !strings.Contains(r.stdout, "disabled") {
			t.Errorf("list after disable = %+v", r)
		}
	})
}

func TestAdminImportsTOTPCards(t *testing.T) {
	eachStore(t, func(t *testing.T, env map[string]string) {
		file := filepath.Join(t.TempDir(), "cards.csv")
		serial := "CLI-" + freshSIRET(t)
		if err := os.WriteFile(file, []byte("serial,seed\n"+serial+",JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		before := count(t, env, "totp_cards")
		if r := runCLI(t, env, "", "admin", "totp-cards", "import", file); r.code != 0 || !strings.Contains(r.stdout, "1 TOTP cards imported") {
			t.Fatalf("import = %+v", r)
		}
		if n := count(t, env, "totp_cards"); n != before+1 {
			t.Errorf("%d cards, want %d", n, before+1)
		}
		if r := runCLI(t, env, "", "admin", "totp-cards", "import", file); r.code != 1 || !strings.Contains(r.stderr, "déjà importée") {
			t.Errorf("import twice = %+v", r)
		}
		bad := filepath.Join(t.TempDir(), "bad.csv")
		os.WriteFile(bad, []byte("X-1,not base32!\n"), 0o600)
		if r := runCLI(t, env, "", "admin", "totp-cards", "import", bad); r.code != 1 || !strings.Contains(r.stderr, "Ligne 1") {
			t.Errorf("bad file = %+v", r)
		}
		if r := runCLI(t, env, "", "admin", "totp-cards", "import"); r.code != 2 {
			t.Errorf("no file = %+v", r)
		}
	})
}
