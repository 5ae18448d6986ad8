package gbdt

// model is the content of an XGBoost JSON model, kept field by field so that MarshalJSON can
// write back the bytes XGBoost wrote.
type model struct {
	version      [3]int
	attributes   map[string]string
	featureNames []string
	featureTypes []string

	// Fields of learner_model_param.
	baseScore        float32
	boostFromAverage int
	numClass         int
	numFeature       int
	numTarget        int

	objective      string
	scalePosWeight float32

	// Fields of gbtree_model_param.
	numParallelTree int
	sizeLeafVector  int

	treeInfo []int32
	trees    []tree
}

// tree is one regression tree in XGBoost's array layout: node i has children leftChildren[i]
// and rightChildren[i], both -1 for a leaf. A split node sends a row left when
// feature splitIndices[i] is below splitConditions[i], or when it is missing and
// defaultLeft[i] is 1. A leaf's splitConditions entry is its value.
type tree struct {
	baseWeights     []float32
	defaultLeft     []uint8
	leftChildren    []int32
	rightChildren   []int32
	lossChanges     []float32
	parents         []int32
	splitConditions []float32
	splitIndices    []int32
	splitType       []uint8
	sumHessian      []float32

	// Fields of tree_param.
	numDeleted     int
	numFeature     int
	sizeLeafVector int
}

// rootParent is the parent index XGBoost writes for a root node: -1 with the left-child
// flag bit cleared.
const rootParent = 0x7fffffff

// numNodes returns the number of nodes of t.
func (t *tree) numNodes() int {
	return len(t.leftChildren)
}

// xgboostVersion is the format version written for trained models, that of the xgboost
// release whose save_model output MarshalJSON reproduces.
var xgboostVersion = [3]int{1, 7, 4}
