// Package cart is the shopping cart: the catalog of products, and a cart
// kept in the client's session, so that it needs no account and survives a
// login.
//
// Every change to the cart goes through session.Session.Update, which
// applies it to the session as stored at that moment, under a lock that
// spans every API process: concurrent requests of one client (two tabs, a
// double click, a mobile app's retries) each add their part, and none
// overwrites another's. Reading the cart takes no lock and writes nothing,
// unless it finds lines whose product is gone.
package cart

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/djsessions/api/internal/apperr"
	"github.com/djsessions/api/internal/session"
)

// Catalog is where the Service finds products.
type Catalog interface {
	// List returns the products on sale (active), by id.
	List(ctx context.Context) ([]Product, error)
	// Active returns those of ids that are products on sale, in any order;
	// an id with no such product is left out, not an error.
	Active(ctx context.Context, ids []int64) ([]Product, error)
}

// Product is a product on sale.
type Product struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Price Money  `json:"price"`
}

// View is the cart as the client sees it: its lines, oldest first, with
// their products' current details and prices.
type View struct {
	Items      []Item `json:"items"`
	TotalItems int    `json:"total_items"`
	TotalPrice Money  `json:"total_price"`
}

// Item is a line of a View.
type Item struct {
	Product   Product   `json:"product"`
	Quantity  int       `json:"quantity"`
	LineTotal Money     `json:"line_total"`
	AddedAt   time.Time `json:"added_at"`
}

// Addition asks for Quantity more of a product; nil Quantity means one.
type Addition struct {
	ProductID *int64
	Quantity  *int64
}

// Service holds the rules of the cart.
type Service struct {
	catalog Catalog
	now     func() time.Time
}

// NewService returns a Service on catalog that reads the time from now.
func NewService(catalog Catalog, now func() time.Time) *Service {
	return &Service{catalog: catalog, now: now}
}

// Products returns the catalog: the products on sale.
func (svc *Service) Products(ctx context.Context) ([]Product, error) {
	ps, err := svc.catalog.List(ctx)
	if err != nil {
		return nil, err
	}
	if ps == nil {
		ps = []Product{} // an empty catalog is [], not null
	}
	return ps, nil
}

// Cart returns the cart in s. Lines whose product is gone are left out of
// the view and dropped from the session.
func (svc *Service) Cart(ctx context.Context, s *session.Session) (View, error) {
	return svc.view(ctx, s, readLines(s), known{})
}

// Add adds to the line of a product on sale, creating it if need be.
func (svc *Service) Add(ctx context.Context, s *session.Session, a Addition) (View, error) {
	fields := map[string]string{}
	if a.ProductID == nil {
		fields["product_id"] = "required"
	} else if *a.ProductID < 1 {
		fields["product_id"] = "must be a product id, a positive integer"
	}
	quantity := int64(1)
	if a.Quantity != nil {
		quantity = *a.Quantity
		if quantity < 1 || quantity > MaxQuantity {
			fields["quantity"] = "must be an integer from 1 to 999"
		}
	}
	if len(fields) > 0 {
		return View{}, apperr.Invalid(fields)
	}
	id := *a.ProductID
	k, err := svc.lookUp(ctx, append(readLines(s).ids(), id), known{})
	if err != nil {
		return View{}, err
	}
	if k[id] == nil {
		return View{}, apperr.New(apperr.NotFound, "no product with that id is on sale")
	}
	now := svc.now()
	return svc.change(ctx, s, k, func(l lines) error { return l.add(id, int(quantity), now) })
}

// SetQuantity makes the quantity of the product's line quantity; 0 removes
// the line.
func (svc *Service) SetQuantity(ctx context.Context, s *session.Session, productID int64, quantity *int64) (View, error) {
	switch {
	case quantity == nil:
		return View{}, apperr.Invalid(map[string]string{"quantity": "required"})
	case *quantity < 0 || *quantity > MaxQuantity:
		return View{}, apperr.Invalid(map[string]string{"quantity": "must be an integer from 0 (to remove the line) to 999"})
	}
	k, err := svc.lookUp(ctx, readLines(s).ids(), known{})
	if err != nil {
		return View{}, err
	}
	return svc.change(ctx, s, k, func(l lines) error { return l.set(productID, int(*quantity)) })
}

// Remove takes the product's line out of the cart.
func (svc *Service) Remove(ctx context.Context, s *session.Session, productID int64) (View, error) {
	k, err := svc.lookUp(ctx, readLines(s).ids(), known{})
	if err != nil {
		return View{}, err
	}
	return svc.change(ctx, s, k, func(l lines) error { return l.remove(productID) })
}

// Clear empties the cart.
func (svc *Service) Clear(ctx context.Context, s *session.Session) (View, error) {
	if s.Key() == "" {
		return emptyView(), nil // nothing stored, so no cart to empty
	}
	return svc.change(ctx, s, known{}, func(l lines) error {
		clear(l)
		return nil
	})
}

// change applies apply to the cart as stored now, with the lines of the
// products k knows to be gone dropped first, and returns the view of the
// result. apply must do no I/O: it runs under the session's lock.
func (svc *Service) change(ctx context.Context, s *session.Session, k known, apply func(lines) error) (View, error) {
	var after lines
	err := s.Update(ctx, func(s *session.Session) error {
		l := readLines(s)
		for id := range l {
			if k.gone(id) {
				delete(l, id)
			}
		}
		if err := apply(l); err != nil {
			return err
		}
		after = l
		return l.write(s)
	})
	if err != nil {
		return View{}, err
	}
	return svc.view(ctx, s, after, k)
}

// view describes the cart l, looking up the products k does not know yet
// (usually none after a change: only lines another request added meanwhile).
// Lines whose product is gone are left out, and dropped from the session.
func (svc *Service) view(ctx context.Context, s *session.Session, l lines, k known) (View, error) {
	k, err := svc.lookUp(ctx, l.ids(), k)
	if err != nil {
		return View{}, err
	}
	v := emptyView()
	var gone []int64
	for id, ln := range l {
		p := k[id]
		if p == nil {
			gone = append(gone, id)
			continue
		}
		total := p.Price.Times(ln.Quantity)
		v.Items = append(v.Items, Item{Product: *p, Quantity: ln.Quantity, LineTotal: total, AddedAt: ln.AddedAt})
		v.TotalItems += ln.Quantity
		v.TotalPrice += total
	}
	slices.SortFunc(v.Items, func(a, b Item) int {
		return cmp.Or(a.AddedAt.Compare(b.AddedAt), cmp.Compare(a.Product.ID, b.Product.ID))
	})
	if len(gone) > 0 {
		err := s.Update(ctx, func(s *session.Session) error {
			l := readLines(s)
			for _, id := range gone {
				delete(l, id)
			}
			return l.write(s)
		})
		if err != nil {
			return View{}, err
		}
	}
	return v, nil
}

func emptyView() View { return View{Items: []Item{}} }

// known is what the catalog said of some product ids: the product, or nil
// for one that is gone (deleted, or no longer active). An id that is not in
// known was not asked about.
type known map[int64]*Product

func (k known) gone(id int64) bool {
	p, asked := k[id]
	return asked && p == nil
}

// lookUp asks the catalog about those of ids that k does not know, and
// returns k with the answers added.
func (svc *Service) lookUp(ctx context.Context, ids []int64, k known) (known, error) {
	var ask []int64
	for _, id := range ids {
		if _, asked := k[id]; !asked {
			k[id] = nil // gone, unless the catalog has it
			ask = append(ask, id)
		}
	}
	if len(ask) == 0 {
		return k, nil
	}
	ps, err := svc.catalog.Active(ctx, ask)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		k[p.ID] = &p
	}
	return k, nil
}
