package account

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"procura/audit"
	"procura/db"
	"procura/procedure"
)

// Organisation is a structure employing aidants.
type Organisation struct {
	ID    string
	SIRET string
	Name  string
	// Procedures are the ids of the procedures its aidants may take
	// mandates for, in catalogue order.
	Procedures []string
	// Contact is how to reach it and its DPO; empty until a manager
	// gives it (UpdateOrganisationContact).
	Contact   Contact
	CreatedAt time.Time
}

type organisationRow struct {
	ID        string `gorm:"primaryKey"`
	SIRET     string `gorm:"column:siret"`
	Name      string
	CreatedAt time.Time
	// The contact (migration 0016).
	Address      string
	ContactEmail string
	DPOName      string `gorm:"column:dpo_name"`
	DPOEmail     string `gorm:"column:dpo_email"`
}

func (organisationRow) TableName() string { return "organisations" }

func (r organisationRow) contact() Contact {
	return Contact{Address: r.Address, Email: r.ContactEmail, DPOName: r.DPOName, DPOEmail: r.DPOEmail}
}

type organisationProcedureRow struct {
	OrganisationID string
	Procedure      string
}

func (organisationProcedureRow) TableName() string { return "organisation_procedures" }

// NewOrganisation is the input to CreateOrganisation.
type NewOrganisation struct {
	SIRET      string
	Name       string
	Procedures []string // ids; empty means all of the catalogue
}

// ValidSIRET reports whether s is 14 digits with a valid Luhn key. SIRETs of
// La Poste (SIREN 356000000) follow their own rule: digit sum multiple of 5.
func ValidSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	sum, digitSum := 0, 0
	for i := 0; i < 14; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		digitSum += d
		if i%2 == 0 { // every second digit from the right, the rightmost excluded
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if strings.HasPrefix(s, "356000000") {
		return digitSum%5 == 0
	}
	return sum%10 == 0
}

func normaliseProcedures(ids []string) ([]string, error) {
	if len(ids) == 0 {
		for _, p := range procedure.All() {
			ids = append(ids, p.ID)
		}
		return ids, nil
	}
	for _, id := range ids {
		if _, ok := procedure.ByID(id); !ok {
			return nil, invalid(fmt.Sprintf("Démarche inconnue : %q.", id))
		}
	}
	return procedure.InOrder(ids), nil
}

// CreateOrganisation creates an organisation, with its audit entry.
func (d *Directory) CreateOrganisation(ctx context.Context, actor Actor, in NewOrganisation) (Organisation, error) {
	siret := strings.ReplaceAll(strings.TrimSpace(in.SIRET), " ", "")
	name := strings.TrimSpace(in.Name)
	if !ValidSIRET(siret) {
		return Organisation{}, invalid("Le SIRET doit comporter 14 chiffres et une clé de contrôle valide.")
	}
	if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		return Organisation{}, invalid("Le nom de l'organisation est requis (200 caractères au plus).")
	}
	procs, err := normaliseProcedures(in.Procedures)
	if err != nil {
		return Organisation{}, err
	}
	org := Organisation{ID: uuid.NewString(), SIRET: siret, Name: name, Procedures: procs, CreatedAt: d.now().UTC()}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		conn := d.db.Conn(ctx)
		if err := conn.Create(&organisationRow{ID: org.ID, SIRET: org.SIRET, Name: org.Name, CreatedAt: org.CreatedAt}).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return ErrSIRETTaken
			}
			return fmt.Errorf("account: create organisation: %w", err)
		}
		for _, p := range procs {
			if err := conn.Create(&organisationProcedureRow{OrganisationID: org.ID, Procedure: p}).Error; err != nil {
				return fmt.Errorf("account: organisation procedure: %w", err)
			}
		}
		return d.journal.Record(ctx, audit.Entry{
			Action: audit.ActionOrganisationCreated, ActorKind: actor.Kind, ActorID: actor.ID, OrganisationID: org.ID,
			Details: map[string]string{"procedures": strings.Join(procs, ",")},
		})
	})
	if err != nil {
		return Organisation{}, err
	}
	return org, nil
}

// Organisation returns the organisation with this id.
func (d *Directory) Organisation(ctx context.Context, id string) (Organisation, error) {
	if !db.IsUUID(id) {
		return Organisation{}, ErrOrgNotFound
	}
	var r organisationRow
	if err := d.db.Conn(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return Organisation{}, ErrOrgNotFound
		}
		return Organisation{}, fmt.Errorf("account: organisation: %w", err)
	}
	return d.organisationFromRow(ctx, r)
}

// OrganisationBySIRET returns the organisation with this SIRET.
func (d *Directory) OrganisationBySIRET(ctx context.Context, siret string) (Organisation, error) {
	var r organisationRow
	if err := d.db.Conn(ctx).Where("siret = ?", siret).Take(&r).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return Organisation{}, ErrOrgNotFound
		}
		return Organisation{}, fmt.Errorf("account: organisation: %w", err)
	}
	return d.organisationFromRow(ctx, r)
}

func (d *Directory) organisationFromRow(ctx context.Context, r organisationRow) (Organisation, error) {
	var ids []string
	if err := d.db.Conn(ctx).Model(&organisationProcedureRow{}).Where("organisation_id = ?", r.ID).Pluck("procedure", &ids).Error; err != nil {
		return Organisation{}, fmt.Errorf("account: organisation procedures: %w", err)
	}
	procs, _ := normaliseProcedures(ids)
	if len(ids) == 0 {
		procs = nil
	}
	return Organisation{ID: r.ID, SIRET: strings.TrimSpace(r.SIRET), Name: r.Name, Procedures: procs, Contact: r.contact(), CreatedAt: r.CreatedAt}, nil
}
