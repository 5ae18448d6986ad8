package gbdt

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Limits on a model that Load accepts. They bound the memory that a hostile or corrupt file
// can make Load allocate: a real model of 10,000 trees of depth 8 stays far below them.
const (
	// MaxModelBytes is the largest model file Load reads, in bytes.
	MaxModelBytes = 256 << 20
	// MaxTrees is the largest number of trees in a model.
	MaxTrees = 1 << 20
	// MaxTreeNodes is the largest number of nodes in one tree.
	MaxTreeNodes = 1 << 20
	// MaxFeatures is the largest number of features of a model.
	MaxFeatures = 1 << 16
)

// Load parses an XGBoost JSON model, as written by Booster.save_model("model.json") of
// xgboost 1.7 or by MarshalJSON. It accepts only what it can predict exactly: a gbtree
// booster with objective binary:logistic and numerical splits. Any other input returns an
// error wrapping ErrInvalidModel or ErrUnsupportedModel.
func Load(data []byte) (*Booster, error) {
	return load(data, MaxModelBytes)
}

// load is Load with a size limit in bytes.
func load(data []byte, maxBytes int) (*Booster, error) {
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%w: model is %d bytes, more than the limit of %d", ErrInvalidModel, len(data), maxBytes)
	}

	var doc jsonDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: parse JSON: %v", ErrInvalidModel, err)
	}
	m, err := doc.toModel()
	if err != nil {
		return nil, err
	}

	b := &Booster{model: m}
	b.compile()
	return b, nil
}

// LoadWithFeatures is Load followed by a check that the model's feature names are exactly
// featureNames, in order. A mismatch returns an error wrapping ErrFeatureMismatch, so a
// model trained on other columns is rejected before it predicts anything.
func LoadWithFeatures(data []byte, featureNames []string) (*Booster, error) {
	b, err := Load(data)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(b.model.featureNames, featureNames) {
		return nil, fmt.Errorf("%w: model has features %q, expected %q; retrain the model with these columns or load it for the matching feature set",
			ErrFeatureMismatch, b.model.featureNames, featureNames)
	}
	return b, nil
}

// The json* types mirror the XGBoost 1.7 JSON schema (doc/model.schema in the xgboost
// repository). Pointers mark objects that must be present.
type jsonDocument struct {
	Learner *jsonLearner `json:"learner"`
	Version []int        `json:"version"`
}

type jsonLearner struct {
	Attributes        map[string]string      `json:"attributes"`
	FeatureNames      []string               `json:"feature_names"`
	FeatureTypes      []string               `json:"feature_types"`
	GradientBooster   *jsonGradientBooster   `json:"gradient_booster"`
	LearnerModelParam *jsonLearnerModelParam `json:"learner_model_param"`
	Objective         *jsonObjective         `json:"objective"`
}

type jsonGradientBooster struct {
	Name  string         `json:"name"`
	Model *jsonTreeModel `json:"model"`
}

type jsonTreeModel struct {
	GBTreeModelParam *struct {
		NumParallelTree string `json:"num_parallel_tree"`
		NumTrees        string `json:"num_trees"`
		SizeLeafVector  string `json:"size_leaf_vector"`
	} `json:"gbtree_model_param"`
	TreeInfo []int32    `json:"tree_info"`
	Trees    []jsonTree `json:"trees"`
}

type jsonLearnerModelParam struct {
	BaseScore        string `json:"base_score"`
	BoostFromAverage string `json:"boost_from_average"`
	NumClass         string `json:"num_class"`
	NumFeature       string `json:"num_feature"`
	NumTarget        string `json:"num_target"`
}

type jsonObjective struct {
	Name         string `json:"name"`
	RegLossParam *struct {
		ScalePosWeight string `json:"scale_pos_weight"`
	} `json:"reg_loss_param"`
}

type jsonTree struct {
	BaseWeights        []float32 `json:"base_weights"`
	Categories         []int32   `json:"categories"`
	CategoriesNodes    []int32   `json:"categories_nodes"`
	CategoriesSegments []int64   `json:"categories_segments"`
	CategoriesSizes    []int64   `json:"categories_sizes"`
	DefaultLeft        []int32   `json:"default_left"`
	ID                 *int      `json:"id"`
	LeftChildren       []int32   `json:"left_children"`
	LossChanges        []float32 `json:"loss_changes"`
	Parents            []int32   `json:"parents"`
	RightChildren      []int32   `json:"right_children"`
	SplitConditions    []float32 `json:"split_conditions"`
	SplitIndices       []int32   `json:"split_indices"`
	SplitType          []int32   `json:"split_type"`
	SumHessian         []float32 `json:"sum_hessian"`
	TreeParam          *struct {
		NumDeleted     string `json:"num_deleted"`
		NumFeature     string `json:"num_feature"`
		NumNodes       string `json:"num_nodes"`
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"tree_param"`
}

func (d *jsonDocument) toModel() (model, error) {
	var m model
	if len(d.Version) != 3 {
		return m, invalidf("version must be an array of 3 integers, got %v", d.Version)
	}
	copy(m.version[:], d.Version)

	l := d.Learner
	if l == nil {
		return m, invalidf("missing object learner")
	}
	if err := m.readLearnerParams(l); err != nil {
		return m, err
	}
	if err := m.readFeatures(l); err != nil {
		return m, err
	}
	if err := m.readTrees(l.GradientBooster); err != nil {
		return m, err
	}
	return m, nil
}

func (m *model) readLearnerParams(l *jsonLearner) error {
	m.attributes = l.Attributes

	p := l.LearnerModelParam
	if p == nil {
		return invalidf("missing object learner.learner_model_param")
	}
	baseScore, err := strconv.ParseFloat(p.BaseScore, 32)
	if err != nil || !(baseScore > 0 && baseScore < 1) {
		return invalidf("learner_model_param.base_score = %q, must be a probability in (0, 1)", p.BaseScore)
	}
	m.baseScore = float32(baseScore)

	// Models saved before xgboost 1.7 may lack the optional fields, which then take
	// XGBoost's defaults.
	fields := []struct {
		name     string
		text     string
		dst      *int
		min, max int
		optional bool
		def      int
	}{
		{"boost_from_average", p.BoostFromAverage, &m.boostFromAverage, 0, 1, true, 1},
		{"num_class", p.NumClass, &m.numClass, 0, 1, false, 0},
		{"num_feature", p.NumFeature, &m.numFeature, 1, MaxFeatures, false, 0},
		{"num_target", p.NumTarget, &m.numTarget, 1, 1, true, 1},
	}
	for _, f := range fields {
		if f.text == "" && f.optional {
			*f.dst = f.def
			continue
		}
		if *f.dst, err = parseIntParam("learner_model_param."+f.name, f.text, f.min, f.max); err != nil {
			return err
		}
	}

	o := l.Objective
	if o == nil {
		return invalidf("missing object learner.objective")
	}
	if o.Name != "binary:logistic" {
		return fmt.Errorf("%w: objective %q, only binary:logistic is supported", ErrUnsupportedModel, o.Name)
	}
	m.objective = o.Name
	if o.RegLossParam == nil {
		return invalidf("missing object objective.reg_loss_param")
	}
	spw, err := strconv.ParseFloat(o.RegLossParam.ScalePosWeight, 32)
	if err != nil || math.IsNaN(spw) || math.IsInf(spw, 0) {
		return invalidf("objective.reg_loss_param.scale_pos_weight = %q, must be a finite number", o.RegLossParam.ScalePosWeight)
	}
	m.scalePosWeight = float32(spw)
	return nil
}

func (m *model) readFeatures(l *jsonLearner) error {
	if len(l.FeatureNames) != 0 && len(l.FeatureNames) != m.numFeature {
		return invalidf("learner.feature_names has %d names but num_feature is %d", len(l.FeatureNames), m.numFeature)
	}
	if len(l.FeatureTypes) != 0 && len(l.FeatureTypes) != m.numFeature {
		return invalidf("learner.feature_types has %d types but num_feature is %d", len(l.FeatureTypes), m.numFeature)
	}
	for i, t := range l.FeatureTypes {
		switch t {
		case "float", "q", "int", "i":
		case "c":
			return fmt.Errorf("%w: feature %d is categorical, only numerical features are supported", ErrUnsupportedModel, i)
		default:
			return invalidf("learner.feature_types[%d] = %q, must be one of float, q, int, i", i, t)
		}
	}
	m.featureNames = l.FeatureNames
	m.featureTypes = l.FeatureTypes
	return nil
}

func (m *model) readTrees(gb *jsonGradientBooster) error {
	if gb == nil {
		return invalidf("missing object learner.gradient_booster")
	}
	if gb.Name != "gbtree" {
		return fmt.Errorf("%w: gradient booster %q, only gbtree is supported", ErrUnsupportedModel, gb.Name)
	}
	tm := gb.Model
	if tm == nil || tm.GBTreeModelParam == nil {
		return invalidf("missing object gradient_booster.model.gbtree_model_param")
	}

	var err error
	gp := tm.GBTreeModelParam
	if m.numParallelTree, err = parseIntParam("gbtree_model_param.num_parallel_tree", gp.NumParallelTree, 1, MaxTrees); err != nil {
		return err
	}
	if m.sizeLeafVector, err = parseIntParam("gbtree_model_param.size_leaf_vector", gp.SizeLeafVector, 0, 0); err != nil {
		return err
	}
	numTrees, err := parseIntParam("gbtree_model_param.num_trees", gp.NumTrees, 0, MaxTrees)
	if err != nil {
		return err
	}
	if len(tm.Trees) != numTrees || len(tm.TreeInfo) != numTrees {
		return invalidf("num_trees is %d but there are %d trees and %d tree_info entries", numTrees, len(tm.Trees), len(tm.TreeInfo))
	}
	for i, group := range tm.TreeInfo {
		if group != 0 {
			return invalidf("tree_info[%d] = %d, must be 0 for a binary model", i, group)
		}
	}
	m.treeInfo = tm.TreeInfo

	m.trees = make([]tree, numTrees)
	for i := range tm.Trees {
		if err := m.trees[i].read(&tm.Trees[i], i, m.numFeature); err != nil {
			return fmt.Errorf("tree %d: %w", i, err)
		}
	}
	return nil
}

// read copies j into t and checks that it is a tree: sizes agree, children point forward to
// nodes that name the node as their parent, and splits read existing features.
func (t *tree) read(j *jsonTree, index, numFeature int) error {
	if j.ID == nil || *j.ID != index {
		return invalidf("id must be %d, the position of the tree", index)
	}
	if j.TreeParam == nil {
		return invalidf("missing object tree_param")
	}

	n, err := parseIntParam("tree_param.num_nodes", j.TreeParam.NumNodes, 1, MaxTreeNodes)
	if err != nil {
		return err
	}
	if t.numDeleted, err = parseIntParam("tree_param.num_deleted", j.TreeParam.NumDeleted, 0, n-1); err != nil {
		return err
	}
	if t.numFeature, err = parseIntParam("tree_param.num_feature", j.TreeParam.NumFeature, 0, MaxFeatures); err != nil {
		return err
	}
	if t.sizeLeafVector, err = parseIntParam("tree_param.size_leaf_vector", j.TreeParam.SizeLeafVector, 0, 0); err != nil {
		return err
	}

	arrays := []struct {
		name   string
		length int
	}{
		{"base_weights", len(j.BaseWeights)},
		{"default_left", len(j.DefaultLeft)},
		{"left_children", len(j.LeftChildren)},
		{"loss_changes", len(j.LossChanges)},
		{"parents", len(j.Parents)},
		{"right_children", len(j.RightChildren)},
		{"split_conditions", len(j.SplitConditions)},
		{"split_indices", len(j.SplitIndices)},
		{"split_type", len(j.SplitType)},
		{"sum_hessian", len(j.SumHessian)},
	}
	for _, a := range arrays {
		if a.length != n {
			return invalidf("%s has %d entries but num_nodes is %d", a.name, a.length, n)
		}
	}
	if len(j.Categories)+len(j.CategoriesNodes)+len(j.CategoriesSegments)+len(j.CategoriesSizes) != 0 {
		return fmt.Errorf("%w: categorical splits are not supported", ErrUnsupportedModel)
	}

	t.baseWeights = j.BaseWeights
	t.leftChildren = j.LeftChildren
	t.rightChildren = j.RightChildren
	t.lossChanges = j.LossChanges
	t.parents = j.Parents
	t.splitConditions = j.SplitConditions
	t.splitIndices = j.SplitIndices
	t.sumHessian = j.SumHessian
	t.defaultLeft = make([]uint8, n)
	t.splitType = make([]uint8, n)
	for i := range n {
		if err := t.readNode(j, i, numFeature); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
	}
	if t.parents[0] != rootParent && t.parents[0] != -1 {
		return invalidf("node 0 is the root but parents[0] = %d", t.parents[0])
	}
	return nil
}

// readNode checks node i. Because every child names its parent and the root has none, a
// walk from the root can neither loop nor reach a node twice.
func (t *tree) readNode(j *jsonTree, i, numFeature int) error {
	switch j.DefaultLeft[i] {
	case 0, 1:
		t.defaultLeft[i] = uint8(j.DefaultLeft[i])
	default:
		return invalidf("default_left = %d, must be 0 or 1", j.DefaultLeft[i])
	}
	if j.SplitType[i] != 0 {
		return fmt.Errorf("%w: split_type = %d, only numerical splits (0) are supported", ErrUnsupportedModel, j.SplitType[i])
	}
	if f := j.SplitConditions[i]; math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return invalidf("split_conditions = %v, must be finite", f)
	}

	left, right := t.leftChildren[i], t.rightChildren[i]
	if left == -1 && right == -1 {
		return nil
	}
	n := int32(t.numNodes())
	for _, c := range [2]int32{left, right} {
		if c <= 0 || c >= n {
			return invalidf("child %d is not a node index in [1, %d)", c, n)
		}
		if c == int32(i) || t.parents[c] != int32(i) {
			return invalidf("child %d has parent %d, expected %d", c, t.parents[c], i)
		}
	}
	if left == right {
		return invalidf("left and right child are both %d", left)
	}
	if f := t.splitIndices[i]; f < 0 || int(f) >= numFeature {
		return invalidf("split_indices = %d, must be a feature index in [0, %d)", f, numFeature)
	}
	return nil
}

// parseIntParam parses a decimal integer stored as a JSON string, as XGBoost stores its
// parameters, and checks that it lies in [min, max].
func parseIntParam(name, text string, min, max int) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || v < min || v > max {
		return 0, invalidf("%s = %q, must be an integer in [%d, %d]", name, text, min, max)
	}
	return v, nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidModel, fmt.Sprintf(format, args...))
}
