package codicefiscale

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Person is what a codice fiscale is computed from.
type Person struct {
	FamilyName string
	GivenName  string
	BirthDate  time.Time
	Sex        byte   // Male or Female
	Birthplace string // cadastral code, e.g. "F205" (Milano)
	// Omocodia replaces this many digits, from the right, with letters
	// (0–7), as the Agenzia delle Entrate does for colliding codes.
	Omocodia int
}

// Generate computes the codice fiscale of p with the official algorithm.
// Real codes are assigned by the Agenzia delle Entrate; use this for
// fictitious people (tests, the demo) or to check that a code is plausible
// for a name and date.
func Generate(p Person) (string, error) {
	if p.Sex != Male && p.Sex != Female {
		return "", fmt.Errorf("codice fiscale: sex must be M or F")
	}
	place := strings.ToUpper(p.Birthplace)
	if len(place) != 4 || !isLetter(place[0]) || !isDigit(place[1]) || !isDigit(place[2]) || !isDigit(place[3]) {
		return "", fmt.Errorf("codice fiscale: birthplace %q is not a cadastral code like F205", p.Birthplace)
	}
	if p.Omocodia < 0 || p.Omocodia > len(digitPositions) {
		return "", fmt.Errorf("codice fiscale: omocodia level %d out of range", p.Omocodia)
	}
	day := p.BirthDate.Day()
	if p.Sex == Female {
		day += 40
	}
	b := []byte(surnameCode(p.FamilyName) + nameCode(p.GivenName) +
		fmt.Sprintf("%02d", p.BirthDate.Year()%100) + string(monthLetters[p.BirthDate.Month()-1]) +
		fmt.Sprintf("%02d", day) + place)
	for i := 0; i < p.Omocodia; i++ {
		pos := digitPositions[len(digitPositions)-1-i]
		b[pos] = omocodia[b[pos]-'0']
	}
	return string(b) + string(CheckChar(string(b))), nil
}

// letters returns the name in upper-case ASCII letters, accents removed.
func letters(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, _ = transform.String(t, s)
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func split(s string) (consonants, vowels string) {
	var c, v strings.Builder
	for _, r := range letters(s) {
		if strings.ContainsRune("AEIOU", r) {
			v.WriteRune(r)
		} else {
			c.WriteRune(r)
		}
	}
	return c.String(), v.String()
}

func surnameCode(s string) string {
	c, v := split(s)
	return (c + v + "XXX")[:3]
}

func nameCode(s string) string {
	c, v := split(s)
	if len(c) >= 4 {
		return string([]byte{c[0], c[2], c[3]})
	}
	return (c + v + "XXX")[:3]
}

// fictitiousNames are used by Fictitious; any combination is fine.
var (
	fictitiousFamily = []string{"Rossi", "Bianchi", "Colombo", "Ferrari", "Esposito", "Romano", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti"}
	fictitiousMale   = []string{"Marco", "Luca", "Giuseppe", "Paolo", "Andrea", "Matteo", "Davide", "Omar"}
	fictitiousFemale = []string{"Giulia", "Sara", "Francesca", "Chiara", "Elena", "Martina", "Aisha", "Lucia"}
	fictitiousPlaces = []string{"F205", "H501", "F839", "L219", "A944", "D612", "Z330", "Z210"}
)

// Fictitious returns a random valid code with the given birth date and sex,
// drawn from rng (pass a seeded source for reproducible tests).
func Fictitious(rng *rand.Rand, birth time.Time, sex byte) string {
	given := fictitiousMale
	if sex == Female {
		given = fictitiousFemale
	}
	code, err := Generate(Person{
		FamilyName: fictitiousFamily[rng.IntN(len(fictitiousFamily))],
		GivenName:  given[rng.IntN(len(given))],
		BirthDate:  birth,
		Sex:        sex,
		Birthplace: fictitiousPlaces[rng.IntN(len(fictitiousPlaces))],
	})
	if err != nil {
		panic(err) // only reachable with a bad table above
	}
	return code
}
