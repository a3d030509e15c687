package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"procura/audit"
	"procura/db"
	"procura/outbox"
	"procura/problem"
)

// InvitationTTL is how long an invitation link may be used.
const InvitationTTL = 72 * time.Hour

// Why an invitation link does not open.
var (
	ErrInvitationInvalid = problem.New(problem.NotFound,
		"Ce lien d'invitation n'est pas valide : il a peut-être été annulé ou remplacé par un nouveau lien. Demandez un nouveau lien à votre responsable de structure.")
	ErrInvitationExpired = problem.New(problem.Conflict,
		"Ce lien d'invitation a expiré (il est valable 72 heures). Demandez à votre responsable de structure de vous en envoyer un nouveau.")
	ErrInvitationUsed = problem.New(problem.Conflict,
		"Ce lien d'invitation a déjà été utilisé. Connectez-vous avec votre adresse électronique et votre mot de passe.")
	ErrPasswordMismatch = invalid("Les deux mots de passe ne sont pas identiques.")
)

type invitationRow struct {
	ID             string `gorm:"primaryKey"`
	OrganisationID string
	AccountID      string
	TokenHash      []byte
	InvitedBy      string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	AcceptedAt     *time.Time
	CancelledAt    *time.Time
}

func (invitationRow) TableName() string { return "invitations" }

// Invitation is an invitation to join an organisation, as its managers
// see it.
type Invitation struct {
	ID             string
	OrganisationID string
	Account        Account
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Expired reports whether the link can no longer be used at now.
func (i Invitation) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

// Issued is an invitation with its link's token, shown once to the
// manager who hands it over; only its hash is stored.
type Issued struct {
	Invitation
	Token string
}

// NewInvitation is the input to Invite.
type NewInvitation struct {
	Email      string
	GivenName  string
	FamilyName string
	Roles      []Role
}

func newInvitationToken() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashInvitationToken(tok)
}

func hashInvitationToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// Invite creates a pending account (no password, no TOTP) member of m's
// organisation in the given roles, and its invitation, valid
// InvitationTTL; all recorded in one transaction.
func (d *Directory) Invite(ctx context.Context, m Manager, in NewInvitation) (Issued, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return Issued{}, err
	}
	email, err := NormaliseEmail(in.Email)
	if err != nil {
		return Issued{}, err
	}
	given, err := checkName("prénom", in.GivenName)
	if err != nil {
		return Issued{}, err
	}
	family, err := checkName("nom", in.FamilyName)
	if err != nil {
		return Issued{}, err
	}
	if err := checkRoles(in.Roles); err != nil {
		return Issued{}, err
	}
	now := d.now().UTC()
	acc := accountRow{ID: uuid.NewString(), Email: email, GivenName: given, FamilyName: family, Active: true, CreatedAt: now, UpdatedAt: now}
	tok, hash := newInvitationToken()
	inv := invitationRow{ID: uuid.NewString(), OrganisationID: m.OrganisationID, AccountID: acc.ID, TokenHash: hash,
		InvitedBy: m.AccountID, CreatedAt: now, ExpiresAt: now.Add(InvitationTTL)}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		if err := d.db.Conn(ctx).Create(&acc).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return conflict("Un compte existe déjà avec cette adresse électronique : ajoutez-le à votre organisation avec « Ajouter un compte existant ».")
			}
			return fmt.Errorf("account: create invited: %w", err)
		}
		if err := d.record(ctx, m.actor(), audit.ActionAccountCreated, acc.ID, m.OrganisationID, map[string]string{"by": "invitation"}); err != nil {
			return err
		}
		for _, role := range in.Roles {
			if err := d.addMembership(ctx, m.actor(), acc.ID, m.OrganisationID, role); err != nil {
				return err
			}
		}
		if err := d.db.Conn(ctx).Create(&inv).Error; err != nil {
			return fmt.Errorf("account: create invitation: %w", err)
		}
		if err := d.mailInvitation(ctx, m, inv, acc.account(), tok); err != nil {
			return err
		}
		return d.record(ctx, m.actor(), audit.ActionInvitationCreated, acc.ID, m.OrganisationID, map[string]string{"invitation": inv.ID})
	})
	if err != nil {
		return Issued{}, err
	}
	return Issued{Invitation: invitationOf(inv, acc.account()), Token: tok}, nil
}

// mailInvitation writes the invitation's link to the invited person, in
// the invitation's transaction, when d has a mailer (WithMailer): the
// manager's page still shows the link, to hand over if the message does
// not arrive. The message key names the link (a new link, a new message).
func (d *Directory) mailInvitation(ctx context.Context, m Manager, inv invitationRow, a Account, tok string) error {
	if d.mailer == nil {
		return nil
	}
	org, err := d.Organisation(ctx, m.OrganisationID)
	if err != nil {
		return err
	}
	inviter := "Le responsable de votre structure"
	if by, err := d.Account(ctx, m.AccountID); err == nil {
		inviter = oneLineName(by.GivenName + " " + by.FamilyName)
	}
	name := oneLineName(a.GivenName + " " + a.FamilyName)
	orgName := oneLineName(org.Name)
	link := d.baseURL + InvitationPath + tok
	_, err = d.mailer.Enqueue(ctx, outbox.Message{Key: "invitation:" + inv.ID + ":" + hex.EncodeToString(inv.TokenHash[:8]),
		Kind: "invitation", To: a.Email, ToName: name, Subject: "Procura : " + orgName + " vous invite à rejoindre son équipe",
		Text: "Bonjour " + name + ",\n\n" +
			inviter + " vous invite à rejoindre l'équipe de " + orgName + " dans Procura, le service qui permet aux aidants habilités d'accomplir des démarches en ligne pour le compte des personnes qui le leur demandent.\n\n" +
			"Pour créer votre mot de passe et enregistrer votre application d'authentification (ou votre carte TOTP), ouvrez ce lien ; il est valable 72 heures et ne sert qu'une fois :\n" + link + "\n\n" +
			"Vous recevez ce courriel parce qu'un responsable de " + orgName + " a saisi votre adresse pour vous inviter. Si vous ne vous attendiez pas à cette invitation, ignorez ce courriel : sans ce lien, aucun compte n'est utilisable.\n\n" +
			"Ce courriel est envoyé automatiquement : merci de ne pas y répondre.\n"})
	return err
}

// InvitationPath is where an invitation's link leads, followed by its token
// (web.PathInvitation).
const InvitationPath = "/invitation/"

// oneLineName keeps a name on one line, for a header or a sentence.
func oneLineName(s string) string { return strings.Join(strings.Fields(s), " ") }

func invitationOf(r invitationRow, a Account) Invitation {
	return Invitation{ID: r.ID, OrganisationID: r.OrganisationID, Account: a, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
}

// Invitations lists the open invitations (neither accepted nor cancelled,
// expired or not) of m's organisation, newest first.
func (d *Directory) Invitations(ctx context.Context, m Manager) ([]Invitation, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return nil, err
	}
	var rows []invitationRow
	if err := d.db.Conn(ctx).Where("organisation_id = ? AND accepted_at IS NULL AND cancelled_at IS NULL", m.OrganisationID).
		Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("account: invitations: %w", err)
	}
	out := make([]Invitation, 0, len(rows))
	for _, r := range rows {
		a, err := d.Account(ctx, r.AccountID)
		if err != nil {
			return nil, err
		}
		out = append(out, invitationOf(r, a))
	}
	return out, nil
}

// openInvitation returns an open invitation of m's organisation; another
// organisation's is not found, and the attempt recorded.
func (d *Directory) openInvitation(ctx context.Context, m Manager, id string) (invitationRow, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return invitationRow{}, err
	}
	if !db.IsUUID(id) {
		return invitationRow{}, ErrInvitationInvalid
	}
	var r invitationRow
	if err := d.db.Conn(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return invitationRow{}, ErrInvitationInvalid
		}
		return invitationRow{}, fmt.Errorf("account: invitation: %w", err)
	}
	if r.OrganisationID != m.OrganisationID {
		if err := d.RecordCrossOrganisation(ctx, m, "invitation", id); err != nil {
			return invitationRow{}, err
		}
		return invitationRow{}, ErrInvitationInvalid
	}
	if r.AcceptedAt != nil || r.CancelledAt != nil {
		return invitationRow{}, conflict("Cette invitation a déjà été acceptée ou annulée.")
	}
	return r, nil
}

// ResendInvitation gives an open invitation a new link, valid
// InvitationTTL from now; the former link stops working.
func (d *Directory) ResendInvitation(ctx context.Context, m Manager, id string) (Issued, error) {
	r, err := d.openInvitation(ctx, m, id)
	if err != nil {
		return Issued{}, err
	}
	tok, hash := newInvitationToken()
	now := d.now().UTC()
	r.TokenHash, r.ExpiresAt = hash, now.Add(InvitationTTL)
	a, err := d.Account(ctx, r.AccountID)
	if err != nil {
		return Issued{}, err
	}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		res := d.db.Conn(ctx).Model(&invitationRow{}).Where("id = ? AND accepted_at IS NULL AND cancelled_at IS NULL", id).
			Updates(map[string]any{"token_hash": hash, "expires_at": r.ExpiresAt})
		if res.Error != nil {
			return fmt.Errorf("account: resend invitation: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return conflict("Cette invitation a déjà été acceptée ou annulée.")
		}
		if err := d.mailInvitation(ctx, m, r, a, tok); err != nil {
			return err
		}
		return d.record(ctx, m.actor(), audit.ActionInvitationRenewed, r.AccountID, m.OrganisationID, map[string]string{"invitation": id})
	})
	if err != nil {
		return Issued{}, err
	}
	return Issued{Invitation: invitationOf(r, a), Token: tok}, nil
}

// CancelInvitation cancels an open invitation: its link stops working and
// the pending account leaves the organisation (and is deleted when it
// belongs to no other).
func (d *Directory) CancelInvitation(ctx context.Context, m Manager, id string) error {
	r, err := d.openInvitation(ctx, m, id)
	if err != nil {
		return err
	}
	return d.db.InTx(ctx, func(ctx context.Context) error {
		conn := d.db.Conn(ctx)
		res := conn.Model(&invitationRow{}).Where("id = ? AND accepted_at IS NULL AND cancelled_at IS NULL", id).
			Update("cancelled_at", d.now().UTC())
		if res.Error != nil {
			return fmt.Errorf("account: cancel invitation: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return conflict("Cette invitation a déjà été acceptée ou annulée.")
		}
		if err := conn.Where("account_id = ? AND organisation_id = ?", r.AccountID, m.OrganisationID).Delete(&membershipRow{}).Error; err != nil {
			return fmt.Errorf("account: cancel invitation: %w", err)
		}
		if err := conn.Where("id = ? AND password_hash = '' AND NOT EXISTS (SELECT 1 FROM memberships WHERE account_id = ?)", r.AccountID, r.AccountID).
			Delete(&accountRow{}).Error; err != nil {
			return fmt.Errorf("account: delete invited account: %w", err)
		}
		return d.record(ctx, m.actor(), audit.ActionInvitationCancelled, r.AccountID, m.OrganisationID, map[string]string{"invitation": id})
	})
}

// Invitee is what the invitation page shows the invited person.
type Invitee struct {
	Account      Account
	Organisation Organisation
}

// OpenInvitationLink returns whom an invitation link is for, or says
// clearly why it does not open: ErrInvitationInvalid (unknown, cancelled,
// replaced), ErrInvitationExpired, ErrInvitationUsed.
func (d *Directory) OpenInvitationLink(ctx context.Context, token string) (Invitee, error) {
	r, err := d.invitationByToken(ctx, token)
	if err != nil {
		return Invitee{}, err
	}
	a, err := d.Account(ctx, r.AccountID)
	if err != nil {
		return Invitee{}, err
	}
	o, err := d.Organisation(ctx, r.OrganisationID)
	if err != nil {
		return Invitee{}, err
	}
	return Invitee{Account: a, Organisation: o}, nil
}

func (d *Directory) invitationByToken(ctx context.Context, token string) (invitationRow, error) {
	if len(token) < 20 || len(token) > 100 {
		return invitationRow{}, ErrInvitationInvalid
	}
	var r invitationRow
	if err := d.db.Conn(ctx).Where("token_hash = ?", hashInvitationToken(token)).Take(&r).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return invitationRow{}, ErrInvitationInvalid
		}
		return invitationRow{}, fmt.Errorf("account: invitation: %w", err)
	}
	switch {
	case r.CancelledAt != nil:
		return invitationRow{}, ErrInvitationInvalid
	case r.AcceptedAt != nil:
		return invitationRow{}, ErrInvitationUsed
	case !d.now().Before(r.ExpiresAt):
		return invitationRow{}, ErrInvitationExpired
	}
	return r, nil
}

// AcceptInvitation sets the invited account's password (the rules of
// checkPassword) and uses the link up, in one transaction. The person then
// enrols a second factor as at a first sign-in (the caller offers
// enrolment; the account has no TOTP yet).
func (d *Directory) AcceptInvitation(ctx context.Context, token, password, confirm string) (Account, error) {
	r, err := d.invitationByToken(ctx, token)
	if err != nil {
		return Account{}, err
	}
	_, hash, ms, err := d.newPassword(ctx, r.AccountID, password, confirm)
	if err != nil {
		return Account{}, err
	}
	now := d.now().UTC()
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		conn := d.db.Conn(ctx)
		res := conn.Model(&invitationRow{}).Where("id = ? AND accepted_at IS NULL AND cancelled_at IS NULL", r.ID).Update("accepted_at", now)
		if res.Error != nil {
			return fmt.Errorf("account: accept invitation: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrInvitationUsed
		}
		if err := conn.Model(&accountRow{}).Where("id = ? AND password_hash = ''", r.AccountID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("account: set password: %w", err)
		}
		actor := Actor{Kind: actorKind(ms, r.OrganisationID), ID: r.AccountID}
		return d.record(ctx, actor, audit.ActionInvitationAccepted, r.AccountID, r.OrganisationID, map[string]string{"invitation": r.ID})
	})
	if err != nil {
		return Account{}, err
	}
	return d.Account(ctx, r.AccountID)
}
