package testidp

import (
	"strings"
	"time"
	"unicode"
)

// Person is a fictitious SPID user. The census fields (Resident, Municipio,
// Elector, CityUser) are not SPID attributes: the demo's census adapters
// read them so that every eligibility rule can be tried out.
type Person struct {
	Key          string // stable form value
	Label        string // Italian description shown on the login page
	Name         string
	FamilyName   string
	FiscalNumber string // codice fiscale, 16 characters, valid check digit
	DateOfBirth  time.Time
	Female       bool
	Email        string
	Resident     bool
	Municipio    int // 1–9 for residents of Milan, 0 otherwise
	Elector      bool
	CityUser     bool // works or studies in the city without residing there
}

// People returns the demo population with birth dates computed from now, so
// that "the 16-year-old" is 16 whenever the demo runs.
func People(now time.Time) []Person {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	born := func(years, days int) time.Time { return today.AddDate(-years, 0, -days) }
	ps := []Person{
		{Key: "adult-resident", Label: "Adulta residente ed elettrice (Municipio 1)",
			Name: "Maria", FamilyName: "Rossini", DateOfBirth: born(42, 100), Female: true,
			Email: "maria.rossini@example.invalid", Resident: true, Municipio: 1, Elector: true},
		{Key: "resident-16", Label: "Residente di 16 anni (Municipio 5)",
			Name: "Luca", FamilyName: "Bianchetti", DateOfBirth: born(16, 30),
			Email: "luca.bianchetti@example.invalid", Resident: true, Municipio: 5},
		{Key: "minor-15", Label: "Residente di 15 anni (Municipio 3)",
			Name: "Sofia", FamilyName: "Verdelli", DateOfBirth: born(15, 200), Female: true,
			Email: "sofia.verdelli@example.invalid", Resident: true, Municipio: 3},
		{Key: "commuter", Label: "Pendolare non residente (lavora in città)",
			Name: "Paolo", FamilyName: "Espositi", DateOfBirth: born(35, 10),
			Email: "paolo.espositi@example.invalid", CityUser: true},
		{Key: "resident-not-elector", Label: "Adulta residente non elettrice (Municipio 8)",
			Name: "Amina", FamilyName: "Colombari", DateOfBirth: born(29, 150), Female: true,
			Email: "amina.colombari@example.invalid", Resident: true, Municipio: 8},
	}
	birthplace := map[string]string{
		"adult-resident": "F205", "resident-16": "F205", "minor-15": "F205",
		"commuter":             "F839", // Napoli
		"resident-not-elector": "Z330", // Marocco
	}
	for i := range ps {
		p := &ps[i]
		p.FiscalNumber = CodiceFiscale(p.FamilyName, p.Name, p.DateOfBirth, p.Female, birthplace[p.Key])
	}
	return ps
}

// CodiceFiscale computes an Italian fiscal code (without omocodia) from
// personal data and the Belfiore code of the birthplace.
func CodiceFiscale(familyName, name string, birth time.Time, female bool, belfiore string) string {
	var b strings.Builder
	b.WriteString(surnameCode(familyName))
	b.WriteString(nameCode(name))
	yy := birth.Year() % 100
	b.WriteByte(byte('0' + yy/10))
	b.WriteByte(byte('0' + yy%10))
	b.WriteByte("ABCDEHLMPRST"[birth.Month()-1])
	day := birth.Day()
	if female {
		day += 40
	}
	b.WriteByte(byte('0' + day/10))
	b.WriteByte(byte('0' + day%10))
	b.WriteString(strings.ToUpper(belfiore))
	s := b.String()
	return s + string(CheckChar(s))
}

// CheckChar is the control character of the first 15 characters of a codice fiscale.
func CheckChar(first15 string) byte {
	odd := [36]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
		1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23} // A-Z
	sum := 0
	for i := 0; i < 15 && i < len(first15); i++ {
		c := first15[i]
		var idx, even int
		switch {
		case c >= '0' && c <= '9':
			idx, even = int(c-'0'), int(c-'0')
		default:
			idx, even = 10+int(c-'A'), int(c-'A')
		}
		if i%2 == 0 { // positions 1, 3, 5… are "odd" in the algorithm
			sum += odd[idx]
		} else {
			sum += even
		}
	}
	return byte('A' + sum%26)
}

func letters(s string) (consonants, vowels []byte) {
	for _, r := range strings.ToUpper(s) {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) {
			continue
		}
		if strings.ContainsRune("AEIOU", r) {
			vowels = append(vowels, byte(r))
		} else {
			consonants = append(consonants, byte(r))
		}
	}
	return
}

func pad3(b []byte) string {
	for len(b) < 3 {
		b = append(b, 'X')
	}
	return string(b[:3])
}

func surnameCode(s string) string {
	c, v := letters(s)
	return pad3(append(c, v...))
}

func nameCode(s string) string {
	c, v := letters(s)
	if len(c) >= 4 {
		return string([]byte{c[0], c[2], c[3]})
	}
	return pad3(append(c, v...))
}
