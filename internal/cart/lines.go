package cart

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
)

// sessionKey is where the cart lives in the session. Only this file reads
// or writes it.
const sessionKey = "cart"

// The limits of a cart.
const (
	MaxQuantity = 999 // of one product
	MaxLines    = 100 // different products
)

// line is one product in the cart, as kept in the session.
type line struct {
	Quantity int       `json:"quantity"`
	AddedAt  time.Time `json:"added_at"`
}

// lines is the cart as kept in the session: product id → line. In the
// session it is a JSON object keyed by the id in decimal, which a Django app
// sharing the session reads as a dict.
type lines map[int64]line

// errNotInCart answers a change to a line the cart does not have.
var errNotInCart = apperr.New(apperr.NotFound, "that product is not in the cart")

// readLines returns the cart in s. A value of another shape (another app
// sharing the session may have written one) counts as an empty cart, and
// lines outside the limits as absent: the next change writes a clean cart.
func readLines(s *session.Session) lines {
	var l lines
	if _, err := s.Get(sessionKey, &l); err != nil || l == nil {
		return lines{}
	}
	for id, ln := range l {
		if id < 1 || ln.Quantity < 1 || ln.Quantity > MaxQuantity {
			delete(l, id)
		}
	}
	return l
}

// write stores l in s; an empty cart removes the key, so that emptying the
// cart leaves nothing of it behind.
func (l lines) write(s *session.Session) error {
	if len(l) == 0 {
		s.Delete(sessionKey)
		return nil
	}
	return s.Set(sessionKey, l)
}

// ids returns the product ids of the cart, in order.
func (l lines) ids() []int64 { return slices.Sorted(maps.Keys(l)) }

// add puts quantity more of product id in the cart, as a new line stamped
// now if it had none.
func (l lines) add(id int64, quantity int, now time.Time) error {
	ln, ok := l[id]
	if !ok && len(l) >= MaxLines {
		return apperr.Invalid(map[string]string{"product_id": fmt.Sprintf(
			"the cart already holds %d different products, the most it can; remove one first", MaxLines)})
	}
	if ln.Quantity+quantity > MaxQuantity {
		return apperr.Invalid(map[string]string{"quantity": fmt.Sprintf(
			"the cart holds %d of this product already, and a line holds at most %d", ln.Quantity, MaxQuantity)})
	}
	if !ok {
		ln.AddedAt = now.UTC().Truncate(time.Second)
	}
	ln.Quantity += quantity
	l[id] = ln
	return nil
}

// set makes the quantity of a line in the cart quantity; 0 removes it.
func (l lines) set(id int64, quantity int) error {
	ln, ok := l[id]
	if !ok {
		return errNotInCart
	}
	if quantity == 0 {
		delete(l, id)
		return nil
	}
	ln.Quantity = quantity
	l[id] = ln
	return nil
}

// remove takes a line out of the cart.
func (l lines) remove(id int64) error {
	if _, ok := l[id]; !ok {
		return errNotInCart
	}
	delete(l, id)
	return nil
}
