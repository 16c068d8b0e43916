package csvsafe

import "testing"

func TestCell(t *testing.T) {
	cases := map[string]string{
		"":                        "",
		"Piano Aria e Clima":      "Piano Aria e Clima",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+39 02 1234":             "'+39 02 1234",
		"-1+1":                    "'-1+1",
		"@SUM(A1:A2)":             "'@SUM(A1:A2)",
		"\tcmd":                   "'\tcmd",
		"\rcmd":                   "'\rcmd",
		"-5":                      "-5",
		"+3.25":                   "+3.25",
		"a=b":                     "a=b",
		"PAC-2026-000001":         "PAC-2026-000001",
	}
	for in, want := range cases {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
	row := Row([]string{"ok", "=1+1"})
	if row[0] != "ok" || row[1] != "'=1+1" {
		t.Fatalf("Row: %q", row)
	}
}
