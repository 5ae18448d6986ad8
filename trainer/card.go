package trainer

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/bankml/retire/artifact"
)

var cardTemplate = template.Must(template.New("card").Funcs(template.FuncMap{
	"pct": func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
	"f4":  func(v float64) string { return fmt.Sprintf("%.4f", v) },
	"num": func(v float64) string { return fmt.Sprintf("%.6g", v) },
}).Parse(`# Model card: {{.Name}}

Predicts whether a bank customer can retire ({{.Target}} = 1) from {{range $i, $f := .Features}}{{if $i}}, {{end}}` + "`{{$f.Name}}`" + `{{end}}.

## Model

- Type: {{.Model.Type}}, weights format ` + "`{{.Model.Format}}`" + ` in ` + "`{{.Model.WeightsFile}}`" + `
- Created: {{.CreatedAt.Format "2006-01-02T15:04:05Z07:00"}}{{if .Source.Revision}}, source revision ` + "`{{.Source.Revision}}`" + `{{end}}
{{- with .Model.Selection}}
- Chosen by {{.Folds}}-fold stratified cross-validation on {{.Metric}}: {{.Chosen}}
{{- end}}

## Intended use

Decision support for advisers: a probability that a customer can retire, for a human to
review. Not for automated decisions about individuals, and not for customers outside the
ranges below.

## Inputs

| feature | observed min | observed max | missing in training |
|---|---|---|---|
{{- range .Features}}
| {{.Name}} | {{num .Min}} | {{num .Max}} | {{.Missing}} |
{{- end}}

{{$imputation := index .Model.Hyperparameters "imputation"}}
{{- if and $imputation (ne $imputation "none")}}
A missing value is sent as null and filled by {{$imputation}} imputation before the model.
{{- else}}
A missing value is sent as null and goes down the default branch that each tree split learned.
{{- end}}

## Evaluation

{{- if index .Model.Hyperparameters "imported_from"}}
Test split: {{.Data.TestRows}} of {{.Data.Rows}} rows ({{pct .Training.TestFraction}}, stratified, seed {{.Training.Seed}}).
The model was trained outside this trainer and imported from ` + "`{{index .Model.Hyperparameters \"imported_from\"}}`" + `,
so nothing shows that these rows were held out of its training. If they were not, the scores
below are optimistic.
{{- else}}
Held-out test split: {{.Data.TestRows}} of {{.Data.Rows}} rows ({{pct .Training.TestFraction}}, stratified, seed {{.Training.Seed}}).
{{- end}}

| metric | value |
|---|---|
| accuracy | {{f4 .Metrics.Accuracy}} |
| ROC AUC | {{f4 .Metrics.ROCAUC}} |
| log loss | {{f4 .Metrics.LogLoss}} |

Confusion matrix at threshold 0.5: {{.Metrics.ConfusionMatrix.TrueNegatives}} true negatives,
{{.Metrics.ConfusionMatrix.FalsePositives}} false positives, {{.Metrics.ConfusionMatrix.FalseNegatives}} false negatives,
{{.Metrics.ConfusionMatrix.TruePositives}} true positives.
{{- with .Metrics.CrossValidation}}

{{.Folds}}-fold stratified cross-validation over all rows: accuracy {{f4 .AccuracyAvg}} ± {{f4 .AccuracyStd}},
ROC AUC {{f4 .ROCAUCAvg}} ± {{f4 .ROCAUCStd}}, log loss {{f4 .LogLossAvg}} ± {{f4 .LogLossStd}}.
{{- end}}

Quality gate: test accuracy at least {{f4 .Training.MinAccuracy}}.

{{if index .Model.Hyperparameters "imported_from"}}## Scoring data{{else}}## Training data{{end}}

` + "`{{.Data.File}}`" + `, sha256 ` + "`{{.Data.SHA256}}`" + `: {{.Data.Rows}} rows, {{.Data.Positives}} labeled 1, {{.Data.MissingCells}} missing cells.

## Limitations

Two features cannot capture a customer's full financial situation. The training data is
small, so the scores above carry sampling error of a few percentage points.
`))

// ModelCard renders the Markdown model card of a model's metadata.
func ModelCard(meta artifact.Metadata) ([]byte, error) {
	var buf bytes.Buffer
	if err := cardTemplate.Execute(&buf, meta); err != nil {
		return nil, fmt.Errorf("render model card: %w", err)
	}
	return buf.Bytes(), nil
}
