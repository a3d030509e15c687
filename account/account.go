package account

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"procura/audit"
	"procura/db"
)

// Role is what an account does in an organisation.
type Role string

const (
	RoleAidant  Role = "aidant"
	RoleManager Role = "manager"
)

// Account is a person who signs in: an aidant, a manager, or both.
type Account struct {
	ID         string
	Email      string
	GivenName  string
	FamilyName string
	Active     bool
	HasTOTP    bool
	// HabilitatedUntil is the end of the aidant's habilitation; nil when the
	// account was never habilitated.
	HabilitatedUntil *time.Time
	// TrainedOn is when the aidant was trained, as the manager recorded it.
	TrainedOn *time.Time
	// Pending is an invited account whose invitation is not accepted yet:
	// it has no password and cannot sign in.
	Pending   bool
	CreatedAt time.Time
}

// Name is how the account is shown.
func (a Account) Name() string { return a.GivenName + " " + a.FamilyName }

// Habilitated reports whether the aidant may sign and use mandates at now.
func (a Account) Habilitated(now time.Time) bool {
	return a.Active && a.HabilitatedUntil != nil && now.Before(*a.HabilitatedUntil)
}

type accountRow struct {
	ID               string `gorm:"primaryKey"`
	Email            string
	GivenName        string
	FamilyName       string
	PasswordHash     string
	TOTPSecret       []byte `gorm:"column:totp_secret"`
	TOTPLastStep     int64  `gorm:"column:totp_last_step"`
	Active           bool
	HabilitatedUntil *time.Time
	TrainedOn        *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (accountRow) TableName() string { return "accounts" }

func (r accountRow) account() Account {
	return Account{ID: r.ID, Email: r.Email, GivenName: r.GivenName, FamilyName: r.FamilyName, Active: r.Active,
		HasTOTP: len(r.TOTPSecret) > 0, HabilitatedUntil: r.HabilitatedUntil, TrainedOn: r.TrainedOn,
		Pending: r.PasswordHash == "", CreatedAt: r.CreatedAt}
}

type membershipRow struct {
	AccountID      string
	OrganisationID string
	Role           string
	CreatedAt      time.Time
}

func (membershipRow) TableName() string { return "memberships" }

// NewAccount is the input to CreateAccount.
type NewAccount struct {
	Email          string
	GivenName      string
	FamilyName     string
	Password       string
	OrganisationID string
	Roles          []Role
	// HabilitatedUntil records an aidant's habilitation; nil for none.
	HabilitatedUntil *time.Time
	// EnrolTOTP generates the TOTP seed now (CLI, dev); otherwise the person
	// enrols an authenticator at first sign-in.
	EnrolTOTP bool
	// TOTPSeed, with EnrolTOTP, is a base32 seed to use instead of a fresh
	// one: the seed printed on a physical TOTP card, or the fixed seed of the
	// `procura dev` demo accounts.
	TOTPSeed string
}

// Created is what CreateAccount returns: the account and, when a seed was
// generated, its secret and otpauth URI, to be shown once.
type Created struct {
	Account    Account
	TOTPSecret string
	TOTPURI    string
}

// NormaliseEmail trims and lowercases an email address and checks its form.
func NormaliseEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.IndexByte(s, '@'):], ".") {
		return "", invalid("L'adresse électronique n'est pas valide.")
	}
	return s, nil
}

func checkName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > 100 || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", invalid(fmt.Sprintf("Le %s est requis (100 caractères au plus).", field))
	}
	return s, nil
}

func checkRoles(roles []Role) error {
	if len(roles) == 0 {
		return invalid("Choisissez au moins un rôle : aidant ou responsable.")
	}
	for _, r := range roles {
		if r != RoleAidant && r != RoleManager {
			return invalid(fmt.Sprintf("Rôle inconnu : %q.", r))
		}
	}
	return nil
}

// CreateAccount creates an account member of one organisation, with its
// audit entries.
func (d *Directory) CreateAccount(ctx context.Context, actor Actor, in NewAccount) (Created, error) {
	email, err := NormaliseEmail(in.Email)
	if err != nil {
		return Created{}, err
	}
	given, err := checkName("prénom", in.GivenName)
	if err != nil {
		return Created{}, err
	}
	family, err := checkName("nom", in.FamilyName)
	if err != nil {
		return Created{}, err
	}
	if err := checkPassword(in.Password, in.Email, in.GivenName, in.FamilyName); err != nil {
		return Created{}, err
	}
	if err := checkRoles(in.Roles); err != nil {
		return Created{}, err
	}
	now := d.now().UTC()
	var hash string
	if err := d.argon2(ctx, func() { hash = hashPassword(in.Password) }); err != nil {
		return Created{}, err
	}
	row := accountRow{ID: uuid.NewString(), Email: email, GivenName: given, FamilyName: family,
		PasswordHash: hash, Active: true, HabilitatedUntil: in.HabilitatedUntil, CreatedAt: now, UpdatedAt: now}
	var out Created
	if in.EnrolTOTP {
		key, err := NewTOTPKey(email, in.TOTPSeed)
		if err != nil {
			return Created{}, err
		}
		row.TOTPSecret = d.totpSeal.Seal([]byte(key.Secret()), []byte(row.ID))
		out.TOTPSecret, out.TOTPURI = key.Secret(), key.URL()
	}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.Organisation(ctx, in.OrganisationID); err != nil {
			return err
		}
		if err := d.db.Conn(ctx).Create(&row).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return ErrEmailTaken
			}
			return fmt.Errorf("account: create: %w", err)
		}
		if err := d.record(ctx, actor, audit.ActionAccountCreated, row.ID, in.OrganisationID, nil); err != nil {
			return err
		}
		for _, role := range in.Roles {
			if err := d.addMembership(ctx, actor, row.ID, in.OrganisationID, role); err != nil {
				return err
			}
		}
		if in.EnrolTOTP {
			return d.record(ctx, actor, audit.ActionTOTPEnrolled, row.ID, in.OrganisationID, map[string]string{"device": "app"})
		}
		return nil
	})
	if err != nil {
		return Created{}, err
	}
	out.Account = row.account()
	return out, nil
}

// AddMembership makes an existing account a member of an organisation in a
// role.
func (d *Directory) AddMembership(ctx context.Context, actor Actor, accountID, organisationID string, role Role) error {
	if err := checkRoles([]Role{role}); err != nil {
		return err
	}
	return d.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.Account(ctx, accountID); err != nil {
			return err
		}
		if _, err := d.Organisation(ctx, organisationID); err != nil {
			return err
		}
		return d.addMembership(ctx, actor, accountID, organisationID, role)
	})
}

func (d *Directory) addMembership(ctx context.Context, actor Actor, accountID, organisationID string, role Role) error {
	err := d.db.Conn(ctx).Create(&membershipRow{AccountID: accountID, OrganisationID: organisationID, Role: string(role), CreatedAt: d.now().UTC()}).Error
	if db.IsUniqueViolation(err) {
		return conflict("Ce compte a déjà ce rôle dans cette organisation.")
	}
	if err != nil {
		return fmt.Errorf("account: membership: %w", err)
	}
	return d.record(ctx, actor, audit.ActionMembershipAdded, accountID, organisationID, map[string]string{"role": string(role)})
}

// Account returns the account with this id.
func (d *Directory) Account(ctx context.Context, id string) (Account, error) {
	r, err := d.accountRow(ctx, "id = ?", id)
	return r.account(), err
}

// AccountByEmail returns the account with this email.
func (d *Directory) AccountByEmail(ctx context.Context, email string) (Account, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return Account{}, ErrAccountNotFound
	}
	r, err := d.accountRow(ctx, "email = ?", email)
	return r.account(), err
}

func (d *Directory) accountRow(ctx context.Context, where string, arg string) (accountRow, error) {
	if where == "id = ?" {
		if !db.IsUUID(arg) {
			return accountRow{}, ErrAccountNotFound
		}
	}
	var r accountRow
	if err := d.db.Conn(ctx).Where(where, arg).Take(&r).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return accountRow{}, ErrAccountNotFound
		}
		return accountRow{}, fmt.Errorf("account: load: %w", err)
	}
	return r, nil
}

// Membership is an account's roles in one organisation.
type Membership struct {
	Organisation Organisation
	Roles        []Role
}

// Has reports whether the membership includes role.
func (m Membership) Has(role Role) bool { return slices.Contains(m.Roles, role) }

// Memberships lists the organisations of an account, by organisation name.
// Two queries whatever the number of organisations: it runs on every page
// an aidant opens.
func (d *Directory) Memberships(ctx context.Context, accountID string) ([]Membership, error) {
	var rows []struct {
		OrganisationID string
		Role           string
		SIRET          string `gorm:"column:siret"`
		Name           string
		CreatedAt      time.Time
	}
	err := d.db.Conn(ctx).Table("memberships m").
		Select("m.organisation_id, m.role, o.siret, o.name, o.created_at").
		Joins("JOIN organisations o ON o.id = m.organisation_id").
		Where("m.account_id = ?", accountID).Order("o.name, m.organisation_id, m.role").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("account: memberships: %w", err)
	}
	var out []Membership
	var ids []string
	for _, r := range rows {
		if n := len(out); n > 0 && out[n-1].Organisation.ID == r.OrganisationID {
			out[n-1].Roles = append(out[n-1].Roles, Role(r.Role))
			continue
		}
		ids = append(ids, r.OrganisationID)
		out = append(out, Membership{Organisation: Organisation{ID: r.OrganisationID, SIRET: strings.TrimSpace(r.SIRET), Name: r.Name,
			CreatedAt: r.CreatedAt}, Roles: []Role{Role(r.Role)}})
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var procs []organisationProcedureRow
	if err := d.db.Conn(ctx).Where("organisation_id IN ?", ids).Find(&procs).Error; err != nil {
		return nil, fmt.Errorf("account: organisation procedures: %w", err)
	}
	for i := range out {
		var allowed []string
		for _, p := range procs {
			if p.OrganisationID == out[i].Organisation.ID {
				allowed = append(allowed, p.Procedure)
			}
		}
		if len(allowed) > 0 {
			out[i].Organisation.Procedures, _ = normaliseProcedures(allowed)
		}
	}
	return out, nil
}

// SwitchOrganisation makes the account work for another of its
// organisations in s, and records it, in one transaction; it refuses an
// organisation the account is not a member of (and audits the attempt).
func (d *Directory) SwitchOrganisation(ctx context.Context, accountID, fromOrg, toOrg string, s Session) (Membership, error) {
	ms, err := d.Memberships(ctx, accountID)
	if err != nil {
		return Membership{}, err
	}
	i := slices.IndexFunc(ms, func(m Membership) bool { return m.Organisation.ID == toOrg })
	actor := Actor{Kind: actorKind(ms, fromOrg), ID: accountID}
	if i < 0 {
		err := d.db.InTx(ctx, func(ctx context.Context) error {
			return d.record(ctx, actor, audit.ActionCrossOrganisationRefused, accountID, fromOrg,
				map[string]string{"attempt": "organisation_switch"})
		})
		if err != nil {
			return Membership{}, err
		}
		return Membership{}, ErrNotMember
	}
	actor.Kind = actorKind(ms, toOrg)
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		if err := d.record(ctx, actor, audit.ActionOrganisationSwitch, accountID, toOrg, map[string]string{"from": fromOrg}); err != nil {
			return err
		}
		return s.SwitchOrganisation(ctx, toOrg)
	})
	if err != nil {
		return Membership{}, err
	}
	return ms[i], nil
}

// Deactivate stops an account: it can no longer sign in, and its sessions
// end at once (through Sessions, in the same transaction).
func (d *Directory) Deactivate(ctx context.Context, actor Actor, accountID string) error {
	return d.setActive(ctx, actor, accountID, "", false)
}

// Reactivate lets a deactivated account sign in again.
func (d *Directory) Reactivate(ctx context.Context, actor Actor, accountID string) error {
	return d.setActive(ctx, actor, accountID, "", true)
}

// setActive records the act for organisationID ("" for the operator's).
func (d *Directory) setActive(ctx context.Context, actor Actor, accountID, organisationID string, active bool) error {
	return d.db.InTx(ctx, func(ctx context.Context) error {
		a, err := d.Account(ctx, accountID)
		if err != nil {
			return err
		}
		if a.Active == active {
			return conflict(map[bool]string{true: "Ce compte est déjà actif.", false: "Ce compte est déjà désactivé."}[active])
		}
		conn := d.db.Conn(ctx)
		if err := conn.Model(&accountRow{}).Where("id = ?", accountID).
			Updates(map[string]any{"active": active, "updated_at": d.now().UTC()}).Error; err != nil {
			return fmt.Errorf("account: set active: %w", err)
		}
		action := audit.ActionAccountReactivated
		details := map[string]string{}
		if !active {
			action = audit.ActionAccountDeactivated
			ended, err := d.sessions.EndAccountSessions(ctx, accountID)
			if err != nil {
				return fmt.Errorf("account: end sessions: %w", err)
			}
			details["sessions_ended"] = fmt.Sprint(ended)
			if d.tokens != nil {
				revoked, err := d.tokens.RevokeByAidant(ctx, accountID)
				if err != nil {
					return fmt.Errorf("account: revoke tokens: %w", err)
				}
				details["tokens_revoked"] = fmt.Sprint(revoked)
			}
		}
		return d.record(ctx, actor, action, accountID, organisationID, details)
	})
}

// record writes an entry about an account; the account is the subject, named
// in details, while the actor did it.
func (d *Directory) record(ctx context.Context, actor Actor, action audit.Action, accountID, orgID string, details map[string]string) error {
	if accountID != "" && accountID != actor.ID {
		if details == nil {
			details = map[string]string{}
		}
		details["account"] = accountID
	}
	return d.journal.Record(ctx, audit.Entry{Action: action, ActorKind: actor.Kind, ActorID: actor.ID, OrganisationID: orgID, Details: details})
}
