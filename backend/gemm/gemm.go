package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Block sizes: a packed B block is kc x nc floats (1 MiB, within L2), a
// packed A block mc x kc (128 KiB at most). mc is a multiple of every
// kernel's mr.
const (
	kc = 256
	nc = 1024
	mc = 96 // 12 avx512 panels, 16 avx2, 24 go
)

// parallelFMAs is the size, in multiply-adds, from which a product is
// spread over several goroutines: below it, starting them costs more than
// they save.
const parallelFMAs = 1 << 17

// maxTile is the largest kernel's mr*nr.
const maxTile = 8 * 32

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major C (m x n),
// op(A) (m x k) and op(B) (k x n), where op(X) is X, or X transposed if
// the trans flag is set. lda, ldb and ldc are the distances between rows
// of a, b and c as stored. With beta == 0, C's old contents (even NaN) are
// ignored. It panics if a slice is too short for its shape, as BLAS does.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	workers := 1
	if m*n*k >= parallelFMAs {
		workers = runtime.GOMAXPROCS(0)
	}
	sgemm(workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine alone, for callers that
// spread their own work over the cores. It gives the same bits as Sgemm.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemm(workers int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	scale(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	kern := active
	if m <= 2 && !transB && kern.row != nil {
		rowProducts(kern, transA, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	// B is read in place where it is not transposed; only panels that
	// run past column n, or a transposed B, are packed.
	bp := getBuf(min(k, kc) * roundUp(min(n, nc), kern.nr))
	defer putBuf(bp)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		for jc := 0; jc < n; jc += nc {
			nb := min(nc, n-jc)
			packB(*bp, b, ldb, transB, pc, kb, jc, nb, kern.nr)
			blk := block{kern: kern, transA: transA, transB: transB, alpha: alpha, a: a, lda: lda,
				b: b, ldb: ldb, bp: *bp, c: c, ldc: ldc, pc: pc, kb: kb, jc: jc, nb: nb, m: m}
			blk.run(workers)
		}
	}
}

// rowProducts computes C += alpha*op(A)*B one row of C at a time with
// the kernel's row product, B read in place: for one or two rows, the
// tile kernels would spend most of their work on padding rows. Each
// element is summed as the tile kernels sum it, block of kc by block.
func rowProducts(kern kernel, transA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	buf := getBuf(min(k, kc))
	defer putBuf(buf)
	for i := range m {
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			row := (*buf)[:kb]
			for p := range kb {
				if transA {
					row[p] = a[(pc+p)*lda+i]
				} else {
					row[p] = a[i*lda+pc+p]
				}
			}
			if alpha != 1 {
				for p := range row {
					row[p] *= alpha
				}
			}
			kern.row(kb, row, b[pc*ldb:], ldb, c[i*ldc:i*ldc+n])
		}
	}
}

// block is the product of all of op(A)'s rows with one block of B:
// columns jc..jc+nb of C, inner terms pc..pc+kb.
type block struct {
	kern           kernel
	transA, transB bool
	alpha          float32
	a              []float32
	lda            int
	b              []float32 // B as given
	ldb            int
	bp             []float32 // the block's packed panels (see packB)
	c              []float32
	ldc            int
	pc, kb         int
	jc, nb         int
	m              int
}

// panel returns panel jp of the block's B and the distance between its
// rows: in place, or packed.
func (blk *block) panel(jp int) (*float32, int) {
	nr := blk.kern.nr
	if !blk.transB && (jp+1)*nr <= blk.nb {
		return &blk.b[blk.pc*blk.ldb+blk.jc+jp*nr], blk.ldb
	}
	return &blk.bp[jp*nr*blk.kb], nr
}

// run splits the block into tasks, each a run of rows of C by a run of B
// panels, so that every element of C is written by exactly one task, and
// hands them to up to workers goroutines. With several workers there are
// at least two tasks per worker where the shape allows, rows split before
// columns, so that no two tasks pack the same rows of A.
func (blk *block) run(workers int) {
	mr, nr := blk.kern.mr, blk.kern.nr
	rows := mc // rows of C per task
	if want := 2 * workers; workers > 1 && (blk.m+rows-1)/rows < want {
		rows = max(mr, roundUp((blk.m+want-1)/want, mr))
	}
	rowTasks := (blk.m + rows - 1) / rows
	panels := (blk.nb + nr - 1) / nr
	chunks := 1 // runs of panels per run of rows
	if workers > 1 && rowTasks < 2*workers {
		chunks = min(panels, (2*workers+rowTasks-1)/rowTasks)
	}
	tasks := rowTasks * chunks
	workers = min(workers, tasks)
	do := func(t int, ap []float32) {
		ic := (t / chunks) * rows
		chunk := t % chunks
		blk.task(ic, min(rows, blk.m-ic), chunk*panels/chunks, (chunk+1)*panels/chunks, ap)
	}
	if workers <= 1 {
		ap := getBuf(mc*blk.kb + maxTile)
		for t := range tasks {
			do(t, *ap)
		}
		putBuf(ap)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ap := getBuf(mc*blk.kb + maxTile)
			defer putBuf(ap)
			for {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					return
				}
				do(t, *ap)
			}
		}()
	}
	wg.Wait()
}

// task computes rows ic..ic+mb of C by B panels p0..p1 of the block.
func (blk *block) task(ic, mb, p0, p1 int, ap []float32) {
	kern := blk.kern
	mr, nr := kern.mr, kern.nr
	packA(ap, blk.a, blk.lda, blk.transA, ic, mb, blk.pc, blk.kb, mr, blk.alpha)
	edge := ap[roundUp(mb, mr)*blk.kb:] // one C tile, for columns past n
	for jp := p0; jp < p1; jp++ {
		j := blk.jc + jp*nr
		cols := min(nr, blk.jc+blk.nb-j)
		b, ldb := blk.panel(jp)
		for ip := 0; ip*mr < mb; ip++ {
			i := ic + ip*mr
			rows := min(mr, ic+mb-i)
			a := &ap[ip*mr*blk.kb]
			if cols == nr {
				kern.run(blk.kb, a, b, ldb, &blk.c[i*blk.ldc+j], blk.ldc, rows)
				continue
			}
			tile := edge[:mr*nr]
			clear(tile)
			kern.run(blk.kb, a, b, ldb, &tile[0], nr, rows)
			for r := range rows {
				row := blk.c[(i+r)*blk.ldc+j : (i+r)*blk.ldc+j+cols]
				for x, v := range tile[r*nr : r*nr+cols] {
					row[x] += v
				}
			}
		}
	}
}

// packA copies rows ic..ic+mb, columns pc..pc+kb of op(A), times alpha,
// into panels of mr rows: panel by panel, column by column. Rows past mb
// are zero.
func packA(dst, a []float32, lda int, trans bool, ic, mb, pc, kb, mr int, alpha float32) {
	for ip := 0; ip*mr < mb; ip++ {
		panel := dst[ip*mr*kb : (ip+1)*mr*kb]
		rows := min(mr, mb-ip*mr)
		i0 := ic + ip*mr
		if trans {
			// op(A)[i][p] = a[p*lda+i]: each column's rows are contiguous.
			for p := range kb {
				col := panel[p*mr : p*mr+mr]
				copy(col, a[(pc+p)*lda+i0:(pc+p)*lda+i0+rows])
				clear(col[rows:])
			}
		} else if rows == 8 && mr == 8 {
			transpose8(panel, 8, a[i0*lda+pc:], lda, kb)
		} else {
			for r := range rows {
				src := a[(i0+r)*lda+pc : (i0+r)*lda+pc+kb]
				for p, v := range src {
					panel[p*mr+r] = v
				}
			}
			for r := rows; r < mr; r++ {
				for p := range kb {
					panel[p*mr+r] = 0
				}
			}
		}
		if alpha != 1 {
			for x := range panel {
				panel[x] *= alpha
			}
		}
	}
}

// packB copies rows pc..pc+kb, columns jc..jc+nb of op(B) into panels of
// nr columns: panel by panel, row by row. Columns past nb are zero. Where
// B is not transposed only the last panel, if it is short, is packed: the
// others are read in place.
func packB(dst, b []float32, ldb int, trans bool, pc, kb, jc, nb, nr int) {
	first := 0
	if !trans {
		first = nb / nr
	}
	for jp := first; jp*nr < nb; jp++ {
		panel := dst[jp*nr*kb : (jp+1)*nr*kb]
		cols := min(nr, nb-jp*nr)
		j0 := jc + jp*nr
		if trans {
			// op(B)[p][j] = b[j*ldb+p]: each column is a row of b, and
			// eight rows of b at a time are an 8 x kb transpose.
			x := 0
			for ; x+8 <= cols; x += 8 {
				transpose8(panel[x:], nr, b[(j0+x)*ldb+pc:], ldb, kb)
			}
			for ; x < cols; x++ {
				src := b[(j0+x)*ldb+pc : (j0+x)*ldb+pc+kb]
				for p, v := range src {
					panel[p*nr+x] = v
				}
			}
			if cols < nr {
				for p := range kb {
					clear(panel[p*nr+cols : p*nr+nr])
				}
			}
			continue
		}
		for p := range kb {
			row := panel[p*nr : p*nr+nr]
			copy(row, b[(pc+p)*ldb+j0:(pc+p)*ldb+j0+cols])
			clear(row[cols:])
		}
	}
}

// scale sets C = beta*C; beta == 0 clears it.
func scale(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func roundUp(n, to int) int { return (n + to - 1) / to * to }

var bufs sync.Pool

// getBuf returns a buffer of n floats from the pool.
func getBuf(n int) *[]float32 {
	if p, ok := bufs.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n, max(n, kc*mc))
	return &s
}

func putBuf(p *[]float32) { bufs.Put(p) }

func unsafeSlice(p *float32, n int) []float32 { return unsafe.Slice(p, n) }

// check panics, as BLAS does, if a slice is too short for its shape or a
// leading dimension is too small.
func check(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(name string, s []float32, rows, cols, ld int) {
		if ld < max(1, cols) {
			panic(fmt.Sprintf("gemm: ld%s = %d is less than its %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: %s has %d elements, its %dx%d shape with ld %d needs %d", name, len(s), rows, cols, ld, (rows-1)*ld+cols))
		}
	}
	need("a", a, ar, ac, lda)
	need("b", b, br, bc, ldb)
	need("c", c, m, n, ldc)
}
