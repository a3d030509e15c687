package outbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// StartTLS says whether the SMTP connection must be encrypted with
// STARTTLS (RFC 3207).
type StartTLS string

const (
	// StartTLSMandatory refuses to send over a connection that cannot be
	// upgraded: the production setting.
	StartTLSMandatory StartTLS = "mandatory"
	// StartTLSOpportunistic upgrades when the server offers it.
	StartTLSOpportunistic StartTLS = "opportunistic"
	// StartTLSNone never upgrades (a relay on loopback).
	StartTLSNone StartTLS = "none"
)

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// From is the sender's address, FromName its display name.
	From     string
	FromName string
	StartTLS StartTLS
	// Timeout bounds one connection (default 30 s).
	Timeout time.Duration
	// TLSConfig, if set, replaces the default (tests trust their own
	// certificate with it).
	TLSConfig *tls.Config
}

// SMTP sends messages with go-mail: every header goes through its typed
// setters, which encode what they are given rather than splice it.
type SMTP struct {
	cfg    SMTPConfig
	domain string
}

// NewSMTP checks cfg and returns its sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" || cfg.From == "" {
		return nil, errors.New("outbox: SMTP needs a host and a sender address")
	}
	_, domain, ok := strings.Cut(cfg.From, "@")
	if !ok || domain == "" {
		return nil, errors.New("outbox: the sender address has no domain")
	}
	switch cfg.StartTLS {
	case StartTLSMandatory, StartTLSOpportunistic, StartTLSNone:
	default:
		return nil, fmt.Errorf("outbox: STARTTLS mode %q: want mandatory, opportunistic or none", cfg.StartTLS)
	}
	return &SMTP{cfg: cfg, domain: domain}, nil
}

// Build is the MIME message of m with id, as Send hands it over.
func (s *SMTP) Build(id string, m Message) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(s.cfg.FromName, s.cfg.From); err != nil {
		return nil, &PermanentError{fmt.Errorf("sender: %w", err)}
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, &PermanentError{fmt.Errorf("recipient: %w", err)}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(m.Key, s.domain))
	msg.SetDate()
	if m.Unsubscribe != "" {
		// Validate (at Enqueue) keeps it one http(s) URL without a line
		// break, '<', '>' or ','.
		if strings.HasPrefix(m.Unsubscribe, "https://") {
			if err := msg.SetListUnsubscribeOneClick(m.Unsubscribe); err != nil {
				return nil, &PermanentError{fmt.Errorf("unsubscribe: %w", err)}
			}
		} else {
			msg.SetListUnsubscribe(m.Unsubscribe)
		}
	}
	// No tracking of any kind: a plain body and a simple HTML one.
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// Send delivers m through the configured server.
func (s *SMTP) Send(ctx context.Context, id string, m Message) error {
	msg, err := s.Build(id, m)
	if err != nil {
		return err
	}
	opts := []mail.Option{mail.WithPort(orDefault(s.cfg.Port, 587)), mail.WithTimeout(orDefault(s.cfg.Timeout, 30*time.Second))}
	switch s.cfg.StartTLS {
	case StartTLSMandatory:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case StartTLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.cfg.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(s.cfg.TLSConfig))
	}
	if s.cfg.Username != "" {
		// PLAIN only over TLS (go-mail refuses it otherwise); LOGIN and
		// CRAM-MD5 when the server offers no PLAIN.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return &PermanentError{fmt.Errorf("smtp client: %w", err)}
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return &PermanentError{err}
		}
		return err
	}
	return nil
}
