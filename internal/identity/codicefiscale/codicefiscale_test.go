package codicefiscale

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

var ref = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseValid(t *testing.T) {
	cases := []struct {
		in    string
		birth time.Time
		sex   byte
		place string
		omo   bool
	}{
		// The textbook example (Matteo Moretti, Milano, 9 April 1925): in 2026
		// the code alone cannot tell 1925 from 2025 and says 2025 (see
		// TestCenturyInference); the verified birth date comes from SPID.
		{"MRTMTT25D09F205Z", date(2025, 4, 9), Male, "F205", false},
		{"mrtmtt25d09f205z", date(2025, 4, 9), Male, "F205", false},
		{" MRT MTT 25D09 F205Z ", date(2025, 4, 9), Male, "F205", false},
		{"RSSMRA80A01H501U", date(1980, 1, 1), Male, "H501", false},
		// Women: day + 40.
		{"BNCGLI10R52F205Z", date(2010, 10, 12), Female, "F205", false},
		// Omocodia: the last digit of the place (5 → R) and more.
		{"MRTMTT25D09F20RU", date(2025, 4, 9), Male, "F205", true},
		{"MRTMTTNRDLVFNLRV", date(2025, 4, 9), Male, "F205", true},
		// Born abroad.
		{"CLMMNA97H65Z330K", date(1997, 6, 25), Female, "Z330", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			info, err := Parse(c.in, ref)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !info.BirthDate.Equal(c.birth) || info.Sex != c.sex || info.Birthplace != c.place || info.Omocode != c.omo {
				t.Fatalf("got %s %c %s omo=%v", info.BirthDate.Format("2006-01-02"), info.Sex, info.Birthplace, info.Omocode)
			}
			if info.Code != Normalize(c.in) {
				t.Fatalf("code = %q", info.Code)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrEmpty},
		{"   ", ErrEmpty},
		{"MRTMTT25D09F205", ErrLength},
		{"MRTMTT25D09F205ZZ", ErrLength},
		{"MRTMTT25D09F205Y", ErrCheckChar}, // wrong check character
		{"MRTMTT25D09F206Z", ErrCheckChar}, // one digit changed
		{"MRTMTT52D09F205Z", ErrCheckChar}, // transposed digits
		{"1RTMTT25D09F205Z", ErrFormat},    // digit where a letter goes
		{"MRTMTTA5D09F205Z", ErrFormat},    // non-omocodia letter in a digit slot
		{"MRTMTT25D09F2O5Z", ErrFormat},    // letter O for zero
		{"MRTMTT25D09F205<", ErrFormat},    // markup
		{"<script>alert(1)", ErrFormat},
		{"MRTMTT25D09F205È", ErrLength}, // non-ASCII (17 bytes)
		{"'OR'1'='1'--XXXX", ErrFormat}, // SQL
		{"MRTMTT25D09F\x00\x00\x00Z", ErrFormat},
	}
	for _, c := range cases {
		if _, err := Parse(c.in, ref); !errors.Is(err, c.want) {
			t.Errorf("Parse(%q) = %v, want %v", c.in, err, c.want)
		}
	}
	// Impossible dates with a correct check character.
	for _, first15 := range []string{
		"MRTMTT25B30F205", // 30 February
		"MRTMTT25D00F205", // day 0
		"MRTMTT25D32F205", // day 32
		"MRTMTT25D72F205", // woman, day 32
		"MRTMTT25F09F205", // F is not a month letter
		"MRTMTT25B29F205", // 29 February 1925 (not a leap year)
	} {
		code := first15 + string(CheckChar(first15))
		if _, err := Parse(code, ref); err == nil {
			t.Errorf("Parse(%q) accepted an impossible date", code)
		}
	}
	if _, err := Parse("MRTMTT24B29F205"+string(CheckChar("MRTMTT24B29F205")), ref); err != nil {
		t.Errorf("29 February 2024 refused: %v", err)
	}
}

func TestCenturyInference(t *testing.T) {
	code := func(yy string, month byte, dd string) string {
		s := "RSSMRA" + yy + string(month) + dd + "F205"
		return s + string(CheckChar(s))
	}
	cases := []struct {
		code string
		want time.Time
	}{
		{code("26", 'S', "23"), date(2026, 11, 23)}, // born today
		{code("26", 'S', "24"), date(1926, 11, 24)}, // "tomorrow" cannot be: 100 years earlier
		{code("26", 'S', "30"), date(1926, 11, 30)},
		{code("10", 'S', "23"), date(2010, 11, 23)}, // 16 today
		{code("10", 'S', "24"), date(2010, 11, 24)},
		{code("99", 'A', "01"), date(1999, 1, 1)},
		{code("00", 'A', "01"), date(2000, 1, 1)},
	}
	if info, err := Parse("MRTMTT25D09F205Z", date(1990, 1, 1)); err != nil || !info.BirthDate.Equal(date(1925, 4, 9)) {
		t.Errorf("with ref 1990: %v %v", info.BirthDate, err)
	}
	for _, c := range cases {
		info, err := Parse(c.code, ref)
		if err != nil || !info.BirthDate.Equal(c.want) {
			t.Errorf("Parse(%s) = %v, %v; want %s", c.code, info.BirthDate, err, c.want.Format("2006-01-02"))
		}
	}
}

func TestGenerate(t *testing.T) {
	cases := []struct {
		p    Person
		want string
	}{
		{Person{FamilyName: "Moretti", GivenName: "Matteo", BirthDate: date(1925, 4, 9), Sex: Male, Birthplace: "F205"}, "MRTMTT25D09F205Z"},
		{Person{FamilyName: "Rossi", GivenName: "Mario", BirthDate: date(1980, 1, 1), Sex: Male, Birthplace: "H501"}, "RSSMRA80A01H501U"},
		{Person{FamilyName: "Moretti", GivenName: "Matteo", BirthDate: date(1925, 4, 9), Sex: Male, Birthplace: "F205", Omocodia: 1}, "MRTMTT25D09F20RU"},
		// Accents, apostrophes and spaces are ignored; short names are padded with X.
		{Person{FamilyName: "D'Agostino Fò", GivenName: "Lù", BirthDate: date(2001, 12, 31), Sex: Female, Birthplace: "l219"}, ""},
	}
	for _, c := range cases {
		got, err := Generate(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if c.want != "" && got != c.want {
			t.Errorf("Generate(%+v) = %s, want %s", c.p, got, c.want)
		}
		info, err := Parse(got, c.p.BirthDate.AddDate(1, 0, 0))
		if err != nil {
			t.Fatalf("generated %s does not parse: %v", got, err)
		}
		if !info.BirthDate.Equal(c.p.BirthDate) || info.Sex != c.p.Sex {
			t.Errorf("%s decodes to %v %c", got, info.BirthDate, info.Sex)
		}
	}
	if got, _ := Generate(cases[3].p); got[:6] != "DGSLUX" {
		t.Errorf("name part of %s, want DGSLUX", got)
	}
	for _, bad := range []Person{
		{FamilyName: "Rossi", GivenName: "Mario", BirthDate: date(1980, 1, 1), Sex: 'X', Birthplace: "H501"},
		{FamilyName: "Rossi", GivenName: "Mario", BirthDate: date(1980, 1, 1), Sex: Male, Birthplace: "Roma"},
		{FamilyName: "Rossi", GivenName: "Mario", BirthDate: date(1980, 1, 1), Sex: Male, Birthplace: "H501", Omocodia: 8},
	} {
		if _, err := Generate(bad); err == nil {
			t.Errorf("Generate(%+v) accepted", bad)
		}
	}
}

func TestFictitious(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		birth := date(1930+rng.IntN(90), time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
		sex := byte(Male)
		if i%2 == 1 {
			sex = Female
		}
		code := Fictitious(rng, birth, sex)
		info, err := Parse(code, ref)
		if err != nil || !info.BirthDate.Equal(birth) || info.Sex != sex {
			t.Fatalf("%s: %v %v %c", code, err, info.BirthDate, info.Sex)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"MRTMTT25D09F205Z", "MRTMTTNRDLVFNLRV", "", "RSSMRA80A01H501U", "x", "MRTMTT25B30F205Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		info, err := Parse(s, ref)
		if err != nil {
			return
		}
		if len(info.Code) != Length || info.Code[15] != CheckChar(info.Code[:15]) {
			t.Fatalf("accepted %q with code %q", s, info.Code)
		}
		if info.BirthDate.After(ref) || (info.Sex != Male && info.Sex != Female) || len(info.Birthplace) != 4 {
			t.Fatalf("accepted %q with %+v", s, info)
		}
		again, err := Parse(info.Code, ref)
		if err != nil || again != info {
			t.Fatalf("normalised code does not re-parse the same: %v", err)
		}
	})
}
