package consultation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// textGen writes plausible Italian prose about air and climate for the
// bulk seeder: sentences assembled from fragments, so lengths and words
// vary the way real observations do (what matters to performance is the
// size of the text, its escaping and its diffs, not its sense).
type textGen struct{ rnd *rand.Rand }

var (
	seedSubjects = []string{
		"Il Comune", "La Giunta", "Ogni Municipio", "L'Agenzia per la mobilità", "Il Piano", "La Città metropolitana",
		"Il gestore del trasporto pubblico", "L'ufficio competente", "Il Forum cittadino per il clima", "Ogni condominio",
		"La rete di monitoraggio", "Lo sportello unico per l'energia",
	}
	seedVerbs = []string{
		"promuove", "garantisce", "estende progressivamente", "riduce", "pubblica ogni anno", "verifica",
		"finanzia", "introduce", "sostiene", "coordina", "misura", "completa entro il 2030",
	}
	seedObjects = []string{
		"le zone a basse emissioni", "la rete degli itinerari ciclabili", "gli impianti di riscaldamento a gasolio",
		"la piantumazione di nuovi alberi", "le comunità energetiche rinnovabili", "la depavimentazione dei cortili scolastici",
		"il trasporto pubblico elettrico", "i dati sulla qualità dell'aria", "le aree di raffrescamento", "la logistica urbana",
		"la riqualificazione energetica degli edifici", "i sensori a basso costo", "le zone 30", "i parcheggi di interscambio",
	}
	seedComplements = []string{
		"con priorità ai quartieri più esposti all'inquinamento", "in collaborazione con le associazioni del territorio",
		"secondo un calendario pubblicato in formato aperto", "entro dodici mesi dall'approvazione del Piano",
		"tenendo conto delle persone con disabilità", "senza oneri aggiuntivi per le famiglie a basso reddito",
		"con una relazione annuale al Consiglio comunale", "nei limiti delle risorse di bilancio disponibili",
		"d'intesa con la Regione Lombardia", "anche attraverso bandi per le piccole imprese",
		"con il coinvolgimento delle scuole di ogni ordine e grado", "misurando i risultati con indicatori verificabili",
	}
	seedOpinions = []string{
		"A mio parere", "Come residente del quartiere", "Da genitore", "Come medico di famiglia", "Per chi lavora in città",
		"Secondo il nostro comitato", "Dopo averne discusso in assemblea di condominio", "Da ciclista quotidiano",
		"Come commerciante", "Per le persone anziane",
	}
	seedJudgements = []string{
		"la misura è giusta ma troppo lenta", "il testo è vago e va precisato", "serve una scadenza certa",
		"mancano le risorse per realizzarla", "è la parte più importante del Piano", "rischia di pesare sui più deboli",
		"va accompagnata da controlli seri", "andrebbe estesa a tutta la città metropolitana",
		"non tiene conto di chi abita in periferia", "dovrebbe essere discussa con i Municipi",
	}
	seedTitles = []string{
		"Obiettivi generali", "Mobilità sostenibile", "Riscaldamento ed edifici", "Verde urbano", "Energia",
		"Adattamento al clima", "Qualità dell'aria", "Logistica urbana", "Informazione e partecipazione", "Monitoraggio",
		"Economia circolare", "Salute pubblica", "Scuole", "Spazio pubblico", "Acqua", "Finanziamento",
	}
	seedTitlesEN = []string{
		"General objectives", "Sustainable mobility", "Heating and buildings", "Urban green", "Energy",
		"Climate adaptation", "Air quality", "Urban logistics", "Information and participation", "Monitoring",
		"Circular economy", "Public health", "Schools", "Public space", "Water", "Funding",
	}
)

func (g *textGen) one(xs []string) string { return xs[g.rnd.IntN(len(xs))] }

// length draws a text length in runes: log-normal around typical, clamped
// to [lo, hi], so most texts are short and a few are long.
func (g *textGen) length(lo, typical, hi int) int {
	n := int(float64(typical) * math.Exp(g.rnd.NormFloat64()*0.6))
	return max(lo, min(hi, n))
}

func (g *textGen) rule() string {
	return g.one(seedSubjects) + " " + g.one(seedVerbs) + " " + g.one(seedObjects) + " " + g.one(seedComplements) + "."
}

func (g *textGen) remark() string {
	s := g.one(seedSubjects)
	return g.one(seedOpinions) + ", " + g.one(seedJudgements) + ": " + strings.ToLower(s[:1]) + s[1:] + " " +
		g.one(seedVerbs) + " " + g.one(seedObjects) + "."
}

// text is about n runes of remarks, with a paragraph break now and then.
func (g *textGen) text(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			if g.rnd.IntN(5) == 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte(' ')
			}
		}
		if g.rnd.IntN(3) == 0 {
			b.WriteString(g.rule())
		} else {
			b.WriteString(g.remark())
		}
	}
	return b.String()
}

// rewording changes a few words of a paragraph, or adds a sentence to it.
func (g *textGen) rewording(body string, add bool) string {
	if add {
		return body + " " + g.rule()
	}
	words := strings.Fields(body)
	for i := 0; i < 1+len(words)/12; i++ {
		j := g.rnd.IntN(len(words))
		words[j] = strings.Fields(g.one(seedObjects))[0]
	}
	return strings.Join(words, " ")
}

// document is a plan of n numbered paragraphs in articles of 3 to 15.
func (g *textGen) document(n int) string {
	var b strings.Builder
	b.WriteString("# Piano di prova per le misure di prestazione\n\n")
	art := 0
	for n > 0 {
		art++
		k := min(n, 3+g.rnd.IntN(13))
		t := g.rnd.IntN(len(seedTitles))
		fmt.Fprintf(&b, "## Art. %d – %s | %s\n\n", art, seedTitles[t], seedTitlesEN[t])
		for i := 1; i <= k; i++ {
			fmt.Fprintf(&b, "%d. ", i)
			l := g.length(120, 420, 1500)
			var p strings.Builder
			for p.Len() < l {
				if p.Len() > 0 {
					p.WriteByte(' ')
				}
				p.WriteString(g.rule())
			}
			b.WriteString(p.String())
			b.WriteString("\n\n")
		}
		n -= k
	}
	return b.String()
}
