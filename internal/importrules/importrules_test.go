package importrules

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/geojobs/geojobs"

type pkg struct {
	ImportPath   string
	Dir          string
	GoFiles      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
}

// list runs `go list` over the whole module, as the build sees it.
func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-deps=false", "-json=ImportPath,Dir,GoFiles,Deps,TestImports,XTestImports", "./...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 40 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func under(path, dir string) bool {
	p := module + "/" + dir
	return path == p || strings.HasPrefix(path, p+"/")
}

// TestLayers: backend imports neither frontend nor app (its tests included, and nothing
// it depends on does); frontend does not import app or cmd.
func TestLayers(t *testing.T) {
	for _, p := range list(t) {
		var forbidden []string
		switch {
		case under(p.ImportPath, "backend"):
			forbidden = []string{"frontend", "app", "cmd"}
		case under(p.ImportPath, "frontend"):
			forbidden = []string{"app", "cmd"}
		default:
			continue
		}
		imports := append(append(append([]string{}, p.Deps...), p.TestImports...), p.XTestImports...)
		for _, imp := range imports {
			for _, f := range forbidden {
				if under(imp, f) {
					t.Errorf("%s imports %s: %s/ must not depend on %s/", p.ImportPath, imp, strings.Split(strings.TrimPrefix(p.ImportPath, module+"/"), "/")[0], f)
				}
			}
		}
	}
}

// outbound names the identifiers through which code reaches another server: the
// net/http client API, dialing, proxies, and the constructors of geojobs' clients and
// drivers. The frontend is handed services by backend/application instead.
var outbound = map[string][]string{
	"net/http":                            {"Get", "Head", "Post", "PostForm", "NewRequest", "NewRequestWithContext", "DefaultClient", "DefaultTransport", "Client", "Transport"},
	"net":                                 {"Dial", "DialTimeout", "DialTCP", "DialUDP", "Dialer"},
	"net/http/httputil":                   {"ReverseProxy", "NewSingleHostReverseProxy"},
	"github.com/gorilla/websocket":        {"Dialer", "DefaultDialer"},
	module + "/backend/ogcapi":            {"New"},
	module + "/backend/transfer":          {"NewManager", "NewMux", "DefaultMux", "Download"},
	module + "/backend/transfer/httpget":  {"New", "NewTransport"},
	module + "/backend/transfer/s3":       {"New", "KeySource", "StoreSource"},
	module + "/backend/transfer/webdav":   {"New", "KeySource", "StoreSource"},
	module + "/backend/stacsearch":        {"Search"},
	module + "/backend/oidc":              {"New"},
	module + "/backend/keystore/keycheck": {"Key"},
	module + "/backend/endpoints":         {"New"},
	module + "/backend/processes":         {"New"},
}

// outboundUses lists the uses of outbound identifiers in one Go file.
func outboundUses(fset *token.FileSet, f *ast.File) []string {
	names := map[string]string{} // local name → import path
	for _, spec := range f.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		if _, ok := outbound[path]; !ok {
			continue
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if spec.Name != nil {
			name = spec.Name.Name
		}
		names[name] = path
	}
	var uses []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil { // Obj is set for local variables that shadow an import
			return true
		}
		path, ok := names[id.Name]
		if !ok {
			return true
		}
		for _, bad := range outbound[path] {
			if sel.Sel.Name == bad {
				uses = append(uses, fset.Position(sel.Pos()).String()+": "+path+"."+bad)
			}
		}
		return true
	})
	return uses
}

// TestFrontendMakesNoOutboundCalls: frontend/ renders and handles requests; every call
// to another server is made in backend/ (services built by backend/application).
// Test files may build clients: they drive the handlers from outside.
func TestFrontendMakesNoOutboundCalls(t *testing.T) {
	files := 0
	for _, p := range list(t) {
		if !under(p.ImportPath, "frontend") {
			continue
		}
		for _, name := range p.GoFiles {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files++
			for _, use := range outboundUses(fset, f) {
				t.Errorf("%s: the frontend must not make outbound calls (use a service from backend/application)", use)
			}
		}
	}
	if files < 30 {
		t.Fatalf("scanned only %d frontend files", files)
	}
}

// TestOutboundUsesFindsCalls: the scanner sees the forms a real use takes.
func TestOutboundUsesFindsCalls(t *testing.T) {
	src := `package p
import (
	"net/http"
	nh "net/http"
	"github.com/geojobs/geojobs/backend/transfer/s3"
)
func f(http2 int) {
	http.Get("x")
	_ = &nh.Client{}
	_, _ = s3.New(nil)
	http := struct{ Get int }{}
	_ = http.Get // a local variable, not the package
	_ = nh.StatusOK
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := outboundUses(fset, f)
	want := []string{"p.go:8:2: net/http.Get", "p.go:9:7: net/http.Client", "p.go:10:9: " + module + "/backend/transfer/s3.New"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outboundUses =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
