// Command server serves one large file for the download benchmark (run.sh), either
// uncapped (sendfile) or like object storage: each response capped to a rate and
// delayed by a first-byte latency.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8765", "listen address")
	path := flag.String("file", "/tmp/geojobs-bench/data.bin", "file to serve (created when missing or of another size)")
	size := flag.Int64("size", 2<<30, "file size in bytes")
	rate := flag.Float64("rate", 0, "bytes per second per response, 0: uncapped")
	latency := flag.Duration("latency", 0, "delay before each response")
	verbose := flag.Bool("v", false, "log each request")
	many := flag.Int("many", 0, "also serve a folder /many/ of this many files (with an index page, as rclone's http backend reads)")
	each := flag.Int64("each", 5<<20, "size of each file of -many")
	flag.Parse()

	if *many > 0 {
		dir, err := ensureMany(*path+".many", *many, *each)
		if err != nil {
			log.Fatal(err)
		}
		files := http.StripPrefix("/many/", http.FileServer(http.Dir(dir)))
		http.HandleFunc("/many/", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(*latency)
			var out http.ResponseWriter = w
			if *rate > 0 {
				out = &capped{ResponseWriter: w, rate: *rate, start: time.Now()}
			}
			files.ServeHTTP(out, r)
		})
		http.HandleFunc("GET /many.sums", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join(dir, "..", filepath.Base(dir)+".sums"))
		})
	}

	if err := ensureFile(*path, *size); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("GET /checksum", func(w http.ResponseWriter, r *http.Request) {
		sum, err := checksum(*path)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, sum)
	})
	http.HandleFunc("/data.bin", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(*path)
		if err != nil {
			http.Error(w, "gone", 500)
			return
		}
		defer f.Close()
		fi, _ := f.Stat()
		time.Sleep(*latency)
		w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano()))
		var out http.ResponseWriter = w
		if *rate > 0 {
			out = &capped{ResponseWriter: w, rate: *rate, start: time.Now()}
		}
		start := time.Now()
		http.ServeContent(out, r, "", fi.ModTime(), f)
		if *verbose {
			log.Printf("%s %s %s %v", r.Method, r.Header.Get("Range"), r.RemoteAddr, time.Since(start).Round(time.Millisecond))
		}
	})
	log.Printf("serving %s (%d bytes) on %s, rate %.0f B/s, latency %v", *path, *size, *addr, *rate, *latency)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// capped paces writes so that the body never runs ahead of rate.
type capped struct {
	http.ResponseWriter
	rate  float64
	start time.Time
	n     int64
}

func (c *capped) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		k := min(len(p), 64<<10)
		if ahead := time.Duration(float64(c.n+int64(k))/c.rate*float64(time.Second)) - time.Since(c.start); ahead > 0 {
			time.Sleep(ahead)
		}
		m, err := c.ResponseWriter.Write(p[:k])
		written += m
		c.n += int64(m)
		if err != nil {
			return written, err
		}
		p = p[k:]
	}
	return written, nil
}

func ensureFile(path string, size int64) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() == size {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var seed [32]byte
	src := rand.NewChaCha8(seed)
	if _, err := io.CopyN(f, src, size); err != nil {
		return err
	}
	os.Remove(path + ".sha256")
	return f.Close()
}

// checksum returns the multihash (sha2-256) of path, cached beside it.
func checksum(path string) (string, error) {
	if b, err := os.ReadFile(path + ".sha256"); err == nil {
		return string(b), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := multihash.Encode(multihash.SHA2_256, h.Sum(nil))
	return sum, os.WriteFile(path+".sha256", []byte(sum), 0o644)
}

// ensureMany creates dir holding n files of size bytes each (f00000.bin, …), deterministic,
// and dir.sums with one "name multihash" line per file.
func ensureMany(dir string, n int, size int64) (string, error) {
	sums := dir + ".sums"
	if b, err := os.ReadFile(sums); err == nil && len(b) > 0 {
		if fi, err := os.Stat(filepath.Join(dir, fmt.Sprintf("f%05d.bin", n-1))); err == nil && fi.Size() == size {
			if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("f%05d.bin", n))); os.IsNotExist(err) {
				return dir, nil
			}
		}
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var lines []byte
	for i := range n {
		name := fmt.Sprintf("f%05d.bin", i)
		var seed [32]byte
		seed[0], seed[1], seed[2] = byte(i), byte(i>>8), byte(i>>16)
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		h := sha256.New()
		if _, err := io.CopyN(io.MultiWriter(f, h), rand.NewChaCha8(seed), size); err != nil {
			f.Close()
			return "", err
		}
		if err := f.Close(); err != nil {
			return "", err
		}
		lines = fmt.Appendf(lines, "%s %s %x\n", name, multihash.Encode(multihash.SHA2_256, h.Sum(nil)), h.Sum(nil))
	}
	return dir, os.WriteFile(sums, lines, 0o644)
}
