package trainer

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustDefaultConfig(tb testing.TB) Config {
	tb.Helper()
	cfg, err := LoadConfig("", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

func TestReadCSV_Valid(t *testing.T) {
	in := "Customer ID,Age,401K Savings,Retire\n0,39.5,322349.87,0\n1,NA,768671.57,1\n2,57,,1\n"
	d, err := ReadCSV(strings.NewReader(in), "data.csv", mustDefaultConfig(t).Data)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Features, ","); got != "Age,Savings" {
		t.Errorf("features = %s, want Age,Savings", got)
	}
	if len(d.X) != 3 {
		t.Fatalf("rows = %d, want 3", len(d.X))
	}
	if d.X[0][0] != 39.5 || d.X[0][1] != 322349.87 {
		t.Errorf("row 0 = %v", d.X[0])
	}
	if !math.IsNaN(d.X[1][0]) {
		t.Errorf("NA age read as %v, want NaN", d.X[1][0])
	}
	if !math.IsNaN(d.X[2][1]) {
		t.Errorf("empty savings read as %v, want NaN", d.X[2][1])
	}
	if d.Y[1] != 1 || d.Y[0] != 0 {
		t.Errorf("labels = %v", d.Y)
	}
	if d.Lines[2] != 4 {
		t.Errorf("line of row 2 = %d, want 4", d.Lines[2])
	}
	if d.MissingCells() != 2 {
		t.Errorf("missing cells = %d, want 2", d.MissingCells())
	}
}

func TestReadCSV_ColumnOrderAndCommentLines(t *testing.T) {
	in := "# synthetic\n# second comment\nRetire,401K Savings,Age,Customer ID\n1,500000,60,#0\n0,100000,30,1\n"
	d, err := ReadCSV(strings.NewReader(in), "data.csv", mustDefaultConfig(t).Data)
	if err != nil {
		t.Fatal(err)
	}
	if d.X[0][0] != 60 || d.X[0][1] != 500000 || d.Y[0] != 1 {
		t.Errorf("row = %v label %v, want [60 500000] label 1", d.X[0], d.Y[0])
	}
	if len(d.Y) != 2 {
		t.Errorf("rows = %d, want 2: a data row whose first cell starts with # is data", len(d.Y))
	}
	if d.Lines[1] != 5 {
		t.Errorf("line of row 1 = %d, want 5 (comment lines count)", d.Lines[1])
	}
}

func TestReadCSV_Malformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		// want lists the substrings the message must contain: the file, the line, the column.
		want []string
	}{
		{"empty file", "", []string{"bad.csv", "empty"}},
		{"header only", "Customer ID,Age,401K Savings,Retire\n", []string{"bad.csv", "no data rows"}},
		{"missing column", "Customer ID,Age,Retire\n0,40,1\n", []string{"bad.csv:1", `missing column "401K Savings"`}},
		{"missing target", "Customer ID,Age,401K Savings\n0,40,1\n", []string{"bad.csv:1", `missing target column "Retire"`}},
		{"duplicate column", "Customer ID,Age,Age,401K Savings,Retire\n0,1,2,3,1\n", []string{"bad.csv:1", `"Age" appears twice`}},
		{"unexpected column", "Customer ID,Age,401K Savings,Income,Retire\n0,1,2,3,1\n", []string{"bad.csv:1", `unexpected column "Income"`, "data.drop"}},
		{"non-numeric cell", "Customer ID,Age,401K Savings,Retire\n0,40,1000,1\n1,forty,1000,0\n", []string{"bad.csv:3", `column "Age"`, `"forty" is not a number`}},
		{"go number syntax", "Customer ID,Age,401K Savings,Retire\n0,40,1_000,1\n", []string{"bad.csv:2", `"1_000" is not a number`}},
		{"hex float", "Customer ID,Age,401K Savings,Retire\n0,0x1p4,1000,1\n", []string{"bad.csv:2", `"0x1p4" is not a number`}},
		{"semicolon separated", "Customer ID;Age;401K Savings;Retire\n0;40;1000;1\n", []string{"bad.csv:1", `";" as separator`}},
		{"utf-16", "\xff\xfeC\x00u\x00\n\x00", []string{"bad.csv", "UTF-16"}},
		{"infinite cell", "Customer ID,Age,401K Savings,Retire\n0,40,Inf,1\n", []string{"bad.csv:2", `column "401K Savings"`, "finite"}},
		{"label 2", "Customer ID,Age,401K Savings,Retire\n0,40,1000,2\n", []string{"bad.csv:2", `column "Retire"`, `"2" is not 0 or 1`}},
		{"missing label", "Customer ID,Age,401K Savings,Retire\n0,40,1000,NA\n", []string{"bad.csv:2", `"NA" is not 0 or 1`}},
		{"short row", "Customer ID,Age,401K Savings,Retire\n0,40,1000\n", []string{"bad.csv:2", "3 fields and the header has 4"}},
		{"unclosed quote", "Customer ID,Age,401K Savings,Retire\n0,\"40,1000,1\n1,40,1000,0\n2,40,1000,0\n", []string{"bad.csv:2", "quote", "still open at line 4"}},
		{"bare quote", "Customer ID,Age,401K Savings,Retire\n0,4\"0,1000,1\n", []string{"bad.csv:2", "quote"}},
		{"comment lines shift the header line", "# note\nCustomer ID,Age,Retire\n0,40,1\n", []string{"bad.csv:2", `missing column "401K Savings"`}},
		{"all missing column", "Customer ID,Age,401K Savings,Retire\n0,NA,1000,1\n1,,2000,0\n", []string{"bad.csv", `column "Age" has no values`}},
		{"one class", "Customer ID,Age,401K Savings,Retire\n0,40,1000,1\n1,50,2000,1\n", []string{"bad.csv", `every row of column "Retire" is 1`}},
		{"huge value", "Customer ID,Age,401K Savings,Retire\n0,40,1e308,1\n", []string{"bad.csv:2", `column "401K Savings"`, "beyond"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.in), "bad.csv", mustDefaultConfig(t).Data)
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("error = %v, want ErrInvalidData", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestReadCSVFile_HashesWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.csv")
	content := "Customer ID,Age,401K Savings,Retire\n0,40,1000,1\n1,30,500,0\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := ReadCSVFile(path, mustDefaultConfig(t).Data)
	if err != nil {
		t.Fatal(err)
	}
	// The digest of content as printed by sha256sum.
	const want = "b0fa4b39f661b01aa14cf13ae1494c850c4406698c2bbff0cb41a7ce60c419d7"
	if d.SHA256 != want {
		t.Errorf("sha256 = %s, want %s", d.SHA256, want)
	}
}

func TestReadCSVFile_MissingFile(t *testing.T) {
	_, err := ReadCSVFile(filepath.Join(t.TempDir(), "absent.csv"), mustDefaultConfig(t).Data)
	if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), "absent.csv") {
		t.Errorf("error = %v, want ErrInvalidData naming the file", err)
	}
}
