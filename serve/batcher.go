package serve

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gozoo/gozoo/predict"
)

// A batcher coalesces the concurrent requests to one model into runs of up
// to maxBatch rows. Its workers take turns to collect: one gathers a batch
// (waiting at most maxDelay after its first request, and not at all when no
// other request is on its way) while the others run theirs.
type batcher struct {
	p        *predict.Predictor
	maxBatch int
	maxDelay time.Duration
	metrics  *modelMetrics

	queue chan *job
	// pending counts the requests admitted (reading or decoding their
	// body, or queued) that no worker has taken yet: while there are
	// some, waiting for them is worth it.
	pending atomic.Int64
	collect sync.Mutex // held by the worker that is gathering a batch
	carry   []*job     // jobs left over from the last batch, to run first; guarded by collect
	quit    chan struct{}
	wg      sync.WaitGroup
	// hold, when set (by tests), is called when a batch has its first
	// job, before the rest are gathered.
	hold func()
}

type job struct {
	ctx      context.Context
	x        []float32
	rows     int
	enqueued time.Time
	carried  bool        // left over from a batch once already
	done     chan result // buffered: a worker never blocks on it
}

type result struct {
	out []float32
	err error
}

func newBatcher(p *predict.Predictor, maxBatch int, maxDelay time.Duration, workers int, m *modelMetrics) *batcher {
	b := &batcher{p: p, maxBatch: maxBatch, maxDelay: maxDelay, metrics: m,
		queue: make(chan *job, 4096), quit: make(chan struct{})}
	b.wg.Add(workers)
	for range workers {
		go b.work()
	}
	return b
}

// expect announces a request that will call infer (or forget) soon.
func (b *batcher) expect() { b.pending.Add(1) }

// forget withdraws an expected request that will not call infer.
func (b *batcher) forget() { b.pending.Add(-1) }

// infer runs rows of input, len(x)/rows values each, in some batch and
// returns their outputs. The request must have been announced by expect.
func (b *batcher) infer(ctx context.Context, x []float32, rows int) ([]float32, error) {
	j := &job{ctx: ctx, x: x, rows: rows, enqueued: time.Now(), done: make(chan result, 1)}
	select {
	case <-b.quit:
		b.forget()
		return nil, predict.ErrClosed
	default:
	}
	select {
	case b.queue <- j:
	case <-ctx.Done():
		b.forget()
		return nil, ctx.Err()
	case <-b.quit:
		b.forget()
		return nil, predict.ErrClosed
	}
	select {
	case r := <-j.done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *batcher) work() {
	defer b.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		batch, rows, ok := b.gather(timer)
		if !ok {
			return
		}
		b.run(batch, rows)
	}
}

// take returns the first carried-over job or the next queued one. Unless
// block, it returns nil at once when none is queued; otherwise it waits,
// and returns nil when wait fires. ok is false when the batcher is closed.
func (b *batcher) take(wait <-chan time.Time, block bool) (*job, bool) {
	if len(b.carry) > 0 {
		j := b.carry[0]
		b.carry = b.carry[1:]
		return j, true
	}
	if !block {
		select {
		case j := <-b.queue:
			b.pending.Add(-1)
			return j, true
		default:
			return nil, true
		}
	}
	select {
	case j := <-b.queue:
		b.pending.Add(-1)
		return j, true
	case <-wait:
		return nil, true
	case <-b.quit:
		return nil, false
	}
}

// gather collects one batch: jobs until maxBatch rows, until maxDelay
// after the first job arrived, or until no other request is on its way.
// ok is false when the batcher is closed.
func (b *batcher) gather(timer *time.Timer) (batch []*job, rows int, ok bool) {
	b.collect.Lock()
	defer b.collect.Unlock()
	first, ok := b.take(nil, true)
	if !ok {
		return nil, 0, false
	}
	if b.hold != nil {
		b.hold()
	}
	batch, rows = []*job{first}, first.rows
	if rows >= b.maxBatch {
		return batch, rows, true
	}
	timer.Reset(time.Until(first.enqueued.Add(b.maxDelay)))
	defer timer.Stop()
	for rows < b.maxBatch {
		j, _ := b.take(nil, false)
		if j == nil {
			if b.pending.Load() == 0 {
				break // nobody else is on the way: run now
			}
			if j, ok = b.take(timer.C, true); !ok || j == nil {
				break // closed, or waited long enough
			}
		}
		if rows+j.rows > b.maxBatch {
			j.carried = true
			b.carry = append(b.carry, j)
			break
		}
		batch, rows = append(batch, j), rows+j.rows
	}
	batch, rows = b.trim(batch, rows)
	return batch, rows, true
}

// trim cuts a batch to a power of two rows when a prefix of its jobs has
// exactly that many, carrying the rest over to the next batch. The model
// runs batches padded up to a power of two, and for a model whose cost
// per sample does not fall with the batch size (a convolutional network
// on the CPU) padding 5 rows to 8 costs more than it saves. A job is
// carried over at most once.
func (b *batcher) trim(batch []*job, rows int) ([]*job, int) {
	if len(batch) < 2 || rows&(rows-1) == 0 {
		return batch, rows
	}
	p := 1 << (bits.Len(uint(rows)) - 1)
	sum, k := 0, 0
	for k < len(batch) && sum+batch[k].rows <= p {
		sum += batch[k].rows
		k++
	}
	if sum != p {
		return batch, rows
	}
	for _, j := range batch[k:] {
		if j.carried {
			return batch, rows
		}
	}
	rest := make([]*job, 0, len(batch)-k+len(b.carry))
	for _, j := range batch[k:] {
		j.carried = true
		rest = append(rest, j)
	}
	b.carry = append(rest, b.carry...)
	return batch[:k], p
}

// run runs one batch and hands each job its rows of the outputs. A row's
// outputs do not depend on the other rows of the run (package predict
// guarantees it), so a batched answer is the one the request gets alone.
func (b *batcher) run(batch []*job, rows int) {
	start := time.Now()
	live := batch[:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- result{err: err}
			rows -= j.rows
			continue
		}
		b.metrics.queue.Observe(start.Sub(j.enqueued).Seconds())
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	x := live[0].x
	if len(live) > 1 {
		x = make([]float32, 0, len(live[0].x)/live[0].rows*rows)
		for _, j := range live {
			x = append(x, j.x...)
		}
	}
	out, err := b.p.Predict(context.Background(), x)
	b.metrics.model.Observe(time.Since(start).Seconds())
	b.metrics.batchRows.Observe(float64(rows))
	b.metrics.batchRequests.Observe(float64(len(live)))
	per := b.p.OutputSize()
	at := 0
	for _, j := range live {
		if err != nil {
			j.done <- result{err: err}
			continue
		}
		j.done <- result{out: out[at*per : (at+j.rows)*per : (at+j.rows)*per]}
		at += j.rows
	}
}

// close stops the workers after their current batch and fails the jobs
// still queued.
func (b *batcher) close() {
	close(b.quit)
	b.wg.Wait()
	for _, j := range b.carry {
		j.done <- result{err: predict.ErrClosed}
	}
	for {
		select {
		case j := <-b.queue:
			j.done <- result{err: predict.ErrClosed}
		default:
			return
		}
	}
}
