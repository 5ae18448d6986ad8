package gbdt

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MarshalJSON writes the model in the JSON of xgboost 1.7's Booster.save_model: keys in
// byte order, no white space, floats as the shortest decimal that reads back as the same
// float32, and parameters as strings. The bytes depend only on the model, and a model that
// Load read from a file written by xgboost 1.7 comes back byte for byte.
func (b *Booster) MarshalJSON() ([]byte, error) {
	m := &b.model
	w := jsonWriter{buf: make([]byte, 0, 64+200*len(b.nodes))}

	w.raw(`{"learner":{"attributes":{`)
	keys := make([]string, 0, len(m.attributes))
	for k := range m.attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		w.comma(i)
		w.str(k)
		w.raw(":")
		w.str(m.attributes[k])
	}
	w.raw(`},"feature_names":`)
	w.strings(m.featureNames)
	w.raw(`,"feature_types":`)
	w.strings(m.featureTypes)

	w.raw(`,"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":`)
	w.intStr(m.numParallelTree)
	w.raw(`,"num_trees":`)
	w.intStr(len(m.trees))
	w.raw(`,"size_leaf_vector":`)
	w.intStr(m.sizeLeafVector)
	w.raw(`},"tree_info":`)
	w.ints(m.treeInfo)
	w.raw(`,"trees":[`)
	for i := range m.trees {
		w.comma(i)
		w.tree(&m.trees[i], i)
	}
	w.raw(`]},"name":"gbtree"},"learner_model_param":{"base_score":"`)
	w.float(m.baseScore)
	w.raw(`","boost_from_average":`)
	w.intStr(m.boostFromAverage)
	w.raw(`,"num_class":`)
	w.intStr(m.numClass)
	w.raw(`,"num_feature":`)
	w.intStr(m.numFeature)
	w.raw(`,"num_target":`)
	w.intStr(m.numTarget)
	w.raw(`},"objective":{"name":`)
	w.str(m.objective)
	w.raw(`,"reg_loss_param":{"scale_pos_weight":"`)
	// dmlc-core prints float parameters with std::setprecision(9), which is %g.
	w.buf = strconv.AppendFloat(w.buf, float64(m.scalePosWeight), 'g', 9, 32)
	w.raw(`"}}},"version":[`)
	for i, v := range m.version {
		w.comma(i)
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	}
	w.raw("]}")
	return w.buf, nil
}

func (w *jsonWriter) tree(t *tree, id int) {
	w.raw(`{"base_weights":`)
	w.floats(t.baseWeights)
	w.raw(`,"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":`)
	w.bytes(t.defaultLeft)
	w.raw(`,"id":`)
	w.buf = strconv.AppendInt(w.buf, int64(id), 10)

	w.raw(`,"left_children":`)
	w.ints(t.leftChildren)
	w.raw(`,"loss_changes":`)
	w.floats(t.lossChanges)
	w.raw(`,"parents":`)
	w.ints(t.parents)
	w.raw(`,"right_children":`)
	w.ints(t.rightChildren)
	w.raw(`,"split_conditions":`)
	w.floats(t.splitConditions)
	w.raw(`,"split_indices":`)
	w.ints(t.splitIndices)
	w.raw(`,"split_type":`)
	w.bytes(t.splitType)
	w.raw(`,"sum_hessian":`)
	w.floats(t.sumHessian)

	w.raw(`,"tree_param":{"num_deleted":`)
	w.intStr(t.numDeleted)
	w.raw(`,"num_feature":`)
	w.intStr(t.numFeature)
	w.raw(`,"num_nodes":`)
	w.intStr(t.numNodes())
	w.raw(`,"size_leaf_vector":`)
	w.intStr(t.sizeLeafVector)
	w.raw("}}")
}

// jsonWriter appends JSON tokens in the formats of XGBoost's C++ JSON writer.
type jsonWriter struct {
	buf []byte
}

func (w *jsonWriter) raw(s string) {
	w.buf = append(w.buf, s...)
}

func (w *jsonWriter) comma(i int) {
	if i > 0 {
		w.buf = append(w.buf, ',')
	}
}

// intStr writes an integer parameter as a JSON string, as XGBoost stores parameters.
func (w *jsonWriter) intStr(v int) {
	w.buf = append(w.buf, '"')
	w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	w.buf = append(w.buf, '"')
}

func (w *jsonWriter) ints(vs []int32) {
	w.buf = append(w.buf, '[')
	for i, v := range vs {
		w.comma(i)
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	}
	w.buf = append(w.buf, ']')
}

func (w *jsonWriter) bytes(vs []uint8) {
	w.buf = append(w.buf, '[')
	for i, v := range vs {
		w.comma(i)
		w.buf = strconv.AppendUint(w.buf, uint64(v), 10)
	}
	w.buf = append(w.buf, ']')
}

func (w *jsonWriter) floats(vs []float32) {
	w.buf = append(w.buf, '[')
	for i, v := range vs {
		w.comma(i)
		w.float(v)
	}
	w.buf = append(w.buf, ']')
}

func (w *jsonWriter) strings(vs []string) {
	w.buf = append(w.buf, '[')
	for i, v := range vs {
		w.comma(i)
		w.str(v)
	}
	w.buf = append(w.buf, ']')
}

// float writes f like XGBoost's to_chars: the shortest digits that read back as f, in
// scientific notation with an upper-case E and no plus sign or leading zeros in the exponent,
// for example 4.5422357E-2, 1E0 and -0E0.
func (w *jsonWriter) float(f float32) {
	// Neither Load nor Train produces these, and JSON has no spelling for them; the
	// branch keeps the writer total.
	switch {
	case math.IsNaN(float64(f)):
		w.raw("NaN")
		return
	case math.IsInf(float64(f), 0):
		w.raw(strings.Replace(strconv.FormatFloat(float64(f), 'g', -1, 32), "Inf", "Infinity", 1))
		return
	}
	start := len(w.buf)
	w.buf = strconv.AppendFloat(w.buf, float64(f), 'E', -1, 32)

	e := start
	for w.buf[e] != 'E' {
		e++
	}
	exp := w.buf[e+1:]
	negative := exp[0] == '-'
	digits := exp[1:]
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	out := w.buf[:e+1]
	if negative {
		out = append(out, '-')
	}
	w.buf = append(out, digits...)
}

// str writes s as a JSON string, escaping what XGBoost's writer escapes: quote, backslash
// and control characters. Invalid UTF-8 is replaced by U+FFFD so the output stays valid JSON.
func (w *jsonWriter) str(s string) {
	w.buf = append(w.buf, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			w.buf = utf8.AppendRune(w.buf, utf8.RuneError)
		case r == '"':
			w.raw(`\"`)
		case r == '\\':
			w.raw(`\\`)
		case r == '\b':
			w.raw(`\b`)
		case r == '\f':
			w.raw(`\f`)
		case r == '\n':
			w.raw(`\n`)
		case r == '\r':
			w.raw(`\r`)
		case r == '\t':
			w.raw(`\t`)
		case r < 0x20:
			w.raw(`\u00`)
			w.buf = append(w.buf, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&0xf])
		default:
			w.buf = append(w.buf, s[i:i+size]...)
		}
		i += size
	}
	w.buf = append(w.buf, '"')
}
