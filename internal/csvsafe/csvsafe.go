// Package csvsafe neutralises spreadsheet formulas in CSV cells. Text that
// participants wrote ends up in CSV files that staff open in a spreadsheet
// (the consultation report, open data, "download my data"); a cell such as
// =HYPERLINK("http://evil.example", "click") would run there as a formula.
package csvsafe

import "strconv"

// Cell returns s unchanged unless a spreadsheet would read it as a formula
// (it starts with =, +, -, @, a tab or a carriage return and is not a plain
// number), in which case it is prefixed with an apostrophe, as OWASP advises.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s // "-5" or "+3.2" is a number, not a formula
		}
		return "'" + s
	}
	return s
}

// Row applies Cell to every value of row, in place, and returns it.
func Row(row []string) []string {
	for i, v := range row {
		row[i] = Cell(v)
	}
	return row
}
