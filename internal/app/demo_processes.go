package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/space/process"
)

// demoProcesses loads the demo territories (Comune di Milano and Municipi
// 1–9) and four fictitious processes modelled on Milano Partecipa, each with
// phases and a published Participation Pact. Dates are relative to today so
// the demo always has open, upcoming and closed processes. It adds nothing
// when any process exists.
func (a *App) demoProcesses(ctx context.Context, users map[string]identity.User) error {
	svc := a.Services.Processes
	if _, n, err := svc.List(ctx, process.Filter{Limit: 1}); err != nil || n > 0 {
		return err
	}
	if admin, ok := users["administrator"]; ok {
		ctx = kernel.WithActor(ctx, kernel.Actor{UserID: admin.ID, RequestID: "demo"})
	}
	territories, err := svc.Territories(ctx)
	if err != nil {
		return err
	}
	bySlug := map[string]int64{}
	for _, t := range territories {
		bySlug[t.Slug] = t.ID
	}
	if _, ok := bySlug["milano"]; !ok {
		comune, err := svc.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "Comune di Milano", "en": "City of Milan"}, Slug: "milano", Kind: process.KindComune})
		if err != nil {
			return fmt.Errorf("demo territory: %w", err)
		}
		bySlug["milano"] = comune.ID
		for i := 1; i <= 9; i++ {
			n := strconv.Itoa(i)
			t, err := svc.CreateTerritory(ctx, process.TerritoryInput{Name: kernel.Text{"it": "Municipio " + n, "en": "District " + n},
				Slug: "municipio-" + n, Kind: process.KindMunicipio, ParentID: comune.ID})
			if err != nil {
				return fmt.Errorf("demo territory: %w", err)
			}
			bySlug[t.Slug] = t.ID
		}
	}

	loc := svc.Location()
	y, m, d := a.Clock.Now().In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	day := func(offset int) time.Time { return today.AddDate(0, 0, offset) }

	for _, dp := range demoProcessList() {
		in := dp.input
		in.TerritoryID = bySlug[dp.territory]
		in.StartsOn, in.EndsOn = day(dp.from), day(dp.to)
		in.Published = true
		p, err := svc.Create(ctx, in)
		if err != nil {
			return fmt.Errorf("demo process %s: %w", in.Slug, err)
		}
		for _, ph := range dp.phases {
			if _, err := svc.AddPhase(ctx, p.ID, process.PhaseInput{Title: ph.title, Description: ph.desc, StartsAt: day(ph.from), EndsAt: day(ph.to)}); err != nil {
				return fmt.Errorf("demo phase of %s: %w", in.Slug, err)
			}
		}
		for _, v := range dp.pact {
			if _, err := svc.PublishPact(ctx, p.ID, v.sections, v.note); err != nil {
				return fmt.Errorf("demo pact of %s: %w", in.Slug, err)
			}
		}
	}
	return nil
}

type demoPhase struct {
	title, desc kernel.Text
	from, to    int // days from today; the phase ends at the start of day "to"
}

type demoPactVersion struct {
	sections process.Sections
	note     kernel.Text
}

type demoProcess struct {
	input     process.ProcessInput
	territory string
	from, to  int // first and last day, from today
	phases    []demoPhase
	pact      []demoPactVersion
}

const demoNoteIT = "\n\n> **Processo dimostrativo**: i contenuti sono di esempio e non hanno valore."
const demoNoteEN = "\n\n> **Demo process**: the content is an example and has no official value."

func demoText(it, en string) kernel.Text { return kernel.Text{"it": it, "en": en} }

// demoPact builds the standard sections from the parts that differ between
// processes.
func demoPact(object, phases, who, methods kernel.Text) process.Sections {
	return process.Sections{
		"object":       object,
		"phases":       phases,
		"participants": who,
		"methods":      methods,
		"roles": demoText(
			"- **Ufficio Partecipazione**: coordina il processo, modera gli spazi online e risponde alle domande.\n- **Direzioni competenti**: valutano la fattibilità tecnica ed economica dei contributi.\n- **Giunta comunale**: approva gli esiti e ne rende conto pubblicamente.",
			"- **Participation Office**: runs the process, moderates the online spaces and answers questions.\n- **Competent departments**: assess the technical and financial feasibility of contributions.\n- **City Executive**: approves the results and publicly accounts for them."),
		"rights": demoText(
			"Chi partecipa ha diritto a un'informazione chiara e tempestiva, a ricevere una risposta motivata ai propri contributi e a vedere pubblicati gli esiti. Si impegna a rispettare le regole di convivenza della piattaforma, a non diffondere dati personali altrui e a contribuire in modo costruttivo.",
			"Participants have the right to clear and timely information, to a reasoned answer to their contributions and to see the results published. They undertake to respect the platform's rules of conduct, not to disclose other people's personal data and to contribute constructively."),
		"results": demoText(
			"Il Comune pubblica sulla piattaforma una relazione finale con tutti i contributi ricevuti, le risposte motivate e le decisioni prese. Lo stato di avanzamento delle decisioni è aggiornato nella fase di monitoraggio.",
			"The City publishes on the platform a final report with every contribution received, the reasoned answers and the decisions taken. Progress on the decisions is updated during the monitoring phase."),
	}
}

func demoProcessList() []demoProcess {
	bilancioV1 := demoPact(
		demoText("Il Comune di Milano destina **4,5 milioni di euro** del bilancio 2026 a opere pubbliche proposte e votate da chi vive, studia e lavora in città: 500.000 euro per ciascuno dei 9 Municipi.",
			"The City of Milan allocates **€4.5 million** of its 2026 budget to public works proposed and voted on by people who live, study and work in the city: €500,000 for each of the 9 districts."),
		demoText("1. Proposte: 50 giorni.\n2. Co-progettazione con gli uffici tecnici: 40 giorni.\n3. Voto: 30 giorni.\n4. Monitoraggio della realizzazione.",
			"1. Proposals: 50 days.\n2. Co-design with the technical offices: 40 days.\n3. Vote: 30 days.\n4. Monitoring of the works."),
		demoText("Possono partecipare le persone con almeno 16 anni residenti a Milano.",
			"Anyone aged 16 or over who is resident in Milan may take part."),
		demoText("Le proposte si presentano online o negli incontri pubblici nei Municipi. Ogni proposta riguarda un solo Municipio e un costo tra 100.000 e 500.000 euro. Nel voto si possono scegliere fino a 3 progetti.",
			"Proposals are submitted online or at public meetings in the districts. Each proposal concerns one district and costs between €100,000 and €500,000. Voters may choose up to 3 projects."),
	)
	bilancioV2 := demoPact(
		bilancioV1["object"],
		demoText("1. Proposte: 50 giorni.\n2. Co-progettazione con gli uffici tecnici: 40 giorni.\n3. Voto: 30 giorni, anche nei punti di voto cartaceo presso le sedi dei Municipi.\n4. Monitoraggio della realizzazione.",
			"1. Proposals: 50 days.\n2. Co-design with the technical offices: 40 days.\n3. Vote: 30 days, also at the paper polling points in the district offices.\n4. Monitoring of the works."),
		demoText("Possono partecipare le persone con almeno 16 anni residenti a Milano.\nPossono partecipare anche i city user: chi studia o lavora a Milano senza esservi residente, previa autocertificazione approvata dall'Ufficio Partecipazione.",
			"Anyone aged 16 or over who is resident in Milan may take part.\nCity users may also take part: people who study or work in Milan without living there, after a self-declaration approved by the Participation Office."),
		bilancioV1["methods"],
	)
	ariaPact := demoPact(
		demoText("Consultazione pubblica sul **Piano Aria e Clima**: il documento con cui Milano si impegna a ridurre l'inquinamento dell'aria e le emissioni di gas serra, e ad adattarsi al cambiamento climatico.",
			"Public consultation on the **Air and Climate Plan**: the document in which Milan commits to reducing air pollution and greenhouse gas emissions, and to adapting to climate change."),
		demoText("1. Presentazione del piano: 10 giorni.\n2. Osservazioni: 35 giorni.\n3. Controdeduzioni: pubblicate dopo l'approvazione in Consiglio comunale.",
			"1. Presentation of the plan: 10 days.\n2. Observations: 35 days.\n3. Replies: published after approval by the City Council."),
		demoText("Possono presentare osservazioni tutte le persone con almeno 16 anni, le associazioni, le imprese e gli enti con sede a Milano.",
			"Anyone aged 16 or over, and associations, businesses and bodies based in Milan, may submit observations."),
		demoText("Le osservazioni formali sul testo del piano sono l'unico canale ufficiale: ciascuna riceve una controdeduzione motivata. I commenti servono al confronto ma non ricevono risposta formale.",
			"Formal observations on the text of the plan are the only official channel: each receives a reasoned reply. Comments are for discussion but do not receive a formal answer."),
	)
	piazzePact := demoPact(
		demoText("Trasformare con interventi leggeri e reversibili (colore a terra, panchine, alberi in vaso, tavoli da ping-pong) tre incroci del Municipio 8 in piazze pedonali.",
			"Turn three crossroads of District 8 into pedestrian squares with light, reversible interventions (ground paint, benches, potted trees, ping-pong tables)."),
		demoText("1. Ascolto: 30 giorni.\n2. Laboratori di quartiere: 45 giorni.\n3. Sperimentazione e valutazione: 6 mesi.",
			"1. Listening: 30 days.\n2. Neighbourhood workshops: 45 days.\n3. Trial and evaluation: 6 months."),
		demoText("Possono partecipare le persone con almeno 16 anni che vivono, studiano o lavorano nel Municipio 8, le scuole e le associazioni del quartiere.",
			"Anyone aged 16 or over who lives, studies or works in District 8, and the neighbourhood's schools and associations, may take part."),
		demoText("Questionario online, passeggiate di quartiere e tre laboratori in presenza con i progettisti del Comune.",
			"Online survey, neighbourhood walks and three in-person workshops with the City's designers."),
	)
	verdePact := demoPact(
		demoText("Scegliere insieme dove piantare 300 nuovi alberi nel Municipio 4 entro la primavera.",
			"Choose together where to plant 300 new trees in District 4 by the spring."),
		demoText("1. Segnalazioni: 30 giorni.\n2. Voto delle aree: 20 giorni.",
			"1. Suggestions: 30 days.\n2. Vote on the areas: 20 days."),
		demoText("Possono partecipare le persone con almeno 16 anni residenti nel Municipio 4.",
			"Anyone aged 16 or over who is resident in District 4 may take part."),
		demoText("Segnalazioni su mappa online e voto delle 10 aree preferite tra quelle ritenute idonee dagli uffici del Verde.",
			"Suggestions on an online map and a vote on the 10 favourite areas among those judged suitable by the Parks department."),
	)

	return []demoProcess{
		{
			input: process.ProcessInput{
				Slug:     "bilancio-partecipativo-2026",
				Title:    demoText("Bilancio partecipativo 2026", "Participatory budgeting 2026"),
				Subtitle: demoText("4,5 milioni di euro per le opere proposte e votate da chi vive Milano", "€4.5 million for the works proposed and voted on by the people of Milan"),
				Description: demoText("Il bilancio partecipativo permette a chi vive, studia e lavora a Milano di decidere come spendere una parte del bilancio comunale.\n\n"+
					"## Come funziona\n\n1. Presenti una proposta per il tuo Municipio.\n2. Gli uffici tecnici e i proponenti la trasformano in un progetto realizzabile.\n3. Tutta la città vota i progetti.\n4. Il Comune realizza i vincitori e ne rende conto."+demoNoteIT,
					"Participatory budgeting lets people who live, study and work in Milan decide how to spend part of the City's budget.\n\n"+
						"## How it works\n\n1. You submit a proposal for your district.\n2. The technical offices and the proposers turn it into a feasible project.\n3. The whole city votes on the projects.\n4. The City builds the winners and reports on them."+demoNoteEN),
			},
			territory: "milano", from: -60, to: 200,
			phases: []demoPhase{
				{demoText("Proposte", "Proposals"), demoText("Presenta la tua proposta di opera pubblica per il tuo Municipio.", "Submit your proposal for a public work in your district."), -60, -10},
				{demoText("Co-progettazione", "Co-design"), demoText("Proponenti e uffici tecnici trasformano le proposte ammesse in progetti.", "Proposers and technical offices turn the admitted proposals into projects."), -10, 30},
				{demoText("Voto", "Vote"), demoText("Scegli fino a 3 progetti, online o nei punti di voto dei Municipi.", "Choose up to 3 projects, online or at the district polling points."), 30, 60},
				{demoText("Monitoraggio", "Monitoring"), demoText("Segui la realizzazione dei progetti vincitori.", "Follow the building of the winning projects."), 60, 201},
			},
			pact: []demoPactVersion{
				{bilancioV1, demoText("Prima pubblicazione del Patto.", "First publication of the Pact.")},
				{bilancioV2, demoText("Ammessi i city user; aggiunti i punti di voto cartaceo.", "City users admitted; paper polling points added.")},
			},
		},
		{
			input: process.ProcessInput{
				Slug:     "piano-aria-clima-consultazione",
				Title:    demoText("Piano Aria e Clima – consultazione", "Air and Climate Plan – consultation"),
				Subtitle: demoText("Leggi il piano e presenta le tue osservazioni", "Read the plan and submit your observations"),
				Description: demoText("Il Piano Aria e Clima fissa le azioni per una Milano più sana e a zero emissioni entro il 2050. Prima dell'approvazione in Consiglio comunale, chiunque può leggerlo e presentare **osservazioni formali**, che riceveranno una risposta motivata."+demoNoteIT,
					"The Air and Climate Plan sets out the actions for a healthier, zero-emission Milan by 2050. Before it is approved by the City Council, anyone can read it and submit **formal observations**, which will receive a reasoned reply."+demoNoteEN),
			},
			territory: "milano", from: -20, to: 40,
			phases: []demoPhase{
				{demoText("Presentazione del piano", "Presentation of the plan"), demoText("Incontri pubblici di presentazione in ogni Municipio.", "Public presentations in every district."), -20, -10},
				{demoText("Osservazioni", "Observations"), demoText("Presenta le tue osservazioni sul testo del piano.", "Submit your observations on the text of the plan."), -10, 25},
				{demoText("Controdeduzioni", "Replies"), demoText("Il Comune pubblica le risposte motivate a ogni osservazione.", "The City publishes a reasoned reply to every observation."), 25, 41},
			},
			pact: []demoPactVersion{{ariaPact, demoText("Prima pubblicazione del Patto.", "First publication of the Pact.")}},
		},
		{
			input: process.ProcessInput{
				Slug:     "piazze-aperte-municipio-8",
				Title:    demoText("Piazze aperte nel Municipio 8", "Open squares in District 8"),
				Subtitle: demoText("Tre incroci da restituire a chi abita il quartiere", "Three crossroads to give back to the neighbourhood"),
				Description: demoText("Con *Piazze aperte* spazi oggi occupati dalle auto diventano luoghi d'incontro, con interventi rapidi e poco costosi. Aiutaci a scegliere e progettare le prossime tre piazze del Municipio 8."+demoNoteIT,
					"With *Open squares*, spaces now taken by cars become meeting places, through quick and inexpensive interventions. Help us choose and design the next three squares of District 8."+demoNoteEN),
			},
			territory: "municipio-8", from: 20, to: 290,
			phases: []demoPhase{
				{demoText("Ascolto", "Listening"), demoText("Questionario e passeggiate di quartiere.", "Survey and neighbourhood walks."), 20, 50},
				{demoText("Laboratori di quartiere", "Neighbourhood workshops"), demoText("Progettiamo insieme le tre piazze.", "Let's design the three squares together."), 50, 95},
				{demoText("Sperimentazione", "Trial"), demoText("Le piazze aperte, in prova per sei mesi.", "The open squares, on trial for six months."), 95, 291},
			},
			pact: []demoPactVersion{{piazzePact, demoText("Prima pubblicazione del Patto.", "First publication of the Pact.")}},
		},
		{
			input: process.ProcessInput{
				Slug:     "verde-di-quartiere-municipio-4",
				Title:    demoText("Verde di quartiere nel Municipio 4", "Neighbourhood green in District 4"),
				Subtitle: demoText("Dove piantare 300 nuovi alberi", "Where to plant 300 new trees"),
				Description: demoText("Il processo si è concluso: le 10 aree più votate sono state piantumate. Restano consultabili le segnalazioni, il voto e il Patto di partecipazione."+demoNoteIT,
					"The process has ended: the 10 most voted areas have been planted. The suggestions, the vote and the Participation Pact remain available."+demoNoteEN),
			},
			territory: "municipio-4", from: -300, to: -250,
			phases: []demoPhase{
				{demoText("Segnalazioni", "Suggestions"), demoText("Indica sulla mappa dove vorresti nuovi alberi.", "Mark on the map where you would like new trees."), -300, -270},
				{demoText("Voto delle aree", "Vote on the areas"), demoText("Scegli le 10 aree da piantumare.", "Choose the 10 areas to plant."), -270, -249},
			},
			pact: []demoPactVersion{{verdePact, demoText("Prima pubblicazione del Patto.", "First publication of the Pact.")}},
		},
	}
}
