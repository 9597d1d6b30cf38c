package transfer

import (
	"os"
	"path/filepath"
	"sync"
)

// folders opens the folders files are written into once for all the tasks writing
// into them at the same time: a task works with the names of its files inside its own
// folder, so each file operation is one system call, not a walk from the destination
// (os.Root opens and closes every folder on the way: about 8 operations per file, a
// fifth of the CPU time of thousands of small files). A folder is closed when its last
// task is done with it.
type folders struct {
	mu   sync.Mutex
	open map[string]*folder // by destination and relative folder
}

type folder struct {
	root *os.Root
	refs int
}

// get returns the folder dir (relative to dest, slash-separated) as an os.Root, created
// when missing; release must be called once the caller is done with it. Nothing can be
// reached outside dest through it (os.Root), and not outside dir either.
func (fs *folders) get(dest, dir string) (root *os.Root, release func(), err error) {
	key := dest + "\x00" + dir
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.open[key]
	if !ok {
		r, err := openFolder(dest, dir)
		if err != nil {
			return nil, nil, err
		}
		f = &folder{root: r}
		if fs.open == nil {
			fs.open = map[string]*folder{}
		}
		fs.open[key] = f
	}
	f.refs++
	return f.root, func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if f.refs--; f.refs == 0 {
			f.root.Close()
			delete(fs.open, key)
		}
	}, nil
}

func openFolder(dest, dir string) (*os.Root, error) {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, localError("create", "destination folder", err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, localError("open", "destination folder", err)
	}
	if dir == "." {
		return root, nil
	}
	defer root.Close()
	d := filepath.FromSlash(dir)
	if err := root.MkdirAll(d, 0o755); err != nil {
		return nil, localError("create", dir, err)
	}
	sub, err := root.OpenRoot(d)
	if err != nil {
		return nil, localError("open", dir, err)
	}
	return sub, nil
}
