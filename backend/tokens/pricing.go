package tokens

import "github.com/aimonitor/aimonitor/backend/tokens/warm"

// The pricing table and the cost rules live in package warm, which the
// launcher's warm path renders reports with; these are the ledger's names
// for them.
const (
	PricingDate   = warm.PricingDate
	PricingSource = warm.PricingSource
)

// Price and ModelPrice are the table's rates (US dollars per million tokens).
type (
	Price      = warm.Price
	ModelPrice = warm.ModelPrice
)

// Prompt size classes, stored with every response (see warm.ClassUpTo100k).
const (
	classUpTo100k = warm.ClassUpTo100k
	classUpTo200k = warm.ClassUpTo200k
	classAbove    = warm.ClassAbove
	classRecorded = warm.ClassRecorded
)

func classOf(e *Entry) int {
	switch p := e.Usage.Prompt(); {
	case e.HasCost:
		return classRecorded
	case p <= 100_000:
		return classUpTo100k
	case p <= 200_000:
		return classUpTo200k
	default:
		return classAbove
	}
}

// LookupPrice finds a model's rates (warm.LookupPrice).
func LookupPrice(model string) (ModelPrice, bool) { return warm.LookupPrice(model) }

// costOf prices usage of one model in one class; ok is false when the model
// is not in the table (recorded costs are always priced).
func costOf(model string, class int, u Usage, recorded float64) (float64, bool) {
	return warm.CostOf(model, class, u, recorded)
}
