package gbdt

import (
	"math"
	"slices"
)

// binnedData is the training matrix after quantile binning, one column per feature. The
// cut points follow XGBoost's HistogramCuts: a value v falls into bin b when
// cuts[b-1] <= v < cuts[b], and a split after bin b sends a row left when v < cuts[b].
type binnedData struct {
	numRows int
	// cuts[f] are the bin upper bounds of feature f, ascending. The last one lies above the
	// largest value, so every value has a bin.
	cuts [][]float32
	// minValues[f] lies below the smallest value of feature f. A split with no bin on the
	// left uses it as threshold, so that only missing values go left.
	minValues []float32
	// columns[f][row] is the bin of a cell, or len(cuts[f]) when the cell is missing.
	columns [][]uint16
}

// numBins returns the number of bins of feature f; the value numBins(f) marks a missing cell.
func (d *binnedData) numBins(f int) int {
	return len(d.cuts[f])
}

// threshold returns the split condition that sends the first nLeft bins of feature f left.
func (d *binnedData) threshold(f, nLeft int) float32 {
	if nLeft == 0 {
		return d.minValues[f]
	}
	return d.cuts[f][nLeft-1]
}

// binData computes cut points for every feature of columns (float32, NaN = missing) and
// replaces each cell by its bin. Features are processed in parallel.
func binData(columns [][]float32, maxBin, workers int) *binnedData {
	nf := len(columns)
	d := &binnedData{
		cuts:      make([][]float32, nf),
		minValues: make([]float32, nf),
		columns:   make([][]uint16, nf),
	}
	if nf > 0 {
		d.numRows = len(columns[0])
	}

	parallelFor(workers, nf, 1, func(begin, end int) {
		for f := begin; f < end; f++ {
			d.cuts[f], d.minValues[f] = cutPoints(columns[f], maxBin)
		}
	})

	for f := range nf {
		d.columns[f] = make([]uint16, d.numRows)
	}
	const chunk = 1 << 14
	parallelFor(workers, d.numRows, chunk, func(begin, end int) {
		for f := range nf {
			assignBins(d.columns[f][begin:end], columns[f][begin:end], d.cuts[f])
		}
	})
	return d
}

// cutMargin is the float32 constant 1e-5f that XGBoost adds to the distance of its outer
// sentinels. XGBoost computes the sentinels in float64 (C's fabs) and then rounds them to
// float32.
const cutMargin = float64(float32(1e-5))

// sketchFactor is XGBoost's WQSketch::kFactor: the sketch first keeps maxBin*sketchFactor
// summary entries per feature, then prunes them to maxBin+1.
const sketchFactor = 8

// cutPoints returns the bin upper bounds and the lower sentinel of one feature, following
// xgboost 1.7's HistogramCuts for tree_method hist. XGBoost summarizes the values with a
// weighted quantile sketch, prunes the summary to maxBin*8 and then maxBin+1 entries, and
// takes entries 1 to maxBin-1 as cuts. Here the summary starts exact, from all sorted
// values. XGBoost's sketch is exact too while a column has at most a few hundred values (514
// with the default max_bin), so on such data the cuts are XGBoost's. On larger data
// XGBoost's sketch is approximate and the cuts differ slightly.
func cutPoints(column []float32, maxBin int) (cuts []float32, minValue float32) {
	values := make([]float32, 0, len(column))
	for _, v := range column {
		if !math.IsNaN(float64(v)) {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return nil, 0
	}
	slices.Sort(values)

	intermediate := min(len(values), maxBin*sketchFactor)
	summary := pruneSummary(exactSummary(values), intermediate)
	maxNumBins := min(intermediate, maxBin)
	summary = pruneSummary(summary, maxNumBins+1)

	first := summary[0].value
	minValue = float32(float64(first) - (math.Abs(float64(first)) + cutMargin))
	for i := 1; i < min(len(summary), maxNumBins); i++ {
		v := summary[i].value
		if i == 1 || v > cuts[len(cuts)-1] {
			cuts = append(cuts, v)
		}
	}
	// The last bound lies above every value.
	last := summary[len(summary)-1].value
	cuts = append(cuts, float32(float64(last)+(math.Abs(float64(last))+cutMargin)))
	return cuts, minValue
}

// summaryEntry is an entry of XGBoost's WQSummary: a value with the minimum and maximum rank
// it can have and its own weight. Ranks are float32 as in XGBoost.
type summaryEntry struct {
	rmin, rmax, wmin float32
	value            float32
}

// exactSummary returns the summary of sorted values with unit weights: one entry per
// distinct value, weighted by its count.
func exactSummary(sorted []float32) []summaryEntry {
	var out []summaryEntry
	var wsum float32
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		w := float32(j - i)
		out = append(out, summaryEntry{rmin: wsum, rmax: wsum + w, wmin: w, value: sorted[i]})
		wsum += w
		i = j
	}
	return out
}

// pruneSummary keeps at most maxSize entries of src at evenly spaced ranks, keeping the
// first and the last, as XGBoost's WQSummary::SetPrune does, in the same float32 arithmetic.
func pruneSummary(src []summaryEntry, maxSize int) []summaryEntry {
	if len(src) <= maxSize {
		return src
	}
	begin := src[0].rmax
	rankRange := src[len(src)-1].rmin - src[0].rmax
	n := maxSize - 1
	last := len(src) - 1

	out := make([]summaryEntry, 1, maxSize)
	out[0] = src[0]
	i, lastIdx := 1, 0
	for k := 1; k < n; k++ {
		dx2 := 2 * float32(float32(float32(k)*rankRange)/float32(n)+begin)
		for i < last && dx2 >= src[i+1].rmax+src[i+1].rmin {
			i++
		}
		if i == last {
			break
		}
		if dx2 < (src[i].rmin+src[i].wmin)+(src[i+1].rmax-src[i+1].wmin) {
			if i != lastIdx {
				out = append(out, src[i])
				lastIdx = i
			}
		} else if i+1 != lastIdx {
			out = append(out, src[i+1])
			lastIdx = i + 1
		}
	}
	if lastIdx != last {
		out = append(out, src[last])
	}
	return out
}

// assignBins writes the bin of each value: the number of cuts at or below it, or
// len(cuts) for NaN.
func assignBins(dst []uint16, values []float32, cuts []float32) {
	missing := uint16(len(cuts))
	for i, v := range values {
		if math.IsNaN(float64(v)) {
			dst[i] = missing
			continue
		}
		lo, hi := 0, len(cuts)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if cuts[mid] > v {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		dst[i] = uint16(lo)
	}
}
