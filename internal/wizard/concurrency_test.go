package wizard_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/djsessions/api/internal/apitest"
	"github.com/djsessions/api/internal/testdb"
)

// Step 1 edited through one API process while step 2 is saved through
// another, for one session at the same moment: both changes survive, round
// after round. Were each request to save the session it loaded, the later
// save would undo the other step.
func TestWizardConcurrentStepsOnTwoProcessesBothSurvive(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		concurrentSteps(t, newURL(t))
	})
}

func concurrentSteps(t *testing.T, url string) {
	one := apitest.New(t, apitest.Options{DatabaseURL: url})
	two := apitest.New(t, apitest.Options{DatabaseURL: url})

	first := one.Mobile()
	first.Put(step1Path, ada).Want(t, http.StatusOK)
	key := first.SessionKey()
	viaOne, viaTwo := mobileWithKey(one, key), mobileWithKey(two, key)

	const rounds = 40
	for i := range rounds {
		c := contact{Name: fmt.Sprintf("Ada %d", i), Email: ada.Email, Phone: ada.Phone}
		a := address{Address: fmt.Sprintf("%d St James's Square", i), City: "London", PostalCode: "SW1Y 4JH"}
		var step1, step2 *apitest.Response
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; step1 = viaOne.Put(step1Path, c) })
		wg.Go(func() { <-start; step2 = viaTwo.Put(step2Path, a) })
		close(start)
		wg.Wait()

		step1.Want(t, http.StatusOK)
		step2.Want(t, http.StatusOK)
		if got := decode[state](t, step2); got.CurrentStep != 3 || got.Data.Address != a.Address {
			t.Fatalf("round %d: step 2 answered %+v", i, got)
		}
		wantState(t, first.Get(wizardPath), stateOf(&c, &a))
		if key != viaOne.SessionKey() || key != viaTwo.SessionKey() {
			t.Fatalf("round %d: the session key changed", i)
		}
	}
}
