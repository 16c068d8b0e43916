package app

import (
	"context"
	"fmt"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/page"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
)

// demoComponents adds a published "How to take part" page to every demo
// process, opens comments on it in every phase but the last, and gives the
// demo moderator and evaluator their roles in the main (first) process. It
// runs after the processes' loader; with no process it does nothing, and on
// an already loaded database it adds nothing.
func (a *App) demoComponents(ctx context.Context, users map[string]identity.User) error {
	procs, err := authz.ListProcesses(ctx, a.DB.R())
	if err != nil {
		return err
	}
	if len(procs) == 0 {
		return nil
	}
	if admin, ok := users["administrator"]; ok {
		// The demo's changes appear in the audit log as the office's.
		ctx = kernel.WithActor(ctx, kernel.Actor{UserID: admin.ID, RequestID: "demo"})
	}
	svc := a.Services.Components
	for _, ps := range procs {
		existing, err := svc.List(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: ps.ID})
		if err != nil {
			return err
		}
		hasPage := false
		for _, c := range existing {
			hasPage = hasPage || c.Type == page.Type
		}
		if hasPage {
			continue
		}
		if err := a.demoHowToPage(ctx, ps.ID); err != nil {
			return fmt.Errorf("demo page in process %s: %w", ps.Slug, err)
		}
	}
	// The main process is the demo's participatory budget, else the first created
	// (ListProcesses is newest first).
	main := authz.SpaceRef{Type: authz.SpaceProcess, ID: procs[len(procs)-1].ID}
	for _, ps := range procs {
		if ps.Slug == demoMainProcess {
			main.ID = ps.ID
		}
	}
	for key, role := range map[string]string{"moderator": authz.RoleModerator, "evaluator": authz.RoleEvaluator} {
		u, ok := users[key]
		if !ok {
			continue
		}
		held, err := a.Services.Roles.HasRole(ctx, u.ID, main.Type, main.ID, role)
		if err != nil {
			return err
		}
		if held {
			continue
		}
		if _, err := a.Services.Roles.Assign(ctx, main, u.Nickname, role); err != nil {
			return fmt.Errorf("demo role %s: %w", role, err)
		}
	}
	return nil
}

// demoMainProcess is the slug of the process the demo staff work in.
const demoMainProcess = "bilancio-partecipativo-2026"

func (a *App) demoHowToPage(ctx context.Context, processID int64) error {
	svc := a.Services.Components
	space := authz.SpaceRef{Type: authz.SpaceProcess, ID: processID}
	c, err := svc.Create(ctx, space, page.Type, kernel.Text{kernel.LocaleIT: "Come partecipare", kernel.LocaleEN: "How to take part"})
	if err != nil {
		return err
	}
	if err := a.Services.Pages.Save(ctx, c, kernel.Text{kernel.LocaleIT: demoHowToIT, kernel.LocaleEN: demoHowToEN}); err != nil {
		return err
	}
	p, err := authz.LoadProcess(ctx, a.DB.R(), processID)
	if err != nil {
		return err
	}
	open := component.PhaseActions{}
	for i, ph := range p.Phases {
		// The last phase is usually the report of results: nothing to discuss there.
		if i < len(p.Phases)-1 || len(p.Phases) == 1 {
			open[ph.ID] = []string{component.ActionComment}
		}
	}
	if err := svc.SetPhaseActions(ctx, c.ID, open); err != nil {
		return err
	}
	return svc.SetPublished(ctx, c.ID, true)
}

const demoHowToIT = `*Contenuto dimostrativo: le informazioni di questa pagina sono di esempio.*

# Chi può partecipare

Possono partecipare le persone dai 16 anni in su che risiedono nel Comune, e chi ci lavora o ci studia (i «city user»). Le regole precise sono scritte nel **Patto di partecipazione** del processo: leggilo prima di iniziare.

# Come si partecipa

1. **Registrati** con la tua email e scegli un nome utente: è l'unico dato che gli altri vedranno.
2. **Conferma l'email** cliccando il collegamento che ti inviamo.
3. **Segui le fasi** del processo: ogni fase apre azioni diverse (informarsi, proporre, commentare, votare). La fase in corso è evidenziata nella pagina del processo.
4. **Partecipa con rispetto**: niente insulti, dati personali di altri o pubblicità. I moderatori possono nascondere i contenuti che violano le regole.

# Cosa succede dopo

L'amministrazione risponde pubblicamente ai contributi, con una **risposta ufficiale motivata** (accolta, parzialmente accolta, respinta, non pertinente). Tutte le risposte restano consultabili anche a processo concluso.

# Serve aiuto?

Scrivi all'Ufficio Partecipazione oppure passa allo sportello del tuo Municipio: possiamo aiutarti a registrarti e a partecipare.
`

const demoHowToEN = `*Demo content: the information on this page is an example.*

# Who can take part

Anyone aged 16 or over who lives in the city can take part, as well as people who work or study here ("city users"). The exact rules are in the process's **Participation Pact**: read it before you start.

# How to take part

1. **Register** with your email address and choose a nickname: it is the only thing other people will see.
2. **Confirm your email** by clicking the link we send you.
3. **Follow the phases** of the process: each phase opens different actions (learning, proposing, commenting, voting). The current phase is highlighted on the process page.
4. **Take part respectfully**: no insults, no other people's personal data, no advertising. Moderators may hide content that breaks the rules.

# What happens next

The administration answers contributions publicly with a **reasoned official reply** (accepted, partly accepted, rejected, not relevant). Every reply stays available after the process ends.

# Need help?

Write to the Participation Office or visit your district's help desk: we can help you register and take part.
`
