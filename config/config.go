// Package config holds Procura's typed configuration, read once from
// PROCURA_* environment variables by cmd/procura and validated before use.
// Nothing else in Procura reads the environment.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of a Procura server.
type Config struct {
	// DatabaseURL is a postgres:// URL, or sqlite:<path> for the embedded store
	// (development only).
	DatabaseURL string
	// BaseURL is the public URL of the server, without trailing slash; it is
	// the OpenID issuer and the origin every cookie and redirect is bound to.
	BaseURL string
	// ListenAddr is the TCP address the HTTP server listens on.
	ListenAddr string
	// MasterKey encrypts secrets at rest (TOTP seeds, signing keys). 32 bytes.
	MasterKey []byte
	// SessionIdleTimeout ends a session left unused this long.
	SessionIdleTimeout time.Duration
	// SessionMaxAge ends a session this long after sign-in, used or not.
	SessionMaxAge time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// TrustProxyHeaders makes the client IP come from X-Forwarded-For (set it
	// only behind a load balancer that overwrites that header).
	TrustProxyHeaders bool
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64
	// FranceConnect is the identity provider usagers are identified with.
	FranceConnect FranceConnect
	// MetricsAddr, if set, is the address of a second listener serving
	// Prometheus /metrics (keep it off the public network).
	MetricsAddr string
	// DBMaxConns bounds the PostgreSQL connection pool of this instance;
	// DBMaxIdleTime closes connections idle that long. Zero: the default.
	DBMaxConns    int
	DBMaxIdleTime time.Duration
	// RetentionDays is how long a usager's identity is kept after their
	// last mandate ended (and their last identification).
	RetentionDays int
	// ShutdownTimeout is how long a stopping server lets requests in flight
	// finish (SIGTERM, SIGINT). Zero: the default.
	ShutdownTimeout time.Duration
	// MaintenanceInterval is how often this instance runs the periodic
	// jobs (mandate expiries, ended sessions). Zero: the default.
	MaintenanceInterval time.Duration
	// SMTP is the mail server the outbox delivers through; OutboxInterval
	// how often this instance looks for messages to send.
	SMTP           SMTP
	OutboxInterval time.Duration
	// Operator is who runs this Procura, as the legal pages name them.
	Operator Operator
	// Dev marks the `procura dev` run: insecure cookies over http on loopback.
	Dev bool
}

// FranceConnect is Procura's registration at a FranceConnect-like provider.
type FranceConnect struct {
	// Issuer is the provider's issuer, e.g.
	// https://fcp-low.integ01.dev-franceconnect.fr/api/v2.
	Issuer       string
	ClientID     string
	ClientSecret string
}

// SMTP is the mail server Procura sends its email through. With no Host,
// `procura serve` keeps messages in the outbox unsent (the operator sees
// them with `procura admin outbox list`); `procura dev` never sends and
// shows them at /dev/courriels.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	FromName string
	// StartTLS is mandatory, opportunistic or none (RFC 3207).
	StartTLS string
}

// Operator is the publisher and host of a Procura instance, shown on the
// legal notice, the personal-data page and the accessibility statement.
// The defaults are placeholders that read as such: an operator sets them
// before opening the service.
type Operator struct {
	// Name is the publisher (éditeur), e.g. a ministry or a local authority.
	Name string
	// Address is the publisher's postal address.
	Address string
	// Email is where people write about the service, their personal data
	// and accessibility.
	Email string
	// DPOEmail is the publisher's data protection officer (délégué à la
	// protection des données).
	DPOEmail string
	// PublicationDirector is the directeur de la publication.
	PublicationDirector string
	// Host names the hosting provider and its address (hébergeur).
	Host string
}

// Placeholders lists the PROCURA_OPERATOR_* variables still at their
// defaults, which are development placeholders: `procura serve` refuses to
// start with any, since the signed mandate text sends the usager to the
// legal notice for the operator's details.
func (o Operator) Placeholders() []string {
	var left []string
	for _, v := range []struct{ name, value string }{
		{"PROCURA_OPERATOR_NAME", o.Name}, {"PROCURA_OPERATOR_ADDRESS", o.Address},
		{"PROCURA_OPERATOR_EMAIL", o.Email}, {"PROCURA_OPERATOR_DPO_EMAIL", o.DPOEmail},
		{"PROCURA_OPERATOR_DIRECTOR", o.PublicationDirector}, {"PROCURA_OPERATOR_HOST", o.Host},
	} {
		for _, d := range Vars {
			if d.Name == v.name && d.Default == v.value {
				left = append(left, v.name)
			}
		}
	}
	return left
}

// Var documents one environment variable; Vars lists them all, in the order
// the README shows them.
type Var struct {
	Name    string
	Default string
	Doc     string
}

// Vars is the list of every environment variable Procura reads.
var Vars = []Var{
	{"PROCURA_DATABASE_URL", "", "PostgreSQL URL (postgres://…). `procura dev` defaults to sqlite:procura-dev.db."},
	{"PROCURA_BASE_URL", "", "Public base URL, the OpenID issuer; https required by `procura serve`. `procura dev` defaults to http://localhost:8080."},
	{"PROCURA_LISTEN_ADDR", ":8080", "Address the HTTP server listens on."},
	{"PROCURA_MASTER_KEY", "", "Base64 of 32 random bytes (`openssl rand -base64 32`); encrypts secrets at rest. `procura dev` uses a fixed development key."},
	{"PROCURA_SESSION_IDLE_TIMEOUT", "30m", "A session unused this long ends."},
	{"PROCURA_SESSION_MAX_AGE", "10h", "A session ends this long after sign-in."},
	{"PROCURA_LOG_LEVEL", "info", "debug, info, warn or error."},
	{"PROCURA_TRUST_PROXY_HEADERS", "false", "Take the client IP from X-Forwarded-For (only behind a proxy that sets it)."},
	{"PROCURA_MAX_BODY_BYTES", "1048576", "Largest accepted request body, in bytes."},
	{"PROCURA_METRICS_ADDR", "", "If set, address of a second listener serving Prometheus `/metrics` (e.g. 127.0.0.1:9464); keep it off the public network."},
	{"PROCURA_DB_MAX_CONNS", "32", "Largest number of PostgreSQL connections of one instance (instances × this ≤ the server's max_connections)."},
	{"PROCURA_DB_MAX_IDLE_TIME", "5m", "A pooled connection idle this long is closed."},
	{"PROCURA_RETENTION_DAYS", "1826", "A usager's identity is erased, and their mandates deleted, this many days after their last mandate ended and their last identification; at least 1826 (five years), as the signed mandate text promises; the journal stays whole."},
	{"PROCURA_SHUTDOWN_TIMEOUT", "20s", "On SIGTERM or SIGINT, how long requests in flight may finish before the server stops."},
	{"PROCURA_MAINTENANCE_INTERVAL", "10m", "How often each instance runs the periodic jobs (mandate expiries, ended sessions); every job is safe to run on several instances at once."},
	{"PROCURA_SMTP_HOST", "", "Mail server the outbox delivers through; required by `procura serve` (the mandates promise email notices). `procura dev` never sends and shows the messages at `/dev/courriels`."},
	{"PROCURA_SMTP_PORT", "587", "Port of the mail server (submission)."},
	{"PROCURA_SMTP_USERNAME", "", "User name for SMTP authentication; unset: no authentication."},
	{"PROCURA_SMTP_PASSWORD", "", "Password for SMTP authentication."},
	{"PROCURA_SMTP_FROM", "", "Sender address of every message (e.g. ne-pas-repondre@procura.example.fr); required with PROCURA_SMTP_HOST."},
	{"PROCURA_SMTP_FROM_NAME", "Procura", "Sender display name."},
	{"PROCURA_SMTP_STARTTLS", "mandatory", "mandatory (refuse to send unencrypted), opportunistic, or none (a relay on loopback only)."},
	{"PROCURA_OUTBOX_INTERVAL", "5s", "How often each instance looks for messages to send; several instances never send the same message."},
	{"PROCURA_OPERATOR_NAME", "[Nom de l'opérateur — à configurer]", "Publisher of the service (éditeur), shown on the legal pages (/mentions-legales, /donnees-personnelles, /accessibilite)."},
	{"PROCURA_OPERATOR_ADDRESS", "[Adresse postale de l'opérateur — à configurer]", "Publisher's postal address, on the legal pages."},
	{"PROCURA_OPERATOR_EMAIL", "contact@operateur.invalid", "Contact address for the service, personal data and accessibility, on the legal pages (the default is a placeholder)."},
	{"PROCURA_OPERATOR_DPO_EMAIL", "dpo@operateur.invalid", "Address of the publisher's data protection officer, on the legal pages (the default is a placeholder)."},
	{"PROCURA_OPERATOR_DIRECTOR", "[Directeur ou directrice de la publication — à configurer]", "Directeur de la publication, on the legal notice."},
	{"PROCURA_OPERATOR_HOST", "[Hébergeur : nom, adresse — à configurer]", "Hosting provider (name and address), on the legal notice."},
	{"PROCURA_FC_ISSUER", "", "Issuer of the FranceConnect-like provider usagers are identified with. `procura dev` defaults to its mounted sandbox."},
	{"PROCURA_FC_CLIENT_ID", "", "Procura's client id at that provider."},
	{"PROCURA_FC_CLIENT_SECRET", "", "Procura's client secret at that provider."},
}

// FromEnv reads the configuration through getenv (os.Getenv in production, a
// map in tests). Defaults apply to unset variables; values that do not parse
// are errors naming the variable. Call Validate before use.
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	var errs []error
	c := Config{
		DatabaseURL: get("PROCURA_DATABASE_URL"),
		BaseURL:     strings.TrimRight(get("PROCURA_BASE_URL"), "/"),
		ListenAddr:  get("PROCURA_LISTEN_ADDR"),
		LogLevel:    get("PROCURA_LOG_LEVEL"),
		MetricsAddr: get("PROCURA_METRICS_ADDR"),
		SMTP: SMTP{
			Host: get("PROCURA_SMTP_HOST"), Username: get("PROCURA_SMTP_USERNAME"), Password: get("PROCURA_SMTP_PASSWORD"),
			From: get("PROCURA_SMTP_FROM"), FromName: get("PROCURA_SMTP_FROM_NAME"), StartTLS: get("PROCURA_SMTP_STARTTLS"),
		},
		Operator: Operator{
			Name: get("PROCURA_OPERATOR_NAME"), Address: get("PROCURA_OPERATOR_ADDRESS"),
			Email: get("PROCURA_OPERATOR_EMAIL"), DPOEmail: get("PROCURA_OPERATOR_DPO_EMAIL"),
			PublicationDirector: get("PROCURA_OPERATOR_DIRECTOR"), Host: get("PROCURA_OPERATOR_HOST"),
		},
		FranceConnect: FranceConnect{
			Issuer:       strings.TrimRight(get("PROCURA_FC_ISSUER"), "/"),
			ClientID:     get("PROCURA_FC_CLIENT_ID"),
			ClientSecret: get("PROCURA_FC_CLIENT_SECRET"),
		},
	}
	if s := get("PROCURA_MASTER_KEY"); s != "" {
		k, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("PROCURA_MASTER_KEY: not base64: %w", err))
		}
		c.MasterKey = k
	}
	var err error
	if c.SessionIdleTimeout, err = time.ParseDuration(get("PROCURA_SESSION_IDLE_TIMEOUT")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_SESSION_IDLE_TIMEOUT: %w", err))
	}
	if c.SessionMaxAge, err = time.ParseDuration(get("PROCURA_SESSION_MAX_AGE")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_SESSION_MAX_AGE: %w", err))
	}
	if c.TrustProxyHeaders, err = strconv.ParseBool(get("PROCURA_TRUST_PROXY_HEADERS")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_TRUST_PROXY_HEADERS: %w", err))
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(get("PROCURA_MAX_BODY_BYTES"), 10, 64); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_MAX_BODY_BYTES: %w", err))
	}
	if c.DBMaxConns, err = strconv.Atoi(get("PROCURA_DB_MAX_CONNS")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_DB_MAX_CONNS: %w", err))
	}
	if c.DBMaxIdleTime, err = time.ParseDuration(get("PROCURA_DB_MAX_IDLE_TIME")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_DB_MAX_IDLE_TIME: %w", err))
	}
	if c.RetentionDays, err = strconv.Atoi(get("PROCURA_RETENTION_DAYS")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_RETENTION_DAYS: %w", err))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("PROCURA_SHUTDOWN_TIMEOUT")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_SHUTDOWN_TIMEOUT: %w", err))
	}
	if c.MaintenanceInterval, err = time.ParseDuration(get("PROCURA_MAINTENANCE_INTERVAL")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_MAINTENANCE_INTERVAL: %w", err))
	}
	if c.SMTP.Port, err = strconv.Atoi(get("PROCURA_SMTP_PORT")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_SMTP_PORT: %w", err))
	}
	if c.OutboxInterval, err = time.ParseDuration(get("PROCURA_OUTBOX_INTERVAL")); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_OUTBOX_INTERVAL: %w", err))
	}
	return c, errors.Join(errs...)
}

// Validate reports every setting that cannot run, each error naming its
// variable.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("PROCURA_DATABASE_URL: required"))
	} else if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		errs = append(errs, errors.New("PROCURA_DATABASE_URL: must start with sqlite:, postgres:// or postgresql://"))
	} else if strings.HasPrefix(c.DatabaseURL, "sqlite:") && !c.Dev {
		errs = append(errs, errors.New("PROCURA_DATABASE_URL: the embedded SQLite store is for `procura dev` only; use PostgreSQL"))
	}
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "":
		errs = append(errs, errors.New("PROCURA_BASE_URL: required"))
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		errs = append(errs, errors.New("PROCURA_BASE_URL: must be an absolute http(s) URL without query, fragment or credentials"))
	case c.Dev && !isLoopback(u.Hostname()):
		errs = append(errs, fmt.Errorf("PROCURA_BASE_URL: `procura dev` serves on loopback only, not %q", u.Hostname()))
	case !c.Dev && u.Scheme != "https":
		errs = append(errs, errors.New("PROCURA_BASE_URL: must be https"))
	}
	if c.ListenAddr == "" {
		errs = append(errs, errors.New("PROCURA_LISTEN_ADDR: required"))
	} else if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		errs = append(errs, fmt.Errorf("PROCURA_LISTEN_ADDR: %w", err))
	}
	if len(c.MasterKey) != 32 {
		errs = append(errs, fmt.Errorf("PROCURA_MASTER_KEY: must be 32 bytes in base64, got %d bytes", len(c.MasterKey)))
	}
	if c.SessionIdleTimeout < time.Minute {
		errs = append(errs, errors.New("PROCURA_SESSION_IDLE_TIMEOUT: at least 1m"))
	}
	if c.SessionMaxAge < c.SessionIdleTimeout {
		errs = append(errs, errors.New("PROCURA_SESSION_MAX_AGE: must not be shorter than PROCURA_SESSION_IDLE_TIMEOUT"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("PROCURA_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("PROCURA_MAX_BODY_BYTES: at least 1024"))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("PROCURA_METRICS_ADDR: %w", err))
		} else if c.MetricsAddr == c.ListenAddr {
			errs = append(errs, errors.New("PROCURA_METRICS_ADDR: must differ from PROCURA_LISTEN_ADDR"))
		}
	}
	// Zero (a Config built in code) means the default.
	if c.DBMaxConns != 0 && (c.DBMaxConns < 2 || c.DBMaxConns > 1000) {
		errs = append(errs, errors.New("PROCURA_DB_MAX_CONNS: between 2 and 1000"))
	}
	if c.DBMaxIdleTime != 0 && c.DBMaxIdleTime < time.Second {
		errs = append(errs, errors.New("PROCURA_DB_MAX_IDLE_TIME: at least 1s"))
	}
	if c.RetentionDays != 0 && (c.RetentionDays < 1826 || c.RetentionDays > 3650) {
		errs = append(errs, errors.New("PROCURA_RETENTION_DAYS: between 1826 (the five years the signed mandate text promises) and 3650"))
	}
	if c.ShutdownTimeout != 0 && (c.ShutdownTimeout < time.Second || c.ShutdownTimeout > 10*time.Minute) {
		errs = append(errs, errors.New("PROCURA_SHUTDOWN_TIMEOUT: between 1s and 10m"))
	}
	if c.MaintenanceInterval != 0 && (c.MaintenanceInterval < time.Second || c.MaintenanceInterval > 24*time.Hour) {
		errs = append(errs, errors.New("PROCURA_MAINTENANCE_INTERVAL: between 1s and 24h"))
	}
	errs = append(errs, c.SMTP.validate()...)
	if c.OutboxInterval != 0 && (c.OutboxInterval < 100*time.Millisecond || c.OutboxInterval > time.Hour) {
		errs = append(errs, errors.New("PROCURA_OUTBOX_INTERVAL: between 100ms and 1h"))
	}
	fc := c.FranceConnect
	if u, err := url.Parse(fc.Issuer); fc.Issuer == "" || err != nil || u.Host == "" || (u.Scheme != "https" && !(c.Dev && u.Scheme == "http")) {
		errs = append(errs, errors.New("PROCURA_FC_ISSUER: required, an https URL"))
	}
	if fc.ClientID == "" {
		errs = append(errs, errors.New("PROCURA_FC_CLIENT_ID: required"))
	}
	if fc.ClientSecret == "" {
		errs = append(errs, errors.New("PROCURA_FC_CLIENT_SECRET: required"))
	}
	return errors.Join(errs...)
}

// ValidateStore checks what operator commands need: a database URL (either
// engine) and the master key.
func (c Config) ValidateStore() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("PROCURA_DATABASE_URL: required"))
	}
	if len(c.MasterKey) != 32 {
		errs = append(errs, fmt.Errorf("PROCURA_MASTER_KEY: must be 32 bytes in base64, got %d bytes", len(c.MasterKey)))
	}
	return errors.Join(errs...)
}

// SecureCookies says whether cookies carry the Secure attribute: always,
// except in `procura dev` over plain http on loopback.
func (c Config) SecureCookies() bool {
	return strings.HasPrefix(c.BaseURL, "https://")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validate checks the mail settings; with no host there is nothing to check.
func (s SMTP) validate() []error {
	if s.Host == "" {
		return nil
	}
	var errs []error
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, errors.New("PROCURA_SMTP_PORT: between 1 and 65535"))
	}
	if a, err := mail.ParseAddress(s.From); err != nil || a.Address != s.From {
		errs = append(errs, errors.New("PROCURA_SMTP_FROM: required with PROCURA_SMTP_HOST, a bare email address"))
	}
	if strings.ContainsAny(s.FromName, "\r\n") {
		errs = append(errs, errors.New("PROCURA_SMTP_FROM_NAME: no line break"))
	}
	switch s.StartTLS {
	case "mandatory", "opportunistic":
	case "none":
		// Credentials and personal data in clear text leave the machine
		// only to a relay on loopback.
		if !isLoopback(s.Host) {
			errs = append(errs, errors.New("PROCURA_SMTP_STARTTLS: none is allowed only for a relay on loopback"))
		}
	default:
		errs = append(errs, fmt.Errorf("PROCURA_SMTP_STARTTLS: %q is not mandatory, opportunistic or none", s.StartTLS))
	}
	return errs
}
