package store

import (
	"context"
	"database/sql"
	"errors"
)

// groupOp is one write of a group transaction. It returns an error for which
// outcomeOnly is true when the write cannot be done for this job alone (the job is
// unknown, say); it must then not have written anything, and the other writes of the
// group go on. Any other error is a failure of the database that aborts the group.
type groupOp func(ctx context.Context, tx *sql.Tx) error

// outcomeOnly reports whether an error of a groupOp concerns that write alone.
func outcomeOnly(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid)
}

// groupReq is one call waiting for the group writer: its writes commit together.
type groupReq struct {
	ops  []groupOp
	errs []error // the outcome of ops[i]
	done chan struct{}
}

// maxGroup bounds how many writes share one transaction.
const maxGroup = 1024

// group has the group writer run ops in one transaction, shared with the writes of
// other calls waiting at the same time, and returns the outcome of each. Once the
// writer took the call, it waits for the commit whatever ctx does.
func (s *Store) group(ctx context.Context, ops ...groupOp) ([]error, error) {
	r := &groupReq{ops: ops, errs: make([]error, len(ops)), done: make(chan struct{})}
	select {
	case s.groupCh <- r:
	case <-s.stop:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	<-r.done
	return r.errs, nil
}

// groupWriter commits writes in groups: it takes one call, adds every other one
// already waiting, and commits them in one transaction. Alone, a call commits at
// once; under load, calls queue while a commit runs and share the next one, so a
// thousand jobs polled together cost a few commits instead of a thousand (and
// BEGIN and COMMIT, which the driver parses anew each time, are paid once).
func (s *Store) groupWriter() {
	defer close(s.writerDone)
	for {
		var first *groupReq
		select {
		case first = <-s.groupCh:
		case <-s.stop:
			return
		}
		batch, n := []*groupReq{first}, len(first.ops)
	more:
		for n < maxGroup {
			select {
			case r := <-s.groupCh:
				batch = append(batch, r)
				n += len(r.ops)
			default:
				break more
			}
		}
		s.writeGroup(batch, n)
		for _, r := range batch {
			close(r.done)
		}
	}
}

func (s *Store) writeGroup(batch []*groupReq, n int) {
	ctx := context.Background()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range batch {
			for i, op := range r.ops {
				r.errs[i] = op(ctx, tx)
				if r.errs[i] != nil && !outcomeOnly(r.errs[i]) {
					return r.errs[i] // a database failure: the transaction is unusable
				}
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	if n == 1 {
		batch[0].errs[0] = err
		return
	}
	// One failed; the others must not fail with it.
	for _, r := range batch {
		for i, op := range r.ops {
			one := &groupReq{ops: []groupOp{op}, errs: make([]error, 1)}
			s.writeGroup([]*groupReq{one}, 1)
			r.errs[i] = one.errs[0]
		}
	}
}
