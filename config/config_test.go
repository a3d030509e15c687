package config_test

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"procura/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var goodKey = base64.StdEncoding.EncodeToString(make([]byte, 32))

func TestDefaultsAndValidConfig(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{
		"PROCURA_DATABASE_URL": "postgres://procura@db/procura",
		"PROCURA_BASE_URL":     "https://procura.example.fr/",
		"PROCURA_MASTER_KEY":   goodKey,
		"PROCURA_FC_ISSUER":    "https://fcp-low.integ01.dev-franceconnect.fr/api/v2",
		"PROCURA_FC_CLIENT_ID": "procura", "PROCURA_FC_CLIENT_SECRET": "s3cret",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.BaseURL != "https://procura.example.fr" || c.ListenAddr != ":8080" || c.SessionIdleTimeout != 30*time.Minute ||
		c.SessionMaxAge != 10*time.Hour || c.MaintenanceInterval != 10*time.Minute || !c.SecureCookies() {
		t.Errorf("config = %+v", c)
	}
}

func TestInvalidSettingsNameTheirVariable(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{
			"PROCURA_DATABASE_URL": "postgres://procura@db/procura",
			"PROCURA_BASE_URL":     "https://procura.example.fr",
			"PROCURA_MASTER_KEY":   goodKey,
			"PROCURA_FC_ISSUER":    "https://fcp-low.integ01.dev-franceconnect.fr/api/v2",
			"PROCURA_FC_CLIENT_ID": "procura", "PROCURA_FC_CLIENT_SECRET": "s3cret",
		}
	}
	tests := []struct {
		name, key, value, want string
		dev                    bool
	}{
		{"missing database", "PROCURA_DATABASE_URL", "", "PROCURA_DATABASE_URL: required", false},
		{"mysql database", "PROCURA_DATABASE_URL", "mysql://x", "PROCURA_DATABASE_URL: must start", false},
		{"http base URL", "PROCURA_BASE_URL", "http://procura.example.fr", "PROCURA_BASE_URL: must be https", false},
		{"base URL with query", "PROCURA_BASE_URL", "https://procura.example.fr/?x=1", "PROCURA_BASE_URL: must be an absolute", false},
		{"relative base URL", "PROCURA_BASE_URL", "procura.example.fr", "PROCURA_BASE_URL", false},
		{"dev on a public host", "PROCURA_BASE_URL", "http://procura.example.fr", "loopback", true},
		{"master key not base64", "PROCURA_MASTER_KEY", "%%%", "PROCURA_MASTER_KEY: not base64", false},
		{"short master key", "PROCURA_MASTER_KEY", "c2hvcnQ=", "PROCURA_MASTER_KEY: must be 32 bytes", false},
		{"bad idle timeout", "PROCURA_SESSION_IDLE_TIMEOUT", "soon", "PROCURA_SESSION_IDLE_TIMEOUT", false},
		{"max age below idle", "PROCURA_SESSION_MAX_AGE", "10m", "PROCURA_SESSION_MAX_AGE", false},
		{"bad log level", "PROCURA_LOG_LEVEL", "verbose", "PROCURA_LOG_LEVEL", false},
		{"bad bool", "PROCURA_TRUST_PROXY_HEADERS", "perhaps", "PROCURA_TRUST_PROXY_HEADERS", false},
		{"tiny body limit", "PROCURA_MAX_BODY_BYTES", "10", "PROCURA_MAX_BODY_BYTES", false},
		{"bad maintenance interval", "PROCURA_MAINTENANCE_INTERVAL", "often", "PROCURA_MAINTENANCE_INTERVAL", false},
		{"maintenance interval too short", "PROCURA_MAINTENANCE_INTERVAL", "100ms", "PROCURA_MAINTENANCE_INTERVAL: between 1s and 24h", false},
		{"bad listen address", "PROCURA_LISTEN_ADDR", "8080", "PROCURA_LISTEN_ADDR", false},
		{"SMTP host without sender", "PROCURA_SMTP_HOST", "smtp.example.fr", "PROCURA_SMTP_FROM: required", false},
		{"bad SMTP port", "PROCURA_SMTP_PORT", "submission", "PROCURA_SMTP_PORT", false},
		{"bad outbox interval", "PROCURA_OUTBOX_INTERVAL", "often", "PROCURA_OUTBOX_INTERVAL", false},
		{"missing FranceConnect issuer", "PROCURA_FC_ISSUER", "", "PROCURA_FC_ISSUER: required", false},
		{"http FranceConnect issuer", "PROCURA_FC_ISSUER", "http://fc.example/api/v2", "PROCURA_FC_ISSUER", false},
		{"missing FranceConnect client", "PROCURA_FC_CLIENT_ID", "", "PROCURA_FC_CLIENT_ID: required", false},
		{"missing FranceConnect secret", "PROCURA_FC_CLIENT_SECRET", "", "PROCURA_FC_CLIENT_SECRET: required", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			m[tt.key] = tt.value
			c, err := config.FromEnv(env(m))
			if err == nil {
				c.Dev = tt.dev
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// The README documents every variable with its default.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range config.Vars {
		row := "| `" + v.Name + "` |"
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README.md has no row for %s", v.Name)
			continue
		}
		line := readme[i:]
		line = line[:strings.IndexByte(line, '\n')]
		want := "—"
		if v.Default != "" {
			want = "`" + v.Default + "`"
		}
		if !strings.Contains(line, "| "+want+" |") {
			t.Errorf("README row of %s does not give its default %s: %s", v.Name, want, line)
		}
	}
}

// Mail settings: checked only when a host is set; no clear text off loopback.
func TestSMTPSettings(t *testing.T) {
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{
			"PROCURA_DATABASE_URL": "postgres://procura@db/procura", "PROCURA_BASE_URL": "https://procura.example.fr",
			"PROCURA_MASTER_KEY": goodKey, "PROCURA_FC_ISSUER": "https://fc.example.fr/api/v2",
			"PROCURA_FC_CLIENT_ID": "procura", "PROCURA_FC_CLIENT_SECRET": "s3cret",
			"PROCURA_SMTP_HOST": "smtp.example.fr", "PROCURA_SMTP_FROM": "ne-pas-repondre@procura.example.fr",
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tt := range []struct {
		name  string
		extra map[string]string
		want  string
	}{
		{"defaults", nil, ""},
		{"relay on loopback in clear", map[string]string{"PROCURA_SMTP_HOST": "127.0.0.1", "PROCURA_SMTP_STARTTLS": "none"}, ""},
		{"clear text off loopback", map[string]string{"PROCURA_SMTP_STARTTLS": "none"}, "PROCURA_SMTP_STARTTLS: none is allowed only"},
		{"unknown STARTTLS mode", map[string]string{"PROCURA_SMTP_STARTTLS": "yes"}, "PROCURA_SMTP_STARTTLS"},
		{"sender with a name", map[string]string{"PROCURA_SMTP_FROM": "Procura <x@procura.example.fr>"}, "PROCURA_SMTP_FROM"},
		{"port out of range", map[string]string{"PROCURA_SMTP_PORT": "70000"}, "PROCURA_SMTP_PORT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.FromEnv(env(base(tt.extra)))
			if err == nil {
				err = c.Validate()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
			if tt.want == "" && (c.SMTP.Port != 587 || c.SMTP.StartTLS == "" || c.SMTP.FromName != "Procura" || c.OutboxInterval != 5*time.Second) {
				t.Errorf("defaults: %+v %v", c.SMTP, c.OutboxInterval)
			}
		})
	}
}
