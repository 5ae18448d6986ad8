package gbdt

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// numWorkers returns the number of goroutines to use for a NumThreads setting.
func numWorkers(numThreads int) int {
	if numThreads > 0 {
		return numThreads
	}
	return runtime.GOMAXPROCS(0)
}

// parallelFor calls fn(begin, end) for consecutive chunks of [0, n) of at most chunk items,
// on up to workers goroutines, and returns when all calls have returned. Chunk boundaries
// depend only on n and chunk, so results that are combined per chunk in chunk order do not
// depend on the number of workers.
func parallelFor(workers, n, chunk int, fn func(begin, end int)) {
	if n <= 0 {
		return
	}
	chunks := (n + chunk - 1) / chunk
	workers = min(workers, chunks)
	if workers <= 1 {
		for begin := 0; begin < n; begin += chunk {
			fn(begin, min(begin+chunk, n))
		}
		return
	}

	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				begin := c * chunk
				fn(begin, min(begin+chunk, n))
			}
		})
	}
	wg.Wait()
}
