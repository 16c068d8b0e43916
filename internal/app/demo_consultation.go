package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/comments"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/consultation"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
)

// demoConsultationProcess is the demo process that consults on the Air and
// Climate Plan.
const demoConsultationProcess = "piano-aria-clima-consultazione"

// demoConsultationLoader returns the loader of the demo consultation,
// modelled on Milan's Air and Climate Plan: the plan's text, observations
// from a dozen participants with supports, comments and reports, and a
// first set of published replies with the rest still awaiting one. It runs
// after the processes' and components' loaders; a process that already has
// a consultation gets nothing more.
func (a *App) demoConsultationLoader(cons *consultation.Module) func(ctx context.Context, users map[string]identity.User) error {
	return func(ctx context.Context, users map[string]identity.User) error {
		procs, err := authz.ListProcesses(ctx, a.DB.R())
		if err != nil || len(procs) == 0 {
			return err
		}
		target := procs[len(procs)-1].ID
		for _, p := range procs {
			if p.Slug == demoConsultationProcess {
				target = p.ID
			}
		}
		space := authz.SpaceRef{Type: authz.SpaceProcess, ID: target}
		existing, err := a.Services.Components.List(ctx, space)
		if err != nil {
			return err
		}
		for _, c := range existing {
			if c.Type == consultation.Type {
				return nil
			}
		}
		if admin, ok := users["administrator"]; ok {
			ctx = kernel.WithActor(ctx, kernel.Actor{UserID: admin.ID, RequestID: "demo"})
		}
		if err := a.demoConsultation(ctx, cons, space, users); err != nil {
			return fmt.Errorf("demo consultation: %w", err)
		}
		return nil
	}
}

type demoObservation struct {
	art, comma int // 1-based positions in the document
	author     string
	kind       string
	body       string
	proposed   string
}

type demoReply struct {
	outcome, office, body string
}

func (a *App) demoConsultation(ctx context.Context, cons *consultation.Module, space authz.SpaceRef, users map[string]identity.User) error {
	comps := a.Services.Components
	c, err := comps.Create(ctx, space, consultation.Type, kernel.Text{kernel.LocaleIT: "Piano Aria e Clima", kernel.LocaleEN: "Air and Climate Plan"})
	if err != nil {
		return err
	}
	if err := cons.SaveSettings(ctx, c, consultation.SettingsInput{Prefix: "PAC", MaxLength: "5000",
		DocumentTitle: kernel.Text{kernel.LocaleIT: "Testo del Piano adottato dalla Giunta comunale (contenuto dimostrativo)",
			kernel.LocaleEN: "Text of the Plan adopted by the City Executive (demo content)"}}); err != nil {
		return err
	}
	if _, err := cons.ImportDocument(ctx, c, demoPlanText, "Testo adottato dalla Giunta comunale"); err != nil {
		return err
	}
	for _, att := range []struct{ it, en, url string }{
		{"Piano Aria e Clima – documento completo (PDF)", "Air and Climate Plan – full document (PDF)", "https://www.comune.milano.it/piano-aria-clima"},
		{"Rapporto ambientale della VAS (PDF)", "Strategic environmental assessment report (PDF)", "https://www.comune.milano.it/piano-aria-clima/vas"},
	} {
		if err := cons.AddAttachment(ctx, c, kernel.Text{kernel.LocaleIT: att.it, kernel.LocaleEN: att.en}, att.url); err != nil {
			return err
		}
	}
	p, err := authz.LoadProcess(ctx, a.DB.R(), space.ID)
	if err != nil {
		return err
	}
	// Observations, supports and comments in the observation phase (the
	// second when there are several), nothing afterwards.
	open := component.PhaseActions{}
	if len(p.Phases) > 0 {
		ph := p.Phases[0]
		if len(p.Phases) > 1 {
			ph = p.Phases[1]
		}
		open[ph.ID] = []string{component.ActionObserve, component.ActionSupport, component.ActionComment}
	}
	if err := comps.SetPhaseActions(ctx, c.ID, open); err != nil {
		return err
	}
	if err := comps.SetPublished(ctx, c.ID, true); err != nil {
		return err
	}
	if c, err = comps.Get(ctx, c.ID); err != nil {
		return err
	}

	people := map[string]int64{}
	for _, acc := range demoAccounts {
		if u, err := a.Services.Identity.UserByEmail(ctx, acc.Email); err == nil {
			people[u.Nickname] = u.ID
		}
	}
	for _, nick := range demoConsultationPeople {
		email := nick + "@demo.arengo.it"
		u, err := a.Services.Identity.UserByEmail(ctx, email)
		if errors.Is(err, kernel.ErrNotFound) {
			u, err = a.Services.Identity.CreateUser(ctx, identity.NewUser{Email: email, Nickname: nick, Password: DemoPassword, Locale: kernel.LocaleIT, Confirmed: true})
		}
		if err != nil {
			return fmt.Errorf("demo participant %s: %w", nick, err)
		}
		people[u.Nickname] = u.ID
	}

	paras, err := cons.ParagraphIDs(ctx, c.ID)
	if err != nil {
		return err
	}
	// paragraph (art, comma) → ID, in the document's order.
	index := map[[2]int]int64{}
	k := 0
	for art, n := range demoPlanShape {
		for comma := 1; comma <= n; comma++ {
			index[[2]int{art + 1, comma}] = paras[k]
			k++
		}
	}
	now := a.Clock.Now()
	start := now.Add(-9 * 24 * time.Hour)
	step := (now.Add(-2 * time.Hour).Sub(start)) / time.Duration(len(demoObservations))
	var obs []*consultation.Observation
	for i, d := range demoObservations {
		author, ok := people[d.author]
		if !ok {
			return fmt.Errorf("demo author %s missing", d.author)
		}
		o, err := cons.SeedObservation(ctx, c, author, index[[2]int{d.art, d.comma}],
			consultation.ObservationInput{Kind: d.kind, Body: d.body, Proposed: d.proposed}, start.Add(time.Duration(i)*step))
		if err != nil {
			return fmt.Errorf("demo observation %d: %w", i, err)
		}
		obs = append(obs, o)
	}
	// Supports: a realistic skew, a few observations gather many.
	nicks := demoConsultationPeople
	for i, o := range obs {
		n := []int{0, 1, 3, 0, 7, 2, 0, 1, 12, 4, 0, 2}[i%12]
		for j := 0; j < n && j < len(nicks); j++ {
			uid := people[nicks[(i+j+1)%len(nicks)]]
			if uid == o.AuthorID {
				continue
			}
			if err := cons.SeedSupport(ctx, uid, o.ID, o.CreatedAt.Add(time.Duration(j+1)*time.Hour)); err != nil {
				return err
			}
		}
	}
	// Comments go through the comments service, so its rules apply: when
	// the demo's eligibility rules refuse a demo participant, the comment
	// is simply left out.
	if cms := a.Services.Comments; cms != nil {
		for _, dc := range demoConsultationComments {
			ref := comments.Ref{Type: consultation.TypeObservation, ID: obs[dc.obs].ID}
			if _, err := cms.Post(ctx, people[dc.author], comments.NewComment{Ref: ref, Body: dc.body, Alignment: dc.align}); err != nil {
				if errors.Is(err, kernel.ErrInvalid) || errors.Is(err, kernel.ErrRateLimited) {
					continue
				}
				return fmt.Errorf("demo comment: %w", err)
			}
		}
	}
	// Reports: the advertisement is hidden by three reports, another
	// observation has one report awaiting the moderators.
	if mod := a.Services.Moderation; mod != nil {
		spam := obs[demoSpamObservation].ID
		for _, nick := range []string{"lucia.ferrari", "dott.bianchi", "pina.baggio"} {
			if _, err := mod.Report(ctx, people[nick], moderation.ReportInput{Ref: moderation.Ref{Type: consultation.TypeObservation, ID: spam}, Reason: moderation.ReasonSpam}); err != nil && !errors.Is(err, kernel.ErrInvalid) {
				return fmt.Errorf("demo report: %w", err)
			}
		}
		if _, err := mod.Report(ctx, people["ing.colombo"], moderation.ReportInput{Ref: moderation.Ref{Type: consultation.TypeObservation, ID: obs[demoDisputedObservation].ID},
			Reason: moderation.ReasonOffTopic}); err != nil && !errors.Is(err, kernel.ErrInvalid) {
			return fmt.Errorf("demo report: %w", err)
		}
	}
	// Replies: the evaluator drafts, the office publishes a first set; a few
	// drafts and the remaining observations still await a reply.
	evaluator, ok := users["evaluator"]
	if !ok {
		return nil
	}
	held, err := a.Services.Roles.HasRole(ctx, evaluator.ID, space.Type, space.ID, authz.RoleEvaluator)
	if err != nil {
		return err
	}
	if !held {
		if _, err := a.Services.Roles.Assign(ctx, space, evaluator.Nickname, authz.RoleEvaluator); err != nil {
			return err
		}
	}
	if mod, ok := users["moderator"]; ok {
		if held, err := a.Services.Roles.HasRole(ctx, mod.ID, space.Type, space.ID, authz.RoleModerator); err == nil && !held {
			if _, err := a.Services.Roles.Assign(ctx, space, mod.Nickname, authz.RoleModerator); err != nil {
				return err
			}
		}
	}
	draft := func(i int) error {
		r, ok := demoReplies[i]
		if !ok || i >= len(obs) {
			return nil
		}
		return cons.SaveDraft(ctx, evaluator.ID, c, obs[i].ID, consultation.ReplyInput{Outcome: r.outcome, Body: r.body, Office: r.office})
	}
	for i := 0; i < 24; i++ {
		if err := draft(i); err != nil {
			return fmt.Errorf("demo reply %d: %w", i, err)
		}
	}
	if _, err := cons.PublishReplies(ctx, c, consultation.PublishInput{
		Note:      "Prima tranche di controdeduzioni, condivisa con la Commissione consiliare Ambiente (contenuto dimostrativo).",
		DecidedOn: now.AddDate(0, 0, -1).Format("2006-01-02")}); err != nil {
		return err
	}
	for i := 24; i < 29; i++ {
		if err := draft(i); err != nil {
			return fmt.Errorf("demo draft %d: %w", i, err)
		}
	}
	return nil
}

// demoConsultationPeople are extra demo participants with plausible nicknames.
var demoConsultationPeople = []string{
	"lucia.ferrari", "ciclista_navigli", "comitato.lorenteggio", "dott.bianchi", "greta_m4", "fra.rossi",
	"pina.baggio", "ale_bovisa", "medico.di.base", "sara.m3", "ing.colombo", "studenti_polimi",
}

// demoPlanShape is the number of paragraphs of each article of demoPlanText.
var demoPlanShape = []int{3, 5, 4, 4, 3, 3, 3}

const demoPlanText = `# Piano Aria e Clima

## Art. 1 – Obiettivi del Piano | Objectives of the Plan

1. Il Piano Aria e Clima persegue la riduzione delle emissioni di gas climalteranti del 45% entro il 2030 rispetto al 2005 e la neutralità carbonica entro il 2050.

2. Il Piano persegue il rispetto dei valori limite di qualità dell'aria previsti dalla normativa europea per il biossido di azoto e le polveri sottili (PM10 e PM2,5) e tende progressivamente ai valori guida dell'Organizzazione Mondiale della Sanità.

3. Le azioni del Piano sono orientate all'equità: gli interventi danno priorità ai quartieri con maggiore esposizione all'inquinamento e alle fasce di popolazione più vulnerabili.

## Art. 2 – Mobilità sostenibile | Sustainable mobility

1. Il Comune estende progressivamente l'Area B a basse emissioni, introducendo entro il 2030 il divieto di circolazione per i veicoli diesel di ogni categoria.

2. Entro il 2030 la flotta del trasporto pubblico locale di superficie è interamente elettrica.

3. La rete degli itinerari ciclabili è portata a 500 km entro il 2030, con priorità ai collegamenti tra i quartieri periferici e le stazioni della metropolitana.

4. Le zone 30 sono estese a tutte le strade locali, ad eccezione della viabilità principale individuata dal Piano Urbano della Mobilità Sostenibile.

5. Il Comune promuove la logistica urbana a basse emissioni, con centri di consegna di prossimità e finestre orarie per il carico e lo scarico delle merci.

## Art. 3 – Riscaldamento ed edifici | Heating and buildings

1. Dal 1° ottobre 2027 non è consentita l'installazione di nuovi impianti di riscaldamento alimentati a gasolio.

2. Entro il 2030 gli edifici di proprietà comunale riducono i consumi energetici del 30% rispetto al 2019.

3. Il Comune istituisce uno sportello unico per la riqualificazione energetica dei condomini, che offre consulenza tecnica gratuita e supporto all'accesso agli incentivi.

4. Negli edifici di nuova costruzione è obbligatoria l'installazione di impianti alimentati da fonti rinnovabili che coprano almeno il 60% del fabbisogno di energia termica.

## Art. 4 – Verde urbano e adattamento | Urban green and adaptation

1. Il Comune mette a dimora 3 milioni di alberi nell'area metropolitana entro il 2030, in collaborazione con la Città metropolitana.

2. Le superfici impermeabili dei cortili scolastici e dei parcheggi pubblici sono progressivamente depavimentate e rese drenanti.

3. In ogni Municipio è individuata almeno un'area di raffrescamento accessibile al pubblico durante le ondate di calore.

4. I nuovi interventi urbanistici garantiscono un indice di riduzione dell'impatto climatico, calcolato sulla base della superficie drenante e della copertura arborea.

## Art. 5 – Energia | Energy

1. Il Comune installa impianti fotovoltaici su tutte le coperture comunali idonee entro il 2027.

2. Il Comune promuove la costituzione di comunità energetiche rinnovabili, con priorità per i quartieri di edilizia residenziale pubblica.

3. L'illuminazione pubblica è interamente a LED entro il 2026 ed è regolata in base al traffico e alla presenza di persone.

## Art. 6 – Informazione e partecipazione | Information and participation

1. Il Comune pubblica ogni anno un rapporto sullo stato di attuazione del Piano, con i dati sulla qualità dell'aria per ciascun Municipio.

2. Il Comune organizza percorsi di educazione ambientale nelle scuole di ogni ordine e grado.

3. È istituito un Forum cittadino per il clima, aperto alle associazioni, ai comitati e alle persone interessate, che si riunisce almeno due volte l'anno.

## Art. 7 – Monitoraggio | Monitoring

1. L'attuazione del Piano è verificata ogni due anni attraverso un sistema di indicatori pubblicato in formato aperto.

2. La rete di monitoraggio della qualità dell'aria è integrata con sensori a basso costo, con almeno una stazione in ciascun Municipio.

3. Qualora gli indicatori mostrino uno scostamento significativo dagli obiettivi, la Giunta adotta entro sei mesi misure correttive.
`

// Indexes into demoObservations of the advertisement (hidden by reports)
// and of an observation with one pending report.
const (
	demoSpamObservation     = 17
	demoDisputedObservation = 30
)

var demoObservations = []demoObservation{
	{1, 1, "greta_m4", "modify", "L'obiettivo del 45% è troppo timido rispetto a quello europeo del 55%. Milano può fare di più.",
		"Il Piano Aria e Clima persegue la riduzione delle emissioni di gas climalteranti del 55% entro il 2030 rispetto al 2005 e la neutralità carbonica entro il 2045."},
	{1, 2, "medico.di.base", "modify", "Come medico di famiglia vedo ogni inverno l'effetto delle polveri sottili sui bambini asmatici. Serve una data precisa per i valori OMS, non un generico «tende».",
		"Il Piano persegue il rispetto dei valori limite di qualità dell'aria previsti dalla normativa europea per il biossido di azoto e le polveri sottili (PM10 e PM2,5) e il raggiungimento dei valori guida dell'Organizzazione Mondiale della Sanità entro il 2035."},
	{1, 3, "comitato.lorenteggio", "general", "Bene la priorità ai quartieri più esposti, ma il Piano non dice come vengono individuati. Chiediamo che la mappa dell'esposizione sia pubblica e aggiornata ogni anno.", ""},
	{2, 1, "fra.rossi", "general", "Molti artigiani hanno furgoni diesel Euro 6 comprati da pochi anni: servono contributi per la sostituzione, altrimenti il divieto pesa solo sui piccoli.", ""},
	{2, 1, "ciclista_navigli", "modify", "Il divieto per i diesel andrebbe anticipato: nel 2030 sarà già tardi.",
		"Il Comune estende progressivamente l'Area B a basse emissioni, introducendo entro il 2028 il divieto di circolazione per i veicoli diesel di ogni categoria."},
	{2, 1, "pina.baggio", "add", "Chi ha più di 75 anni e usa l'auto solo per andare dal medico dovrebbe avere una deroga.",
		"Il Comune estende progressivamente l'Area B a basse emissioni, introducendo entro il 2030 il divieto di circolazione per i veicoli diesel di ogni categoria. Sono previste deroghe per le persone con più di 75 anni e per i veicoli che trasportano persone con disabilità."},
	{2, 2, "ale_bovisa", "general", "Bene gli autobus elettrici, ma in Bovisa passano ogni venti minuti. Prima della flotta serve la frequenza.", ""},
	{2, 2, "studenti_polimi", "add", "Proponiamo di includere anche le linee notturne, oggi servite da mezzi molto vecchi.",
		"Entro il 2030 la flotta del trasporto pubblico locale di superficie, comprese le linee notturne, è interamente elettrica."},
	{2, 3, "ciclista_navigli", "modify", "500 km sono un buon numero, ma conta la continuità: piste che si interrompono agli incroci non servono a nessuno.",
		"La rete degli itinerari ciclabili è portata a 500 km entro il 2030, con percorsi continui e protetti agli incroci e priorità ai collegamenti tra i quartieri periferici e le stazioni della metropolitana."},
	{2, 3, "sara.m3", "general", "Chiedo di collegare Città Studi a Lambrate con una pista protetta: ogni mattina migliaia di studenti pedalano in mezzo alle auto.", ""},
	{2, 4, "fra.rossi", "delete", "Le zone 30 ovunque rallentano anche i mezzi di soccorso e gli autobus. Meglio interventi mirati davanti alle scuole.", ""},
	{2, 4, "lucia.ferrari", "general", "Abito in una zona 30 da due anni: il quartiere è più tranquillo e i bambini vanno a scuola a piedi. Sostengo l'estensione.", ""},
	{2, 5, "ing.colombo", "add", "Per la logistica serve anche una regola sui veicoli dei corrieri: oggi i furgoni sostano in doppia fila per ore.",
		"Il Comune promuove la logistica urbana a basse emissioni, con centri di consegna di prossimità, finestre orarie per il carico e lo scarico delle merci e l'obbligo di veicoli a zero emissioni per le consegne nell'Area C dal 2028."},
	{3, 1, "dott.bianchi", "general", "Molti condomini del centro hanno ancora caldaie a gasolio perché la sostituzione costa troppo. Serve un fondo di garanzia per i prestiti condominiali.", ""},
	{3, 1, "greta_m4", "modify", "Il divieto dovrebbe riguardare anche il metano per i nuovi impianti, come già deciso in altre città europee.",
		"Dal 1° ottobre 2027 non è consentita l'installazione di nuovi impianti di riscaldamento alimentati a gasolio o a metano negli edifici di nuova costruzione."},
	{3, 2, "ing.colombo", "modify", "Il 30% è raggiungibile già con interventi semplici. Proponiamo il 40% e la pubblicazione dei consumi edificio per edificio.",
		"Entro il 2030 gli edifici di proprietà comunale riducono i consumi energetici del 40% rispetto al 2019; i consumi di ciascun edificio sono pubblicati ogni anno."},
	{3, 3, "pina.baggio", "general", "Lo sportello deve avere sedi nei Municipi, non solo in centro, e orari per chi lavora.", ""},
	{3, 3, "ale_bovisa", "general", "OFFERTA IMPERDIBILE caldaie e cappotti termici a prezzo di fabbrica, chiama subito il numero sul nostro sito!!!", ""},
	{3, 4, "studenti_polimi", "general", "Il 60% è in linea con la normativa regionale: il Piano potrebbe chiedere di più per gli edifici pubblici nuovi.", ""},
	{4, 1, "lucia.ferrari", "general", "Gli alberi piantati negli ultimi anni lungo la circonvallazione sono in parte secchi. Prima di piantarne altri serve un piano di manutenzione.", ""},
	{4, 1, "comitato.lorenteggio", "add", "Chiediamo che una quota degli alberi sia riservata ai quartieri con meno verde per abitante.",
		"Il Comune mette a dimora 3 milioni di alberi nell'area metropolitana entro il 2030, in collaborazione con la Città metropolitana; almeno un terzo degli alberi in città è destinato ai quartieri con meno verde per abitante."},
	{4, 2, "sara.m3", "general", "Il cortile della scuola di mio figlio è tutto asfalto: d'estate a giugno non si può uscire. Ottima misura, da fare presto.", ""},
	{4, 2, "giulia.m", "modify", "Indicare una scadenza: «progressivamente» può voler dire tra vent'anni.",
		"Le superfici impermeabili dei cortili scolastici e dei parcheggi pubblici sono depavimentate e rese drenanti per almeno la metà della loro estensione entro il 2030."},
	{4, 3, "medico.di.base", "add", "Le aree di raffrescamento servono soprattutto agli anziani soli: vanno segnalate dai medici e dai servizi sociali.",
		"In ogni Municipio è individuata almeno un'area di raffrescamento accessibile al pubblico durante le ondate di calore, segnalata alle persone fragili attraverso i medici di famiglia e i servizi sociali."},
	{4, 4, "ing.colombo", "general", "L'indice va definito subito nel Piano, con soglie minime: altrimenti resta una dichiarazione di principio.", ""},
	{5, 1, "marco_b", "general", "Le coperture delle scuole sono perfette per il fotovoltaico: si potrebbe coinvolgere gli studenti nel monitoraggio della produzione.", ""},
	{5, 2, "comitato.lorenteggio", "add", "Le comunità energetiche nelle case popolari devono prevedere che i benefici vadano agli inquilini, non solo all'ente gestore.",
		"Il Comune promuove la costituzione di comunità energetiche rinnovabili, con priorità per i quartieri di edilizia residenziale pubblica, garantendo che i benefici economici vadano agli inquilini."},
	{5, 2, "dott.bianchi", "general", "Serve una guida semplice per i condomini che vogliono creare una comunità energetica: oggi le regole sono incomprensibili.", ""},
	{5, 3, "ciclista_navigli", "general", "Attenzione a non ridurre troppo l'illuminazione sulle piste ciclabili: di sera la sicurezza conta.", ""},
	{6, 1, "giulia.m", "modify", "Il rapporto deve essere in formato aperto e leggibile, non un PDF di 300 pagine.",
		"Il Comune pubblica ogni anno un rapporto sullo stato di attuazione del Piano, in formato aperto e con una sintesi leggibile, con i dati sulla qualità dell'aria per ciascun Municipio."},
	{6, 1, "fra.rossi", "general", "Il Comune dovrebbe occuparsi delle buche nelle strade prima di scrivere piani sul clima.", ""},
	{6, 2, "sara.m3", "general", "Coinvolgere anche i genitori: le abitudini di mobilità si decidono in famiglia.", ""},
	{6, 3, "greta_m4", "modify", "Due riunioni l'anno sono poche, e il Forum deve poter presentare proposte alla Giunta.",
		"È istituito un Forum cittadino per il clima, aperto alle associazioni, ai comitati e alle persone interessate, che si riunisce almeno quattro volte l'anno e può presentare proposte alla Giunta, che risponde entro sessanta giorni."},
	{6, 3, "studenti_polimi", "add", "Chiediamo che almeno un quarto dei posti del Forum sia riservato a persone sotto i 30 anni.",
		"È istituito un Forum cittadino per il clima, aperto alle associazioni, ai comitati e alle persone interessate, nel quale almeno un quarto dei componenti ha meno di 30 anni, che si riunisce almeno due volte l'anno."},
	{7, 1, "ing.colombo", "modify", "Ogni due anni è troppo poco frequente per correggere la rotta: meglio ogni anno.",
		"L'attuazione del Piano è verificata ogni anno attraverso un sistema di indicatori pubblicato in formato aperto."},
	{7, 2, "ale_bovisa", "general", "In Bovisa non c'è nessuna centralina: i dati del quartiere vengono stimati. Chiediamo una stazione vicino allo scalo.", ""},
	{7, 2, "medico.di.base", "add", "I sensori a basso costo vanno calibrati con le stazioni ARPA, altrimenti i dati generano allarmi inutili.",
		"La rete di monitoraggio della qualità dell'aria è integrata con sensori a basso costo, calibrati periodicamente con le stazioni di riferimento di ARPA, con almeno una stazione in ciascun Municipio."},
	{7, 3, "greta_m4", "modify", "Sei mesi sono troppi: le misure correttive devono essere immediate.",
		"Qualora gli indicatori mostrino uno scostamento significativo dagli obiettivi, la Giunta adotta entro tre mesi misure correttive e ne riferisce al Consiglio comunale."},
	{7, 3, "lucia.ferrari", "general", "Chi decide cosa sia uno «scostamento significativo»? Va definita una soglia numerica.", ""},
	{2, 2, "pina.baggio", "general", "Sugli autobus nuovi i gradini sono più bassi e per chi ha il deambulatore è molto meglio. Grazie.", ""},
	{2, 3, "marco_b", "general", "Servono anche rastrelliere sicure vicino alle stazioni: molti non usano la bici per paura dei furti.", ""},
	{3, 3, "lucia.ferrari", "general", "Nel mio condominio l'amministratore non sa nulla degli incentivi: lo sportello dovrebbe rivolgersi anche agli amministratori.", ""},
	{4, 1, "studenti_polimi", "general", "Proponiamo di usare i dati satellitari per verificare ogni anno quanti alberi piantati sono sopravvissuti.", ""},
	{5, 1, "fra.rossi", "general", "Sui tetti dei mercati comunali c'è tanto spazio inutilizzato.", ""},
	{1, 1, "dott.bianchi", "general", "Il Piano dovrebbe indicare quanto costa ogni azione e con quali fondi si finanzia.", ""},
	{2, 4, "ale_bovisa", "general", "Le zone 30 funzionano solo con dossi e restringimenti, i cartelli da soli non bastano.", ""},
}

// demoReplies are the replies by observation index: the first 24 are
// published, the next ones stay drafts.
var demoReplies = map[int]demoReply{
	0:  {"partly_accepted", "Direzione Transizione Ambientale", "L'obiettivo al 2030 viene allineato al pacchetto europeo «Fit for 55» per gli edifici e i trasporti pubblici; per gli altri settori resta il 45%, in attesa del nuovo inventario delle emissioni."},
	1:  {"accepted", "Direzione Transizione Ambientale", "L'osservazione è accolta: il testo indica ora il 2035 come anno di riferimento per i valori guida dell'OMS."},
	2:  {"accepted", "Direzione Transizione Ambientale", "La mappa dell'esposizione sarà pubblicata sul portale dei dati aperti e aggiornata ogni anno insieme al rapporto di attuazione."},
	3:  {"partly_accepted", "Direzione Mobilità e Trasporti", "È previsto un bando per la sostituzione dei veicoli commerciali delle microimprese; il calendario del divieto resta invariato."},
	4:  {"rejected", "Direzione Mobilità e Trasporti", "Anticipare il divieto al 2028 non lascerebbe il tempo di attivare i contributi per la sostituzione dei veicoli: il calendario resta quello proposto."},
	5:  {"partly_accepted", "Direzione Mobilità e Trasporti", "Le deroghe per i veicoli che trasportano persone con disabilità sono già previste dal regolamento dell'Area B; non si introducono deroghe basate sull'età."},
	6:  {"not_relevant", "Direzione Mobilità e Trasporti", "La frequenza delle linee è definita dal contratto di servizio del trasporto pubblico e non è oggetto del Piano. L'osservazione è trasmessa all'Agenzia del trasporto pubblico locale."},
	7:  {"accepted", "Direzione Mobilità e Trasporti", "Il testo include ora esplicitamente le linee notturne."},
	8:  {"accepted", "Direzione Mobilità e Trasporti", "Il comma è integrato con il riferimento a percorsi continui e protetti agli incroci."},
	9:  {"partly_accepted", "Direzione Mobilità e Trasporti", "Il collegamento Città Studi – Lambrate è inserito tra le priorità del piano della ciclabilità; il tracciato sarà definito con il Municipio 3."},
	10: {"rejected", "Direzione Mobilità e Trasporti", "Le zone 30 non rallentano i mezzi di soccorso, che possono superare i limiti; le esperienze europee mostrano una forte riduzione degli incidenti gravi."},
	11: {"not_relevant", "Direzione Mobilità e Trasporti", "L'osservazione esprime sostegno alla misura senza chiederne modifiche."},
	12: {"partly_accepted", "Direzione Mobilità e Trasporti", "L'obbligo di veicoli a zero emissioni per le consegne nell'Area C è introdotto dal 2030 anziché dal 2028, per consentire il rinnovo delle flotte dei corrieri."},
	13: {"accepted", "Area Energia e Clima", "È istituito un fondo di garanzia per i finanziamenti condominiali destinati a sostituire gli impianti a gasolio, in convenzione con gli istituti di credito."},
	14: {"rejected", "Area Energia e Clima", "Vietare i nuovi impianti a metano eccede le competenze comunali; il Regolamento edilizio incentiva già le pompe di calore negli edifici nuovi."},
	15: {"partly_accepted", "Direzione Tecnica – Edilizia", "È accolta la pubblicazione annuale dei consumi di ciascun edificio comunale; l'obiettivo resta il 30%, compatibile con le risorse di bilancio."},
	16: {"accepted", "Area Energia e Clima", "Lo sportello avrà un presidio settimanale in ogni Municipio e un'apertura il sabato mattina."},
	18: {"partly_accepted", "Direzione Tecnica – Edilizia", "Per i nuovi edifici pubblici la quota minima da fonti rinnovabili sale al 70%; per gli altri resta quella regionale."},
	19: {"accepted", "Direzione Verde e Agricoltura", "Il Piano prevede ora un programma triennale di manutenzione delle nuove piantagioni, con la sostituzione degli esemplari non attecchiti."},
	20: {"partly_accepted", "Direzione Verde e Agricoltura", "Le nuove piantagioni danno priorità ai quartieri con meno verde per abitante; la quota di un terzo non è fissata perché dipende dagli spazi disponibili."},
	21: {"not_relevant", "Direzione Verde e Agricoltura", "L'osservazione sostiene la misura senza chiederne modifiche; il cortile indicato è nell'elenco degli interventi del 2027."},
	22: {"accepted", "Direzione Verde e Agricoltura", "Il comma indica ora la scadenza del 2030 per almeno metà delle superfici."},
	23: {"accepted", "Direzione Welfare e Salute", "Il comma è integrato con il coinvolgimento dei medici di famiglia e dei servizi sociali nella segnalazione alle persone fragili."},
	24: {"partly_accepted", "Direzione Urbanistica", "L'indice sarà definito dal Regolamento edilizio entro un anno dall'approvazione del Piano, con soglie minime per ogni tipo di intervento."},
	25: {"accepted", "Area Energia e Clima", "Gli istituti scolastici con impianti fotovoltaici avranno accesso ai dati di produzione per attività didattiche."},
	26: {"accepted", "Area Energia e Clima", "Il comma è integrato: i benefici economici delle comunità energetiche nei quartieri pubblici vanno agli inquilini."},
	27: {"accepted", "Area Energia e Clima", "Sarà pubblicata una guida per i condomini e attivato un servizio di accompagnamento presso lo sportello unico."},
	28: {"not_relevant", "Direzione Mobilità e Trasporti", "La regolazione dell'illuminazione non riguarda le piste ciclabili, che mantengono l'illuminazione piena."},
}

type demoComment struct {
	obs    int
	author string
	align  string
	body   string
}

var demoConsultationComments = []demoComment{
	{0, "ing.colombo", comments.AlignAgainst, "Il 55% è l'obiettivo dell'Unione nel suo complesso: per una città con pochi impianti industriali è più difficile di quanto sembri."},
	{0, "studenti_polimi", comments.AlignFavour, "Copenaghen e Stoccolma hanno obiettivi più ambiziosi con economie simili. Si può fare."},
	{1, "sara.m3", comments.AlignFavour, "Mia figlia è asmatica: una data precisa farebbe la differenza."},
	{4, "fra.rossi", comments.AlignAgainst, "Anticipare al 2028 vuol dire mettere in difficoltà migliaia di piccole imprese."},
	{4, "greta_m4", comments.AlignFavour, "Le piccole imprese vanno aiutate con i contributi, non rinviando il divieto."},
	{8, "lucia.ferrari", comments.AlignFavour, "Esatto: la pista di viale Monza si interrompe tre volte in un chilometro."},
	{8, "ale_bovisa", comments.AlignNeutral, "Servirebbe anche una mappa pubblica dei tratti discontinui, per decidere le priorità."},
	{10, "lucia.ferrari", comments.AlignAgainst, "I mezzi di soccorso possono superare il limite: nelle zone 30 già attive non ci sono stati problemi."},
	{13, "pina.baggio", comments.AlignFavour, "Nel mio palazzo ci siamo fermati proprio per il costo: un fondo di garanzia ci aiuterebbe."},
	{19, "comitato.lorenteggio", comments.AlignFavour, "In via dei Giaggioli metà degli alberi piantati due anni fa non ce l'ha fatta."},
	{21, "medico.di.base", comments.AlignFavour, "Anche dal punto di vista sanitario i cortili verdi riducono l'esposizione al calore."},
	{26, "giulia.m", comments.AlignFavour, "Nelle case popolari di San Siro sarebbe un aiuto concreto contro il caro bollette."},
	{32, "ciclista_navigli", comments.AlignFavour, "Un Forum che può solo discutere non serve: deve poter proporre."},
	{35, "sara.m3", comments.AlignNeutral, "Anche in via Pacini non c'è una centralina, i dati vengono da Città Studi."},
}
