package trainer

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Dataset is a training table: one row of features per customer and a 0/1 label.
type Dataset struct {
	// File is the path the data was read from, used in messages and metadata.
	File string
	// SHA256 is the hex digest of the file's bytes.
	SHA256   string
	Features []string
	// X holds the feature values in Features order; NaN marks a missing value.
	X [][]float64
	Y []float64
	// Lines maps each row to its line number in the file, for messages.
	Lines []int
}

// MissingCells counts the NaN values in X.
func (d *Dataset) MissingCells() int {
	n := 0
	for _, row := range d.X {
		for _, v := range row {
			if math.IsNaN(v) {
				n++
			}
		}
	}
	return n
}

// Positives counts the rows labeled 1.
func (d *Dataset) Positives() int {
	n := 0
	for _, y := range d.Y {
		if y == 1 {
			n++
		}
	}
	return n
}

// Subset returns the rows at the given indices. The rows share memory with d.
func (d *Dataset) Subset(indices []int) ([][]float64, []float64) {
	return pick(d.X, indices), pickLabels(d.Y, indices)
}

// ReadCSVFile reads and hashes a training CSV.
func ReadCSVFile(path string, cfg DataConfig) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	defer f.Close()
	hash := sha256.New()
	d, err := ReadCSV(io.TeeReader(f, hash), path, cfg)
	if err != nil {
		return nil, err
	}
	// Hash whatever the CSV reader left unread, so the digest covers the whole file.
	if _, err := io.Copy(hash, f); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidData, path, err)
	}
	d.SHA256 = hex.EncodeToString(hash.Sum(nil))
	return d, nil
}

// ReadCSV parses a training table. Lines starting with '#' before the header are comments.
// The header names the columns; cfg sets which columns are renamed, dropped, used as
// features and as the target. name labels the messages. Every error names the file, the
// line and, where there is one, the column.
func ReadCSV(r io.Reader, name string, cfg DataConfig) (*Dataset, error) {
	buffered := bufio.NewReader(r)
	comments, err := skipComments(buffered)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidData, name, err)
	}
	reader := csv.NewReader(buffered)
	reader.ReuseRecord = true
	// Rows of the wrong width are reported below with both counts.
	reader.FieldsPerRecord = -1
	header, err := reader.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: the file is empty: want a header line with the columns %s", ErrInvalidData, name, describeColumns(cfg))
	}
	if err != nil {
		return nil, csvError(name, comments, err)
	}
	header = slices.Clone(header)
	if err := checkHeaderFormat(header, name); err != nil {
		return nil, err
	}

	headerLine := comments + 1
	columns, err := mapHeader(header, name, headerLine, cfg)
	if err != nil {
		return nil, err
	}

	d := &Dataset{File: name, Features: slices.Clone(cfg.Features)}
	for {
		record, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, comments, err)
		}
		line, _ := reader.FieldPos(0)
		line += comments
		if len(record) != len(header) {
			return nil, fmt.Errorf("%w: %s:%d: the row has %d fields and the header has %d: check the commas and quotes of this line",
				ErrInvalidData, name, line, len(record), len(header))
		}
		row, label, err := parseRecord(record, columns, cfg, name, line)
		if err != nil {
			return nil, err
		}
		d.X = append(d.X, row)
		d.Y = append(d.Y, label)
		d.Lines = append(d.Lines, line)
	}
	if len(d.X) == 0 {
		return nil, fmt.Errorf("%w: %s: the file has a header but no data rows", ErrInvalidData, name)
	}
	if err := checkColumns(d, columns, name); err != nil {
		return nil, err
	}
	return d, nil
}

// checkHeaderFormat recognizes the common reasons a header cannot be split into columns:
// UTF-16 text and separators other than commas.
func checkHeaderFormat(header []string, name string) error {
	joined := strings.Join(header, ",")
	if strings.ContainsRune(joined, 0) || strings.HasPrefix(joined, "\xff\xfe") || strings.HasPrefix(joined, "\xfe\xff") {
		return fmt.Errorf("%w: %s: the file looks like UTF-16 text: save it as UTF-8", ErrInvalidData, name)
	}
	if len(header) == 1 {
		for _, separator := range []string{";", "\t", "|"} {
			if strings.Contains(header[0], separator) {
				return fmt.Errorf("%w: %s:1: the header is one column containing %q: the file seems to use %q as separator; save it with commas",
					ErrInvalidData, name, header[0], separator)
			}
		}
	}
	return nil
}

// skipComments reads past the lines that start with '#' and returns how many there were.
func skipComments(r *bufio.Reader) (int, error) {
	count := 0
	for {
		first, err := r.Peek(1)
		if errors.Is(err, io.EOF) {
			return count, nil
		}
		if err != nil {
			return count, err
		}
		if first[0] != '#' {
			return count, nil
		}
		if _, err := r.ReadString('\n'); err != nil && !errors.Is(err, io.EOF) {
			return count, err
		}
		count++
	}
}

// checkColumns rejects data that reads well but cannot train a model: a feature column with
// no observed value, or a target with one class only.
func checkColumns(d *Dataset, columns columnIndex, name string) error {
	for j := range d.Features {
		observed := false
		for _, row := range d.X {
			if !math.IsNaN(row[j]) {
				observed = true
				break
			}
		}
		if !observed {
			return fmt.Errorf("%w: %s: column %q has no values, only missing cells: fill it or remove it from data.features",
				ErrInvalidData, name, columns.names[columns.features[j]])
		}
	}
	positives := d.Positives()
	if positives == 0 || positives == len(d.Y) {
		return fmt.Errorf("%w: %s: every row of column %q is %d: the data needs rows of both classes, 0 and 1",
			ErrInvalidData, name, columns.names[columns.target], int(d.Y[0]))
	}
	return nil
}

// columnIndex locates the feature and target columns of a header.
type columnIndex struct {
	features []int
	target   int
	// names holds the original header names, for messages.
	names []string
}

func mapHeader(header []string, name string, line int, cfg DataConfig) (columnIndex, error) {
	idx := columnIndex{target: -1, names: slices.Clone(header)}
	position := map[string]int{}
	for i, raw := range header {
		column := strings.TrimSpace(raw)
		if i == 0 {
			column = strings.TrimPrefix(column, "\ufeff")
		}
		idx.names[i] = column
		if column == "" {
			return idx, fmt.Errorf("%w: %s:%d: column %d has an empty name", ErrInvalidData, name, line, i+1)
		}
		if first, dup := position[column]; dup {
			return idx, fmt.Errorf("%w: %s:%d: column %q appears twice (columns %d and %d): remove one", ErrInvalidData, name, line, column, first+1, i+1)
		}
		position[column] = i
	}

	// Renamed columns are looked up under their new names, so map header names first.
	renamed := map[string]int{}
	for column, i := range position {
		if to, ok := cfg.Rename[column]; ok {
			column = to
		}
		if first, dup := renamed[column]; dup {
			return idx, fmt.Errorf("%w: %s:%d: columns %q and %q both become %q after renaming", ErrInvalidData, name, line, idx.names[first], idx.names[i], column)
		}
		renamed[column] = i
	}

	for _, feature := range cfg.Features {
		i, ok := renamed[feature]
		if !ok {
			return idx, fmt.Errorf("%w: %s:%d: missing column %q: the header has %q", ErrInvalidData, name, line, sourceName(feature, cfg), header)
		}
		idx.features = append(idx.features, i)
	}
	i, ok := renamed[cfg.Target]
	if !ok {
		return idx, fmt.Errorf("%w: %s:%d: missing target column %q: the header has %q", ErrInvalidData, name, line, sourceName(cfg.Target, cfg), header)
	}
	idx.target = i

	// Every other column must be dropped on purpose, so that a new column is never ignored silently.
	for i, column := range idx.names {
		if to, ok := cfg.Rename[column]; ok && slices.Contains(cfg.Drop, to) {
			continue
		}
		if i == idx.target || slices.Contains(idx.features, i) || slices.Contains(cfg.Drop, column) {
			continue
		}
		return idx, fmt.Errorf("%w: %s:%d: unexpected column %q: list it under data.drop or data.features in the config", ErrInvalidData, name, line, idx.names[i])
	}
	return idx, nil
}

func parseRecord(record []string, columns columnIndex, cfg DataConfig, name string, line int) ([]float64, float64, error) {
	row := make([]float64, len(columns.features))
	for j, i := range columns.features {
		v, err := parseCell(record[i], cfg)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %s:%d: column %q: %w", ErrInvalidData, name, line, columns.names[i], err)
		}
		row[j] = v
	}

	cell := strings.TrimSpace(record[columns.target])
	var label float64
	switch cell {
	case "0":
		label = 0
	case "1":
		label = 1
	default:
		return nil, 0, fmt.Errorf("%w: %s:%d: column %q: label %q is not 0 or 1: fix or remove the row", ErrInvalidData, name, line, columns.names[columns.target], cell)
	}
	return row, label, nil
}

// maxMagnitude bounds the absolute value of a feature cell. Larger values are data errors
// here, and near float64's limit they would overflow the sums behind means and variances.
const maxMagnitude = 1e15

// parseCell returns NaN for a missing-value marker and the number otherwise.
func parseCell(cell string, cfg DataConfig) (float64, error) {
	cell = strings.TrimSpace(cell)
	if slices.Contains(cfg.MissingValues, cell) {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(cell, 64)
	// ParseFloat also reads Go syntax such as 1_000 and 0x1p4, which no CSV writer means as a number.
	if err == nil && strings.ContainsFunc(cell, func(r rune) bool { return r == '_' || r == 'x' || r == 'X' || r == 'p' || r == 'P' }) {
		err = strconv.ErrSyntax
	}
	if err != nil {
		return 0, fmt.Errorf("value %q is not a number: write a number, or %s", cell, describeMissing(cfg))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %q is not a finite number: write a number, or %s", cell, describeMissing(cfg))
	}
	if math.Abs(v) > maxMagnitude {
		return 0, fmt.Errorf("value %q is beyond ±%g, which no age or amount reaches: fix it, or %s", cell, maxMagnitude, describeMissing(cfg))
	}
	return v, nil
}

// csvError turns a csv.ParseError into a message with the file and line. comments is the
// number of comment lines skipped before the CSV reader started counting.
func csvError(name string, comments int, err error) error {
	var parseErr *csv.ParseError
	if !errors.As(err, &parseErr) {
		return fmt.Errorf("%w: %s: %w", ErrInvalidData, name, err)
	}
	if parseErr.StartLine != parseErr.Line {
		// An unclosed quote runs on to a later line; the mistake is where its record starts.
		return fmt.Errorf("%w: %s:%d: %w (the quoted field that starts on this line is still open at line %d): close the quote",
			ErrInvalidData, name, parseErr.StartLine+comments, parseErr.Err, parseErr.Line+comments)
	}
	return fmt.Errorf("%w: %s:%d: character %d: %w", ErrInvalidData, name, parseErr.Line+comments, parseErr.Column, parseErr.Err)
}

// sourceName returns the header name that becomes column after renaming.
func sourceName(column string, cfg DataConfig) string {
	for from, to := range cfg.Rename {
		if to == column {
			return from
		}
	}
	return column
}

func describeColumns(cfg DataConfig) string {
	var names []string
	for _, f := range cfg.Features {
		names = append(names, strconv.Quote(sourceName(f, cfg)))
	}
	return strings.Join(append(names, strconv.Quote(sourceName(cfg.Target, cfg))), ", ")
}

// describeMissing returns how to write a missing value, as the end of an error message.
func describeMissing(cfg DataConfig) string {
	if len(cfg.MissingValues) == 0 {
		return "list a missing-value marker under data.missing_values"
	}
	var quoted []string
	for _, m := range cfg.MissingValues {
		quoted = append(quoted, strconv.Quote(m))
	}
	return "write " + strings.Join(quoted, " or ") + " for a missing value"
}
