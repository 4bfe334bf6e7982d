package timingtest

import (
	"os"
	"slices"
	"testing"
	"time"
)

// Enabled reports whether measured timing tests should run: only when
// TIMING_TESTS=1, as make test sets in a step of their own, without the
// race detector and with no other test binary competing for the CPU.
// Anywhere else their numbers would measure the machine's load.
func Enabled() bool { return os.Getenv("TIMING_TESTS") == "1" }

// SameMedian fails the test unless a and b take the same median time to
// within tolerance (0.2: the larger median is at most 20% above the
// smaller). Each runs n times, interleaved (a, b, b, a, a, b, …), so that a
// change of the machine's load weighs on both alike. A measurement that
// fails is taken again, up to attempts times in all, before the test
// fails: a burst of load elsewhere is not a side channel.
func SameMedian(t testing.TB, n int, tolerance float64, attempts int, a, b func()) {
	t.Helper()
	for attempt := 1; attempt <= attempts; attempt++ {
		ma, mb := medians(n, a, b)
		ratio := float64(max(ma, mb)) / float64(min(ma, mb))
		t.Logf("attempt %d: medians %v and %v of %d runs each, ratio %.3f", attempt, ma, mb, n, ratio)
		if ratio <= 1+tolerance {
			return
		}
	}
	t.Errorf("the medians differed by more than %.0f%% in each of %d attempts", tolerance*100, attempts)
}

func medians(n int, a, b func()) (time.Duration, time.Duration) {
	da, db := make([]time.Duration, n), make([]time.Duration, n)
	for i := range n {
		if i%2 == 0 { // each goes first as often as the other
			da[i], db[i] = timed(a), timed(b)
		} else {
			db[i], da[i] = timed(b), timed(a)
		}
	}
	return median(da), median(db)
}

func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}
