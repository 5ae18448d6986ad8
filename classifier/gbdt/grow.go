package gbdt

import (
	"container/heap"
)

// histBlockRows is the number of rows summed into one partial histogram. Partial histograms
// are added in block order, so histograms do not depend on the number of goroutines.
const histBlockRows = 1 << 14

// growNode is the training state of one tree node.
type growNode struct {
	// begin and end delimit the node's rows in trainer.rows.
	begin, end int
	depth      int
	sum        gradSum
	// rootGain is the gain of the node without a split.
	rootGain float32
	// hist contains the node's gradient sums per bin of each sampled feature; nil once the
	// children no longer need it for histogram subtraction.
	hist []gradSum
	best split
	// isSplit reports whether best was applied, so the node has children.
	isSplit bool
}

// grower contains the per-tree buffers of tree growth.
type grower struct {
	nodes    []growNode
	out      tree
	queue    expandQueue
	batch    []int
	partials [][]gradSum
	tasks    []rowTask
	dests    []blockDest
	evalSet  []int
	binned   []binnedNode
}

// rowTask is a block of rows of one node processed by one goroutine.
type rowTask struct {
	node       int
	begin, end int
	// partial is the partial histogram the task fills, or -1 to fill the node's own.
	partial int
	// left counts the rows the task sends left when partitioning.
	left int
}

// growTree grows tree iter on the current margins and adds its leaf values to them.
func (t *trainer) growTree(iter int) tree {
	g := &t.g
	count, sum := t.computeGradients(iter)
	t.sampleFeatures()

	g.nodes = g.nodes[:0]
	g.out = tree{}
	g.queue.entries = g.queue.entries[:0]
	g.queue.lossguide = t.tp.lossguide
	t.addNode(-1, 0, 0, count, sum)
	t.buildHistograms([]int{0})
	t.evaluate([]int{0})
	t.push(0)

	numLeaves := 1
	for {
		g.batch = t.pop(g.batch[:0], &numLeaves)
		if len(g.batch) == 0 {
			break
		}
		for _, nid := range g.batch {
			t.applySplit(nid)
		}
		t.partition(g.batch)

		var build, children []int
		for _, nid := range g.batch {
			if !t.childValid(nid, numLeaves) {
				continue
			}
			l, r := int(g.out.leftChildren[nid]), int(g.out.rightChildren[nid])
			// Like XGBoost, build the child with the smaller hessian sum and derive the other
			// by subtraction.
			small := l
			if g.nodes[r].sum.h < g.nodes[l].sum.h {
				small = r
			}
			build = append(build, small)
			children = append(children, l, r)
		}
		t.buildHistograms(build)
		for _, nid := range g.batch {
			if t.childValid(nid, numLeaves) {
				t.subtractSibling(nid)
			}
			t.releaseHist(nid)
		}
		t.evaluate(children)
		for _, c := range children {
			t.push(c)
		}
	}

	for i := range g.nodes {
		t.releaseHist(i)
	}
	t.updateMargins()

	out := g.out
	out.numFeature = len(t.data.cuts)
	return cloneTree(&out)
}

// cloneTree copies the arrays of t, which the grower reuses for the next tree.
func cloneTree(t *tree) tree {
	c := *t
	c.baseWeights = append([]float32(nil), t.baseWeights...)
	c.defaultLeft = append([]uint8(nil), t.defaultLeft...)
	c.leftChildren = append([]int32(nil), t.leftChildren...)
	c.rightChildren = append([]int32(nil), t.rightChildren...)
	c.lossChanges = append([]float32(nil), t.lossChanges...)
	c.parents = append([]int32(nil), t.parents...)
	c.splitConditions = append([]float32(nil), t.splitConditions...)
	c.splitIndices = append([]int32(nil), t.splitIndices...)
	c.splitType = append([]uint8(nil), t.splitType...)
	c.sumHessian = append([]float32(nil), t.sumHessian...)
	return c
}

// addNode appends a leaf with rows [begin, end) and gradient sum sum to the tree, with the
// fields XGBoost's RegTree gives a new leaf, and returns its id.
func (t *trainer) addNode(parent, depth, begin, end int, sum gradSum) int {
	g := &t.g
	nid := len(g.nodes)
	g.nodes = append(g.nodes, growNode{begin: begin, end: end, depth: depth, sum: sum, rootGain: t.tp.gain(sum)})

	w := t.tp.weight(sum)
	leaf := w * t.tp.eta
	base := leaf
	p := int32(parent)
	if parent < 0 {
		// XGBoost keeps the root's unscaled weight as its base weight.
		base = w
		p = rootParent
	}
	o := &g.out
	o.baseWeights = append(o.baseWeights, base)
	o.defaultLeft = append(o.defaultLeft, 0)
	o.leftChildren = append(o.leftChildren, -1)
	o.rightChildren = append(o.rightChildren, -1)
	o.lossChanges = append(o.lossChanges, 0)
	o.parents = append(o.parents, p)
	o.splitConditions = append(o.splitConditions, leaf)
	o.splitIndices = append(o.splitIndices, 0)
	o.splitType = append(o.splitType, 0)
	o.sumHessian = append(o.sumHessian, float32(sum.h))
	return nid
}

// applySplit turns leaf nid into a split node with two new leaves, as XGBoost's
// ApplyTreeSplit and RegTree::ExpandNode do. The children get their rows in partition.
func (t *trainer) applySplit(nid int) {
	g := &t.g
	n := &g.nodes[nid]
	n.isSplit = true
	s := n.best
	parentSum := s.left
	parentSum.add(s.right)
	depth, begin := n.depth, n.begin

	l := t.addNode(nid, depth+1, begin, begin, s.left)
	r := t.addNode(nid, depth+1, begin, begin, s.right)

	o := &g.out
	o.leftChildren[nid] = int32(l)
	o.rightChildren[nid] = int32(r)
	o.splitIndices[nid] = int32(s.feature)
	o.splitConditions[nid] = s.threshold
	if s.defaultLeft {
		o.defaultLeft[nid] = 1
	}
	o.baseWeights[nid] = t.tp.weight(parentSum)
	o.lossChanges[nid] = s.lossChg
	o.sumHessian[nid] = float32(parentSum.h)
}

// evaluate finds the best split of each node in nids among the features drawn for it
// (colsample_bynode).
func (t *trainer) evaluate(nids []int) {
	g := &t.g
	for _, nid := range nids {
		n := &g.nodes[nid]
		g.evalSet = append(g.evalSet[:0], t.features...)
		set := sampleColumns(t.rng, g.evalSet, t.p.ColsampleByNode)
		n.best = split{}
		for _, f := range set {
			off := t.histOffset[f]
			s := t.tp.bestSplit(n.hist[off:off+t.data.numBins(f)], t.data, f, n.sum, n.rootGain)
			n.best.update(s)
		}
	}
}

// push queues node nid for expansion when its best split reduces the loss by more than
// rtEps (XGBoost's Driver::Push).
func (t *trainer) push(nid int) {
	if t.g.nodes[nid].best.lossChg > rtEps {
		heap.Push(&t.g.queue, queueEntry{nid: nid, lossChg: t.g.nodes[nid].best.lossChg})
	}
}

// pop returns the next nodes to split, following XGBoost's Driver::Pop: every queued node
// of the lowest depth for depthwise, the node with the largest loss change for lossguide.
// Nodes that fail expandValid become leaves; numLeaves counts the accepted splits.
func (t *trainer) pop(batch []int, numLeaves *int) []int {
	q := &t.g.queue
	if !q.lossguide {
		if q.Len() == 0 {
			return batch
		}
		depth := t.g.nodes[q.entries[0].nid].depth
		for q.Len() > 0 && t.g.nodes[q.entries[0].nid].depth == depth {
			e := heap.Pop(q).(queueEntry)
			if t.expandValid(e.nid, *numLeaves) {
				*numLeaves++
				batch = append(batch, e.nid)
			}
		}
		return batch
	}
	for q.Len() > 0 {
		e := heap.Pop(q).(queueEntry)
		if t.expandValid(e.nid, *numLeaves) {
			*numLeaves++
			return append(batch, e.nid)
		}
	}
	return batch
}

// expandValid reports whether the best split of node nid may be applied: it reduces the
// loss by at least gamma, leaves weight on both sides, and keeps max_depth and max_leaves.
func (t *trainer) expandValid(nid, numLeaves int) bool {
	n := &t.g.nodes[nid]
	s := &n.best
	switch {
	case s.lossChg <= rtEps:
		return false
	case s.left.h == 0 || s.right.h == 0:
		return false
	case s.lossChg < t.tp.gamma:
		return false
	case t.tp.maxDepth > 0 && n.depth == t.tp.maxDepth:
		return false
	case t.tp.maxLeaves > 0 && numLeaves == t.tp.maxLeaves:
		return false
	}
	return true
}

// childValid reports whether the children of node nid may be split further, so that their
// histograms are needed.
func (t *trainer) childValid(nid, numLeaves int) bool {
	if t.tp.maxDepth > 0 && t.g.nodes[nid].depth+1 >= t.tp.maxDepth {
		return false
	}
	if t.tp.maxLeaves > 0 && numLeaves >= t.tp.maxLeaves {
		return false
	}
	return true
}

// queueEntry is a node waiting in expandQueue.
type queueEntry struct {
	nid     int
	lossChg float32
}

// expandQueue orders nodes by id for depthwise growth (which is depth order, because ids
// grow with depth) and by descending loss change, then id, for lossguide growth.
type expandQueue struct {
	entries   []queueEntry
	lossguide bool
}

func (q *expandQueue) Len() int { return len(q.entries) }

func (q *expandQueue) Less(i, j int) bool {
	a, b := q.entries[i], q.entries[j]
	if q.lossguide && a.lossChg != b.lossChg {
		return a.lossChg > b.lossChg
	}
	return a.nid < b.nid
}

func (q *expandQueue) Swap(i, j int) { q.entries[i], q.entries[j] = q.entries[j], q.entries[i] }

func (q *expandQueue) Push(x any) { q.entries = append(q.entries, x.(queueEntry)) }

func (q *expandQueue) Pop() any {
	e := q.entries[len(q.entries)-1]
	q.entries = q.entries[:len(q.entries)-1]
	return e
}
