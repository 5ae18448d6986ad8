package gbdt

// partition reorders the rows of each node in nids, which have just been split, so that the
// rows going left come first, keeping their order, and hands the two ranges to the children.
// Each block of rows is first split into its own range of t.rowsTmp without branches, left
// rows from the front and right rows from the back. Then the blocks are copied to their
// final places. Both passes run in parallel.
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
		for i := begin; i < end; i++ {
			task := &g.tasks[i]
			task.left = t.splitBlock(task.node, t.rows[task.begin:task.end], t.rowsTmp[task.begin:task.end])
		}
	})

	// The k-th block of a node writes its left rows after those of blocks 0..k-1, and its
	// right rows after all left rows and the right rows of blocks 0..k-1.
	g.dests = g.dests[:0]
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
			g.dests = append(g.dests, blockDest{l, r})
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
			split := t.rowsTmp[task.begin:task.end]
			copy(t.rows[g.dests[i].left:], split[:task.left])
			// Right rows were written from the back, so they come out reversed.
			right := t.rows[g.dests[i].right : g.dests[i].right+len(split)-task.left]
			for k := range right {
				right[k] = split[len(split)-1-k]
			}
		}
	})
}

// blockDest is the pair of positions in trainer.rows that a block's left and right rows are
// copied to.
type blockDest struct {
	left, right int
}

// splitBlock writes the rows of src that go left under node nid's split to the front of dst
// in order, and the others to the back of dst in reverse order, and returns the number of
// left rows. A row goes left when its bin is below nLeft, or when its cell is missing and
// the split's default direction is left.
func (t *trainer) splitBlock(nid int, src, dst []uint32) int {
	s := &t.g.nodes[nid].best
	col := t.data.columns[s.feature]
	missing := t.data.numBins(s.feature)

	// goLeft[bin] is 1 when rows of that bin go left, so the loop below has no branch.
	goLeft := make([]int, missing+1)
	for b := range s.nLeft {
		goLeft[b] = 1
	}
	if s.defaultLeft {
		goLeft[missing] = 1
	}

	lo, hi := 0, len(dst)-1
	for _, row := range src {
		step := goLeft[col[row]]
		// Both slots lie inside dst because lo <= hi until every row is placed; the slot not
		// advanced past is overwritten later.
		dst[lo] = row
		dst[hi] = row
		lo += step
		hi -= 1 - step
	}
	return lo
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

	t.buildBinnedTree()
	unsampled := t.unsampled[:t.numUnsampled]
	parallelFor(t.workers, len(unsampled), histBlockRows, func(begin, end int) {
		for _, r := range unsampled[begin:end] {
			t.margin[r] += g.out.splitConditions[t.binnedLeaf(r)]
		}
	})
}

// binnedNode is a node of the current tree laid out for walking it on bins. The right child
// of a split node is left+1, because addNode creates the two children together.
type binnedNode struct {
	left    int32
	feature int32
	nLeft   uint16
	missing uint16
	// missingStep is 0 when missing values go left and 1 when they go right.
	missingStep int32
}

// buildBinnedTree lays out the current tree in t.g.binned for binnedLeaf.
func (t *trainer) buildBinnedTree() {
	g := &t.g
	g.binned = g.binned[:0]
	for nid := range g.nodes {
		n := &g.nodes[nid]
		bn := binnedNode{left: -1}
		if n.isSplit {
			bn = binnedNode{
				left:        g.out.leftChildren[nid],
				feature:     int32(n.best.feature),
				nLeft:       uint16(n.best.nLeft),
				missing:     uint16(t.data.numBins(n.best.feature)),
				missingStep: 1,
			}
			if n.best.defaultLeft {
				bn.missingStep = 0
			}
		}
		g.binned = append(g.binned, bn)
	}
}

// binnedLeaf returns the leaf of the current tree that row reaches.
func (t *trainer) binnedLeaf(row uint32) int32 {
	nodes := t.g.binned
	columns := t.data.columns
	nid := int32(0)
	for nodes[nid].left >= 0 {
		n := &nodes[nid]
		b := columns[n.feature][row]
		step := int32(1)
		if b < n.nLeft {
			step = 0
		}
		if b == n.missing {
			step = n.missingStep
		}
		nid = n.left + step
	}
	return nid
}
