// Package codicefiscale validates and decodes the Italian codice fiscale of
// a person (16 characters), including omocodia variants, and generates
// valid fictitious codes for tests and the demo.
//
// Layout: SSS NNN YY M DD PPPP C — surname, name, year, month letter, day
// (+40 for women), birthplace (cadastral code of the comune, or Z+3 digits
// for a foreign country), check character. When two people would get the
// same code, the Agenzia delle Entrate replaces digits from the right with
// the letters LMNPQRSTUV ("omocodia"); the result is a different, valid code.
package codicefiscale

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Length of a personal codice fiscale.
const Length = 16

// Errors. Parse wraps them, so callers test with errors.Is.
var (
	ErrEmpty     = errors.New("codice fiscale: empty")
	ErrLength    = errors.New("codice fiscale: must be 16 characters")
	ErrFormat    = errors.New("codice fiscale: malformed")
	ErrDate      = errors.New("codice fiscale: impossible birth date")
	ErrCheckChar = errors.New("codice fiscale: wrong check character")
)

// Sex as encoded in the day of birth.
const (
	Male   = 'M'
	Female = 'F'
)

// omocodia letters stand for the digits 0–9.
const omocodia = "LMNPQRSTUV"

// monthLetters are January…December.
const monthLetters = "ABCDEHLMPRST"

// digitPositions are the positions that hold digits (or omocodia letters).
var digitPositions = [...]int{6, 7, 9, 10, 12, 13, 14}

// oddValues are the check-character values of characters in odd positions
// (1st, 3rd, … counting from 1), indexed by digit or letter.
var oddValues = [26]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

// Info is what a codice fiscale says about its holder.
type Info struct {
	Code       string    // normalised: upper case, no spaces
	BirthDate  time.Time // midnight UTC of the civil date
	Sex        byte      // Male or Female
	Birthplace string    // cadastral code with omocodia letters decoded, e.g. "F205" (Milano), "Z330" (Marocco)
	Omocode    bool      // some digits were replaced by omocodia letters
}

// Foreign reports whether the holder was born abroad.
func (i Info) Foreign() bool { return strings.HasPrefix(i.Birthplace, "Z") }

// Normalize upper-cases s and removes spaces, the forms in which people type
// a codice fiscale.
func Normalize(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if strings.ContainsAny(s, " \t") {
		s = strings.NewReplacer(" ", "", "\t", "").Replace(s)
	}
	return s
}

// Valid reports whether s is a well-formed codice fiscale with the right
// check character and a possible birth date.
func Valid(s string) bool {
	_, err := Parse(s, time.Now())
	return err == nil
}

// Parse validates s and decodes it. The two-digit year is placed in the
// century that makes the holder born on or before ref (the codice fiscale
// does not say the century): with ref in 2026, "25" is 2025 and "27" is 1927.
func Parse(s string, ref time.Time) (Info, error) {
	code := Normalize(s)
	if code == "" {
		return Info{}, ErrEmpty
	}
	if len(code) != Length {
		return Info{}, fmt.Errorf("%w (got %d)", ErrLength, len(code))
	}
	for i := 0; i < Length; i++ {
		c := code[i]
		if !isDigitPos(i) {
			if !isLetter(c) {
				return Info{}, fmt.Errorf("%w: position %d must be a letter", ErrFormat, i+1)
			}
			continue
		}
		if !isDigit(c) && strings.IndexByte(omocodia, c) < 0 {
			return Info{}, fmt.Errorf("%w: position %d must be a digit", ErrFormat, i+1)
		}
	}
	if want := CheckChar(code[:15]); code[15] != want {
		return Info{}, ErrCheckChar
	}
	plain := []byte(code)
	omocode := false
	for _, p := range digitPositions {
		if j := strings.IndexByte(omocodia, plain[p]); j >= 0 {
			plain[p] = byte('0' + j)
			omocode = true
		}
	}
	month := strings.IndexByte(monthLetters, plain[8]) + 1
	if month == 0 {
		return Info{}, fmt.Errorf("%w: %q is not a month letter", ErrFormat, plain[8])
	}
	yy := int(plain[6]-'0')*10 + int(plain[7]-'0')
	day := int(plain[9]-'0')*10 + int(plain[10]-'0')
	sex := byte(Male)
	if day > 40 {
		day -= 40
		sex = Female
	}
	if day < 1 || day > 31 {
		return Info{}, fmt.Errorf("%w: day %d", ErrDate, day)
	}
	ref = ref.UTC()
	year := (ref.Year()/100)*100 + yy
	if d := time.Date(year, time.Month(month), min(day, 28), 0, 0, 0, 0, time.UTC); d.After(ref) {
		year -= 100
	}
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if birth.Day() != day { // e.g. 30 February rolled over into March
		return Info{}, fmt.Errorf("%w: %d/%d/%d", ErrDate, day, month, year)
	}
	if birth.After(ref) {
		// Only possible for the 29–31 of ref's own month in ref's own year.
		birth = birth.AddDate(-100, 0, 0)
		if birth.Day() != day {
			return Info{}, fmt.Errorf("%w: %d/%d/%d", ErrDate, day, month, year-100)
		}
	}
	return Info{Code: code, BirthDate: birth, Sex: sex, Birthplace: string(plain[11:15]), Omocode: omocode}, nil
}

// CheckChar computes the check character of the first 15 characters of a
// codice fiscale (upper-case letters and digits; anything else gives '?').
func CheckChar(first15 string) byte {
	if len(first15) != 15 {
		return '?'
	}
	sum := 0
	for i := 0; i < 15; i++ {
		c := first15[i]
		var v int
		switch {
		case isDigit(c):
			v = int(c - '0')
		case isLetter(c):
			v = int(c - 'A')
		default:
			return '?'
		}
		if i%2 == 0 { // odd position counting from 1
			sum += oddValues[v]
		} else {
			sum += v
		}
	}
	return byte('A' + sum%26)
}

func isDigitPos(i int) bool {
	for _, p := range digitPositions {
		if p == i {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' }
