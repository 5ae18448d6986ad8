package gbdt

// allocHist returns a zeroed node histogram of t.histLen bins from the pool.
func (t *trainer) allocHist() []gradSum {
	var h []gradSum
	if n := len(t.histPool); n > 0 {
		h = t.histPool[n-1]
		t.histPool = t.histPool[:n-1]
	}
	if cap(h) < t.histLen {
		h = make([]gradSum, t.histLen)
	}
	h = h[:t.histLen]
	clear(h)
	return h
}

// releaseHist returns the histogram of node nid to the pool.
func (t *trainer) releaseHist(nid int) {
	n := &t.g.nodes[nid]
	if n.hist != nil {
		t.histPool = append(t.histPool, n.hist)
		n.hist = nil
	}
}

// buildHistograms fills the histograms of nodes nids from their rows. Large nodes are cut
// into blocks of histBlockRows rows whose partial histograms are added in block order, and
// all blocks of all nodes run in parallel.
func (t *trainer) buildHistograms(nids []int) {
	g := &t.g
	g.tasks = g.tasks[:0]
	partials := 0
	for _, nid := range nids {
		n := &g.nodes[nid]
		n.hist = t.allocHist()
		if n.end-n.begin <= histBlockRows {
			g.tasks = append(g.tasks, rowTask{node: nid, begin: n.begin, end: n.end, partial: -1})
			continue
		}
		for b := n.begin; b < n.end; b += histBlockRows {
			g.tasks = append(g.tasks, rowTask{node: nid, begin: b, end: min(b+histBlockRows, n.end), partial: partials})
			partials++
		}
	}
	for len(g.partials) < partials {
		g.partials = append(g.partials, nil)
	}
	for i := range partials {
		if cap(g.partials[i]) < t.histLen {
			g.partials[i] = make([]gradSum, t.histLen)
		}
		g.partials[i] = g.partials[i][:t.histLen]
	}

	parallelFor(t.workers, len(g.tasks), 1, func(begin, end int) {
		for _, task := range g.tasks[begin:end] {
			dst := g.nodes[task.node].hist
			if task.partial >= 0 {
				dst = g.partials[task.partial]
				clear(dst)
			}
			t.accumulate(dst, t.rows[task.begin:task.end])
		}
	})

	for _, task := range g.tasks {
		if task.partial < 0 {
			continue
		}
		dst := g.nodes[task.node].hist
		for i, s := range g.partials[task.partial] {
			dst[i].add(s)
		}
	}
}

// accumulate adds the gradient pair of each row in rows to its bin of every sampled
// feature.
func (t *trainer) accumulate(hist []gradSum, rows []uint32) {
	grad := t.grad
	for _, f := range t.features {
		off := t.histOffset[f]
		h := hist[off : off+t.data.numBins(f)+1]
		col := t.data.columns[f]
		for _, r := range rows {
			gp := grad[r]
			s := &h[col[r]]
			s.g += float64(gp.g)
			s.h += float64(gp.h)
		}
	}
}

// subtractSibling derives the histogram of the child of nid that was not built from the
// parent's histogram minus the built child's.
func (t *trainer) subtractSibling(nid int) {
	g := &t.g
	l, r := int(g.out.leftChildren[nid]), int(g.out.rightChildren[nid])
	built, other := &g.nodes[l], &g.nodes[r]
	if built.hist == nil {
		built, other = other, built
	}
	other.hist = t.allocHist()
	parent := g.nodes[nid].hist
	for i := range other.hist {
		other.hist[i] = parent[i].sub(built.hist[i])
	}
}
