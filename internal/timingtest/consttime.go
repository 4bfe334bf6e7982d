// Package timingtest checks the API for timing side channels: that the
// functions which compare secrets do so in constant time, read from their
// type-checked source, and that two kinds of request take the same time,
// measured.
package timingtest

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// constantTime are the comparisons whose time does not depend on where
// their operands differ.
var constantTime = map[string]bool{
	"crypto/hmac.Equal":                  true,
	"crypto/subtle.ConstantTimeCompare":  true,
	"crypto/subtle.ConstantTimeEq":       true,
	"crypto/subtle.ConstantTimeByteEq":   true,
	"crypto/subtle.ConstantTimeLessOrEq": true,
}

// variableTime are the calls that compare strings or bytes and return at
// the first difference.
var variableTime = map[string]bool{
	"bytes.Equal": true, "bytes.Compare": true, "bytes.EqualFold": true, "bytes.HasPrefix": true,
	"strings.Compare": true, "strings.EqualFold": true, "strings.HasPrefix": true,
	"slices.Equal": true, "slices.Compare": true, "reflect.DeepEqual": true, "maps.Equal": true,
}

// ConstantTime fails the test unless each function of funcs ("Name", or
// "Type.Method"), in the package of the test's working directory, compares
// secrets only in constant time: it calls crypto/hmac.Equal or
// crypto/subtle's comparisons, and compares no string, byte slice or byte
// array otherwise (no ==, !=, switch on a string, bytes.Equal, strings.Compare
// and the like), in its body and the function literals within it. The
// package is type-checked from its source against the export data of its
// imports, as go vet does, so that an operand's type is known, not guessed.
func ConstantTime(t testing.TB, funcs ...string) {
	t.Helper()
	fset, files, info := typeCheck(t)
	found := map[string]*ast.FuncDecl{}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				found[funcName(fd)] = fd
			}
		}
	}
	for _, name := range funcs {
		fd, ok := found[name]
		if !ok {
			t.Errorf("timingtest: no function %s in the package", name)
			continue
		}
		for _, v := range violations(fset, fd, info) {
			t.Errorf("%s compares in variable time: %s", name, v)
		}
	}
}

// violations lists the variable-time comparisons in fd, and a missing
// constant-time one.
func violations(fset *token.FileSet, fd *ast.FuncDecl, info *types.Info) []string {
	var out []string
	constant := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && (comparable(info, n.X) || comparable(info, n.Y)) {
				out = append(out, fmt.Sprintf("%s %s at %s", n.Op, types.ExprString(n), fset.Position(n.Pos())))
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && comparable(info, n.Tag) {
				out = append(out, fmt.Sprintf("switch on %s at %s", types.ExprString(n.Tag), fset.Position(n.Pos())))
			}
		case *ast.CallExpr:
			name := callee(info, n)
			constant = constant || constantTime[name]
			if variableTime[name] {
				out = append(out, fmt.Sprintf("%s at %s", name, fset.Position(n.Pos())))
			}
		}
		return true
	})
	if !constant {
		out = append(out, "it calls neither crypto/hmac.Equal nor crypto/subtle.ConstantTimeCompare")
	}
	return out
}

// comparable reports whether e is a string, a byte slice or a byte array:
// what a secret is held in.
func comparable(info *types.Info, e ast.Expr) bool {
	tv, ok := info.Types[e]
	if !ok || tv.Type == nil {
		return false
	}
	switch u := tv.Type.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsString != 0
	case *types.Slice:
		return isByte(u.Elem())
	case *types.Array:
		return isByte(u.Elem())
	}
	return false
}

func isByte(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.Byte
}

// callee returns "pkg/path.Name" for a call of a package-level function.
func callee(info *types.Info, call *ast.CallExpr) string {
	var id *ast.Ident
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		id = fn
	case *ast.SelectorExpr:
		id = fn.Sel
	default:
		return ""
	}
	f, ok := info.Uses[id].(*types.Func)
	if !ok || f.Pkg() == nil {
		return ""
	}
	return f.Pkg().Path() + "." + f.Name()
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// typeCheck parses the non-test Go files of the package in the working
// directory and type-checks them against its imports' export data, which
// go list builds (or finds in the build cache).
func typeCheck(t testing.TB) (*token.FileSet, []*ast.File, *types.Info) {
	t.Helper()
	self := goList(t, "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \"\\t\"}}", ".")
	fields := strings.Split(strings.TrimSpace(self), "\t")
	path, dir, names := fields[0], fields[1], fields[2:]
	exports := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(goList(t, "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", ".")))
	for sc.Scan() {
		if p, file, ok := strings.Cut(sc.Text(), "\t"); ok && file != "" {
			exports[p] = file
		}
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatalf("timingtest: %v", err)
		}
		files = append(files, f)
	}
	lookup := func(p string) (io.ReadCloser, error) {
		file, ok := exports[p]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", p)
		}
		return os.Open(file)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", lookup)}
	if _, err := conf.Check(path, fset, files, info); err != nil {
		t.Fatalf("timingtest: type-checking %s: %v", path, err)
	}
	return fset, files, info
}

func goList(t testing.TB, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("timingtest: go list %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}
