package gbdt

// partition reorders the rows of each node in nids, which have just been split, so that the
// rows going left come first, keeping their order, and hands the two ranges to the children.
// Blocks of rows are counted, then copied to their place through t.rowsTmp, in parallel.
func (t *trainer) partition(nids []int) {
	g := &t.g
	g.tasks = g.tasks[:0]
	for _, nid := range nids {
		n := &g.nodes[nid]
		for b := n.begin; b < n.end; b += histBlockRows {
			g.tasks = append(g.tasks, rowTask{node: nid, begin: b, end: min(b+histBlockRows, n.end)})
		}
	}

	parallelFor(t.workers, len(g.tasks), 1, func(begin, end int) {
		for i := range g.tasks[begin:end] {
			task := &g.tasks[begin+i]
			goLeft := t.splitRule(task.node)
			left := 0
			for _, r := range t.rows[task.begin:task.end] {
				if goLeft(r) {
					left++
				}
			}
			task.left = left
		}
	})

	// Turn the counts into destinations: the k-th task of a node writes its left rows after
	// those of tasks 0..k-1, and its right rows after all left rows and the right rows of
	// tasks 0..k-1.
	type dest struct{ left, right int }
	dests := make([]dest, len(g.tasks))
	for i := 0; i < len(g.tasks); {
		nid := g.tasks[i].node
		n := &g.nodes[nid]
		j := i
		totalLeft := 0
		for j < len(g.tasks) && g.tasks[j].node == nid {
			totalLeft += g.tasks[j].left
			j++
		}
		l, r := n.begin, n.begin+totalLeft
		for k := i; k < j; k++ {
			dests[k] = dest{l, r}
			l += g.tasks[k].left
			r += g.tasks[k].end - g.tasks[k].begin - g.tasks[k].left
		}
		lc, rc := g.out.leftChildren[nid], g.out.rightChildren[nid]
		g.nodes[lc].begin, g.nodes[lc].end = n.begin, n.begin+totalLeft
		g.nodes[rc].begin, g.nodes[rc].end = n.begin+totalLeft, n.end
		i = j
	}

	parallelFor(t.workers, len(g.tasks), 1, func(begin, end int) {
		for i := begin; i < end; i++ {
			task := &g.tasks[i]
			goLeft := t.splitRule(task.node)
			l, r := dests[i].left, dests[i].right
			for _, row := range t.rows[task.begin:task.end] {
				if goLeft(row) {
					t.rowsTmp[l] = row
					l++
				} else {
					t.rowsTmp[r] = row
					r++
				}
			}
		}
	})

	parallelFor(t.workers, len(nids), 1, func(begin, end int) {
		for _, nid := range nids[begin:end] {
			n := &g.nodes[nid]
			copy(t.rows[n.begin:n.end], t.rowsTmp[n.begin:n.end])
		}
	})
}

// splitRule returns whether a row goes to the left child of split node nid, decided on its
// bin: bins below nLeft go left, and a missing cell follows the default direction.
func (t *trainer) splitRule(nid int) func(row uint32) bool {
	s := &t.g.nodes[nid].best
	col := t.data.columns[s.feature]
	nLeft := uint16(s.nLeft)
	missing := uint16(t.data.numBins(s.feature))
	if s.defaultLeft {
		return func(row uint32) bool {
			b := col[row]
			return b < nLeft || b == missing
		}
	}
	return func(row uint32) bool {
		return col[row] < nLeft
	}
}

// updateMargins adds the tree's leaf value to the margin of every row: through the leaf
// ranges of t.rows for sampled rows, and by walking the tree on the bins for the others.
func (t *trainer) updateMargins() {
	g := &t.g
	g.tasks = g.tasks[:0]
	for nid := range g.nodes {
		n := &g.nodes[nid]
		if n.isSplit {
			continue
		}
		for b := n.begin; b < n.end; b += histBlockRows {
			g.tasks = append(g.tasks, rowTask{node: nid, begin: b, end: min(b+histBlockRows, n.end)})
		}
	}
	parallelFor(t.workers, len(g.tasks), 1, func(begin, end int) {
		for _, task := range g.tasks[begin:end] {
			v := g.out.splitConditions[task.node]
			for _, r := range t.rows[task.begin:task.end] {
				t.margin[r] += v
			}
		}
	})

	if t.p.Subsample >= 1 {
		return
	}
	parallelFor(t.workers, t.data.numRows, histBlockRows, func(begin, end int) {
		for r := begin; r < end; r++ {
			if !t.sampled[r] {
				t.margin[r] += g.out.splitConditions[t.binnedLeaf(uint32(r))]
			}
		}
	})
}

// binnedLeaf returns the leaf of the current tree that row reaches.
func (t *trainer) binnedLeaf(row uint32) int {
	g := &t.g
	nid := 0
	for g.nodes[nid].isSplit {
		s := &g.nodes[nid].best
		b := t.data.columns[s.feature][row]
		missing := uint16(t.data.numBins(s.feature))
		left := b < uint16(s.nLeft) || (b == missing && s.defaultLeft)
		if left {
			nid = int(g.out.leftChildren[nid])
		} else {
			nid = int(g.out.rightChildren[nid])
		}
	}
	return nid
}
